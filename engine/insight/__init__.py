"""See the system: outcome measures, journeys, where cases wait, pilots and the system review.

Services only (no Flask). Measures read pre-aggregated daily counts kept up to date incrementally from
the audit log, referrals and work items; journeys and waiting lists read the live tables and apply
need-to-know on every case they show.
"""

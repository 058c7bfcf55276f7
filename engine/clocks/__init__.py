"""Statutory and local clocks on a case: start, pause, resume, stop, breach and the reason for exceeding.

The working-day arithmetic they use is ``engine/calendar``; this package owns the clocks' lifecycle and
what a person may do with them from the case page.
"""

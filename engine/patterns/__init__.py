"""Patterns across referrals: contexts emerging from separate referrals, the map and the network.

A referral's places, school, online platforms and named associates are indexed when it arrives
(``features``); the check for a new referral reads only its neighbours in that index (``finder``); the
scheduler checks what routes recorded (``sweep``); ``recompute`` rebuilds the open patterns in bulk.
People see patterns, the map and the network under need-to-know (``views``, ``places``, ``network``) and
act on a pattern (``actions``); assessments weight contexts (``weights``).
"""

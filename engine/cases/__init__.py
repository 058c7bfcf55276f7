"""Cases: children and contexts at the front door.

Owns intake (logging a referral, matching it to an open case or opening one), the case records
written inside a step (``records``), links between children and contexts, reading a case under
need-to-know (``views``, ``page``, ``instance_page``), address protection and allocation.
"""

"""The `frontdoor` command line: every command is registered in ``cli/main.py``.

The command line is an entry point: it may use the web shell (``serve``), the scheduler and every use
case, and nothing in ``engine`` or ``web`` imports it.
"""

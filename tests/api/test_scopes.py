"""Every API view declares the token scope it needs."""

from __future__ import annotations

import inspect


def test_every_api_view_names_its_scope():
    from web.api import cases, casework, instances, processes, referrals, work_items

    for module in (cases, casework, instances, processes, referrals, work_items):
        found = [getattr(module, n) for n in dir(module)]
        views = [v for v in found if inspect.isfunction(v) and hasattr(v, "_apidoc")
                 and v.__module__ == module.__name__]
        assert views and all(getattr(v, "scope", None) for v in views), module.__name__

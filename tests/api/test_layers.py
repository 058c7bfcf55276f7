"""The API calls services only, like the pages: no SQLAlchemy, store or workflow imports."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

API = Path(__file__).resolve().parents[2] / "web" / "api"
FORBIDDEN = ("sqlalchemy", "engine.store", "engine.workflow", "SpiffWorkflow")


@pytest.mark.parametrize("module", sorted(API.glob("*.py")), ids=lambda p: p.name)
def test_api_modules_import_no_lower_layers(module):
    tree = ast.parse(module.read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith(FORBIDDEN)]


def test_every_api_view_names_its_scope():
    from web.api import cases, instances, processes, referrals, work_items

    for module in (cases, instances, processes, referrals, work_items):
        found = [getattr(module, n) for n in dir(module)]
        views = [v for v in found if inspect.isfunction(v) and hasattr(v, "_apidoc")
                 and v.__module__ == module.__name__]
        assert views and all(getattr(v, "scope", None) for v in views), module.__name__

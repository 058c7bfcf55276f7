"""The web layer calls services only: no SQLAlchemy, store or workflow imports (DESIGN.md, the picture)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

WEB = Path(__file__).resolve().parents[2] / "web"
FORBIDDEN = ("sqlalchemy", "engine.store", "engine.workflow", "SpiffWorkflow")


@pytest.mark.parametrize("module", sorted(WEB.glob("*.py")), ids=lambda p: p.name)
def test_web_modules_import_no_lower_layers(module):
    tree = ast.parse(module.read_text())
    names = [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    names += [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [n for n in names if n.startswith(FORBIDDEN)]

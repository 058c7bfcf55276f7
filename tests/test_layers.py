"""Arrows point one way (DESIGN.md): engine never imports web or Flask; Spiff stays in engine/workflow."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENGINE = sorted((ROOT / "engine").rglob("*.py"))


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: str(p.relative_to(ROOT)))
def test_engine_never_imports_the_web_layer(path):
    bad = {m for m in _imports(path) if m.split(".")[0] in ("web", "flask", "werkzeug", "flask_smorest")}
    assert not bad, f"{path} imports {bad}"


@pytest.mark.parametrize("path", ENGINE, ids=lambda p: str(p.relative_to(ROOT)))
def test_only_engine_workflow_touches_spiffworkflow(path):
    if "workflow" in path.relative_to(ROOT / "engine").parts[:1]:
        return
    bad = {m for m in _imports(path) if m.startswith("SpiffWorkflow")}
    assert not bad, f"{path} imports {bad}"


def test_web_never_touches_spiff_or_sqlalchemy_sessions():
    for path in sorted((ROOT / "web").rglob("*.py")):
        bad = {m for m in _imports(path) if m.startswith(("SpiffWorkflow", "sqlalchemy", "engine.store",
                                                           "engine.workflow"))}
        assert not bad, f"{path} imports {bad}"

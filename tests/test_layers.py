"""Arrows point one way: the layer map of docs/architecture.md, enforced over every module.

Reads every way a module can import another: ``import``, ``from ... import`` (relative too),
``__import__("...")`` and ``importlib.import_module("...")``, at module level and inside functions.
A module may import its own layer or a lower one, never a higher one; no import cycles anywhere in
``engine``, ``web`` and ``cli``; and three boundaries stay closed: only ``engine/workflow`` touches
SpiffWorkflow, nothing in ``engine`` touches Flask, and ``web`` never touches SQLAlchemy, the store or
the workflow package. The last tests show the checker catching each kind of wrong-way import.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("engine", "web", "cli")

# Top to bottom. A module belongs to the layer of its longest matching prefix.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("entry points", ("cli", "web.wsgi")),
    ("interfaces", ("web", "engine.scheduler", "engine.insight", "engine.demo")),
    ("composition root", ("engine.bootstrap",)),
    ("use cases", ("engine.cases", "engine.work", "engine.processes", "engine.people", "engine.clocks",
                   "engine.alerts", "engine.patterns", "engine.programme")),
    ("route operations", ("engine.operations",)),
    ("runtime", ("engine.runtime",)),
    ("building blocks", ("engine.workflow", "engine.forms", "engine.calendar", "engine.access", "engine.audit")),
    ("store", ("engine.store",)),
    ("ground", ("engine.errors", "engine.config", "engine")),
)
# Third-party boundaries: (importing prefix, forbidden prefixes, unless the importer is under `allowed`).
CLOSED = (
    ("engine", ("flask", "werkzeug", "flask_smorest", "jinja2"), ()),
    ("engine", ("SpiffWorkflow",), ("engine.workflow",)),
    ("web", ("sqlalchemy", "SpiffWorkflow", "engine.store", "engine.workflow"), ()),
)
DYNAMIC = {"__import__", "import_module"}


@dataclass(frozen=True)
class Import:
    """One import found in a module: what it names and the line it is on."""

    target: str
    line: int


def module_name(root: Path, path: Path) -> str:
    """``engine/cases/intake.py`` -> ``engine.cases.intake``; a package's ``__init__`` is the package."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(root: Path) -> dict[str, Path]:
    """Every module of the checked packages under ``root`` (migrations are data, not code)."""
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")) if (root / package).is_dir() else ():
            if "migrations" not in path.parts:
                found[module_name(root, path)] = path
    return found


def imports_of(name: str, path: Path, known: set[str]) -> list[Import]:
    """Everything ``path`` imports, resolved to module names (submodules where a name is one)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: list[Import] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                found.append(Import(sub if sub in known else base, node.lineno))
        elif isinstance(node, ast.Call):
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func in DYNAMIC:
                arg = node.args[0] if node.args else None
                target = arg.value if isinstance(arg, ast.Constant) and isinstance(arg.value, str) else "<computed>"
                found.append(Import(target, node.lineno))
    return found


def layer_of(name: str) -> int | None:
    """Index of the layer a module belongs to (0 is the top), or None for a module outside the map."""
    best: tuple[int, int] | None = None
    for index, (_title, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if (name == prefix or name.startswith(prefix + ".")) and (best is None or len(prefix) > best[1]):
                best = (index, len(prefix))
    return None if best is None else best[0]


def own_module(target: str, known: set[str]) -> str | None:
    """The checked module an import names (its longest known prefix), or None for a third-party one."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        candidate = ".".join(parts[:end])
        if candidate in known:
            return candidate
    return None


def wrong_way_imports(root: Path) -> list[str]:
    """Every import that points up the layer map, crosses a closed boundary, or cannot be read."""
    found = modules(root)
    known = set(found)
    problems = []
    for name, path in found.items():
        mine = layer_of(name)
        where = f"{path.relative_to(root)}"
        if mine is None:
            problems.append(f"{where}: {name} is in no layer of the map")
            continue
        for imp in imports_of(name, path, known):
            if imp.target == "<computed>":
                problems.append(f"{where}:{imp.line} imports a computed module name")
                continue
            target = own_module(imp.target, known)
            if target is not None and (theirs := layer_of(target)) is not None and theirs < mine:
                problems.append(f"{where}:{imp.line} ({LAYERS[mine][0]}) imports {target} ({LAYERS[theirs][0]})")
            for importer, forbidden, allowed in CLOSED:
                if name.startswith(importer) and imp.target.startswith(forbidden) and not name.startswith(allowed):
                    problems.append(f"{where}:{imp.line} imports {imp.target}, which {importer} must not touch")
    return problems


def import_cycles(root: Path) -> list[list[str]]:
    """Strongly connected groups of modules (each a cycle), ignoring a module's use of its own packages."""
    found = modules(root)
    known = set(found)
    graph: dict[str, set[str]] = {}
    for name, path in found.items():
        targets = {own_module(i.target, known) for i in imports_of(name, path, known)}
        graph[name] = {t for t in targets if t and t != name and not name.startswith(t + ".")}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:  # Tarjan's strongly connected components
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_every_import_points_down_the_layer_map():
    assert wrong_way_imports(ROOT) == []


def test_there_are_no_import_cycles():
    assert import_cycles(ROOT) == []


# --- the checker itself: a deliberately wrong tree must be caught ----------------------------------

def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    for package in PACKAGES:
        (tmp_path / package).mkdir(exist_ok=True)
        (tmp_path / package / "__init__.py").touch()
    return tmp_path


@pytest.mark.parametrize("line", [
    "from engine.cases import intake",
    "import engine.cases.intake",
    "from ..cases import intake",
    "def f():\n    from engine.cases.intake import refer\n",
    "__import__('engine.cases.intake', fromlist=['x'])",
    "import importlib\nimportlib.import_module('engine.cases.intake')",
    "from importlib import import_module\nimport_module('engine.cases.intake')",
])
def test_the_checker_catches_a_store_module_importing_a_use_case(tmp_path, line):
    root = _tree(tmp_path, {"engine/cases/__init__.py": "", "engine/cases/intake.py": "",
                            "engine/store/__init__.py": "", "engine/store/bad.py": line + "\n"})
    [problem] = wrong_way_imports(root)
    assert problem.startswith("engine/store/bad.py:") and "(store) imports engine.cases" in problem


def test_the_checker_catches_computed_names_closed_boundaries_and_cycles(tmp_path):
    root = _tree(tmp_path, {
        "engine/store/__init__.py": "", "engine/store/a.py": "from engine.store import b\n",
        "engine/store/b.py": "import engine.store.a\n", "engine/cases/__init__.py": "",
        "engine/cases/dyn.py": "name = 'web'\n__import__(name)\n", "engine/cases/spiff.py": "import SpiffWorkflow\n",
        "web/__init__.py": "", "web/page.py": "from engine.store import a\n",
        "engine/cases/up.py": "import web.page\n",
    })
    problems = "\n".join(wrong_way_imports(root))
    assert "engine/cases/dyn.py:2 imports a computed module name" in problems
    assert "engine/cases/spiff.py:1 imports SpiffWorkflow" in problems
    assert "web/page.py:1 imports engine.store" in problems
    assert "engine/cases/up.py:1 (use cases) imports web.page (interfaces)" in problems
    assert import_cycles(root) == [["engine.store.a", "engine.store.b"]]


def test_the_checker_accepts_a_clean_tree(tmp_path):
    root = _tree(tmp_path, {"engine/store/__init__.py": "", "engine/store/models.py": "import sqlalchemy\n",
                            "engine/cases/__init__.py": "",
                            "engine/cases/intake.py": "from engine.store import models\nfrom . import views\n",
                            "engine/cases/views.py": "from engine.store.models import x\n"})
    assert wrong_way_imports(root) == []
    assert import_cycles(root) == []

"""Deploy-time bounds on what an expression or a timer literal says, so no element can never evaluate.

The safe evaluator refuses ``9**9**9**9``, ``working_days(10**12)``, ``P99999999Y`` and an unknown
timescale when it meets them, which keeps the server safe; but it meets them only when a case reaches
the element, and then every start or completion there fails and the work item can never be finished.
Each of them is written in the diagram, so Check and Deploy refuse them up front, at the element:

- every part of an expression made only of literals is worked out now with the same safe evaluator
  (refused there, refused here), and a number it gives may not pass ``MAX_NUMBER``;
- a literal count given to ``working_days``, ``days``, ``hours`` or ``months`` stays within what they
  accept at run time (``MAX_OFFSET``);
- ``timescale`` names its timescale as text, and the name is one the council has configured;
- an ISO 8601 duration (a timer, a due date, or text an expression gives) spans at most ``MAX_DURATION``,
  and a repeating timer repeats at most ``MAX_REPEATS`` times.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Collection
from datetime import timedelta

from engine.errors import ExpressionError
from engine.workflow.expressions import ALIASES, SAFE_BUILTINS, Expression, _Evaluator, is_iso8601_literal
from engine.workflow.time_helpers import MAX_OFFSET

MAX_NUMBER = 10**15  # far beyond any count, amount or identifier a route compares, well inside a float
MAX_DURATION = timedelta(days=10 * 366)  # ten years: the longest statutory or local timescale is months
MAX_REPEATS = 1000
OFFSET_HELPERS = frozenset({"working_days", "days", "hours", "months"})
TIMESCALE_NAME = re.compile(r"[a-z][a-z0-9_]{0,79}")
_PARTS = re.compile(r"(\d+(?:[.,]\d+)?)([YMWDHS])")
_UNIT_DAYS = {"Y": 366.0, "W": 7.0, "D": 1.0, "H": 1 / 24, "S": 1 / 86400}


def literal_problems(expression: Expression, timescales: Collection[str] | None = None) -> list[str]:
    """What in ``expression`` can never be worked out at run time, in a modeller's words (empty: fine).

    ``timescales``: the configured timescale names (None: do not check names against a list).
    """
    problems: list[str] = []
    stack: list[ast.AST] = [expression.tree.body]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.expr) and _foldable(node):
            problems += _value_problems(node)
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            problems += _call_problems(node, timescales)
        stack.extend(ast.iter_child_nodes(node))
    return problems


def iso_literal_problems(text: str) -> list[str]:
    """Bounds on a bare ISO 8601 timer or due date: a duration's span and a cycle's repetitions."""
    text = text.strip()
    problems: list[str] = []
    if text.startswith("R"):
        count = text[1:].split("/", 1)[0]
        if count and int(count) > MAX_REPEATS:
            problems.append(f"a timer may repeat at most {MAX_REPEATS} times, not {count}")
    for part in text.split("/"):
        if part.startswith("P") and _span(part) > MAX_DURATION:
            problems.append(f"the duration {part} is longer than {MAX_DURATION.days // 366} years")
    return problems


def _span(duration: str) -> timedelta:
    """An ISO 8601 duration's longest possible length (a month as 31 days, a year as 366)."""
    date_part, _, time_part = duration[1:].partition("T")
    days = 0.0
    for amount, unit in _PARTS.findall(date_part):
        days += float(amount.replace(",", ".")) * (31.0 if unit == "M" else _UNIT_DAYS[unit])
    for amount, unit in _PARTS.findall(time_part):
        days += float(amount.replace(",", ".")) * (1 / 1440 if unit == "M" else _UNIT_DAYS[unit])
    return timedelta(days=min(days, 10**8))  # beyond ~270,000 years timedelta itself overflows


def _foldable(node: ast.AST) -> bool:
    """True when the node reads no task data and calls nothing: its value is known at deploy."""
    for part in ast.walk(node):
        if isinstance(part, ast.Call | ast.Attribute) or (isinstance(part, ast.Name) and part.id not in ALIASES):
            return False
    return True


def _value_problems(node: ast.AST) -> list[str]:
    source = ast.unparse(node)
    try:
        value = _Evaluator({}, dict(SAFE_BUILTINS)).eval(source, previously_parsed=node)
    except Exception as exc:  # the run-time evaluator would refuse it the same way, every time
        return [f"'{source[:80]}' can never be worked out: {_reason(exc)}"]
    if isinstance(value, int | float) and not isinstance(value, bool) and abs(value) > MAX_NUMBER:
        return [f"the number {source[:40]} is too large (at most {MAX_NUMBER:.0e})"]
    if isinstance(value, str) and is_iso8601_literal(value):
        return iso_literal_problems(value)
    return []


def _call_problems(node: ast.Call, timescales: Collection[str] | None) -> list[str]:
    name, first = node.func.id, node.args[0] if node.args else None
    if name in OFFSET_HELPERS and first is not None and _foldable(first):
        value = _constant(first)
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_OFFSET:
            return [f"{name}({ast.unparse(first)[:40]}) is out of range (at most {MAX_OFFSET})"]
    if name == "timescale":
        return _timescale_problems(first, timescales)
    return []


def _timescale_problems(first: ast.expr | None, timescales: Collection[str] | None) -> list[str]:
    if not (isinstance(first, ast.Constant) and isinstance(first.value, str)):
        return ["timescale() needs the timescale's name written as text, for example timescale('screening')"]
    name = first.value
    if not TIMESCALE_NAME.fullmatch(name):
        return [f"'{name[:40]}' is not a timescale name (lower-case letters, digits and underscores)"]
    if timescales is not None and name not in timescales:
        return [f"no timescale called '{name}' is configured; known: {', '.join(sorted(timescales)) or 'none'}"]
    return []


def _constant(node: ast.AST) -> object:
    try:
        return _Evaluator({}, dict(SAFE_BUILTINS)).eval(ast.unparse(node), previously_parsed=node)
    except Exception:  # reported by _value_problems when the node is folded on its own
        return None


def _reason(exc: BaseException) -> str:
    return exc.message if isinstance(exc, ExpressionError) else (str(exc) or type(exc).__name__)

"""Safe expressions for gateway conditions, DMN cells, due dates and timers (docs/decisions.md, D3).

Nothing here calls Python's eval: the text is parsed with ``ast``, checked against an allow-list of
node types and helper names, then walked by a restricted simpleeval evaluator. Spiff's own engine is
not a sandbox (reference notes 1.9, G14), so models never reach it with raw Python.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any

from simpleeval import DEFAULT_OPERATORS, EvalWithCompoundTypes

from engine.errors import ExpressionError

MAX_TEXT_LENGTH = 2000
MAX_NODES = 500
MAX_DEPTH = 60  # each level costs ~3 Python frames in the evaluator
MAX_EXPONENT = 100
MAX_INT_BITS = 4096
MAX_STRING_LENGTH = 100_000
MAX_COLLECTION_SIZE = 10_000

TIME_HELPERS = frozenset({"now", "working_days", "days", "hours", "months", "timescale", "date", "iso"})
STR_METHODS = frozenset({"lower", "upper", "strip", "startswith", "endswith"})
MAPPING_METHODS = frozenset({"get"})
ALIASES = {"true": True, "false": False, "null": None}

_SCALARS = (str, int, float, bool, type(None), date)
_SEQUENCES = (str, bytes, list, tuple)


def _round(value: float, ndigits: int | None = None) -> float:
    """round() whose ndigits cannot force a huge power of ten."""
    if ndigits is not None and abs(ndigits) > 100:
        raise ValueError("round() ndigits must be between -100 and 100")
    return round(value, ndigits)


SAFE_BUILTINS: dict[str, Callable[..., Any]] = {
    f.__name__: f for f in (len, str, int, float, bool, min, max, abs, any, all, sorted)
} | {"round": _round}
HELPER_NAMES = frozenset(SAFE_BUILTINS) | TIME_HELPERS

_ARITHMETIC = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.USub, ast.UAdd)
_COMPARISONS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot)
_ALLOWED_OPERATORS = (*_ARITHMETIC, *_COMPARISONS, ast.Not, ast.And, ast.Or)
_EXPRESSION_NODES = (ast.Expression, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.IfExp, ast.Compare, ast.Call)
_VALUE_NODES = (ast.keyword, ast.Constant, ast.Attribute, ast.Subscript, ast.Slice, ast.Name, ast.Load)
_ALLOWED_NODES = (
    *_ALLOWED_OPERATORS,
    *_EXPRESSION_NODES,
    *_VALUE_NODES,
    ast.List,
    ast.Tuple,
    ast.Dict,
    ast.Set,
)
_REFUSED_OPERATORS = {ast.BitOr: "|", ast.BitAnd: "&", ast.BitXor: "^", ast.LShift: "<<", ast.RShift: ">>"}
_REFUSALS: dict[type, str] = {
    ast.Lambda: "Lambda functions are not allowed",
    ast.ListComp: "Comprehensions are not allowed; put that logic in a named service operation",
    ast.SetComp: "Comprehensions are not allowed; put that logic in a named service operation",
    ast.DictComp: "Comprehensions are not allowed; put that logic in a named service operation",
    ast.GeneratorExp: "Generator expressions are not allowed; put that logic in a named service operation",
    ast.NamedExpr: "Assignment (:=) is not allowed in an expression",
    ast.Starred: "Unpacking with * is not allowed",
    ast.JoinedStr: "f-strings are not allowed; join text with + and str()",
}
# Camunda users often write JUEL/JavaScript operators; point them at the Python spelling.
_SYNTAX_HINTS = {
    r"&&": "use 'and' instead of '&&'",
    r"\|\|": "use 'or' instead of '||'",
    r"!(?!=)": "use 'not' instead of '!'",
    r"===": "use '==' instead of '==='",
    r"(?<![=!<>])=(?!=)": "use '==' to compare (assignment is not allowed)",
}


def strip_expression(text: str) -> str:
    """The expression inside Camunda's ``${...}`` or ``#{...}`` wrapper (or the bare text), trimmed."""
    text = text.strip()
    if text[:2] in ("${", "#{") and text.endswith("}"):
        return text[2:-1].strip()
    return text


_DURATION = (
    r"P(?=\d|T\d)(?:\d+Y)?(?:\d+M)?(?:\d+W)?(?:\d+D)?"
    r"(?:T(?=\d)(?:\d+H)?(?:\d+M)?(?:\d+(?:[.,]\d+)?S)?)?"
)
_DATETIME = r"\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_DURATION_RE = re.compile(_DURATION)
_DATETIME_RE = re.compile(_DATETIME)
_CYCLE_RE = re.compile(rf"R\d*/(?:{_DURATION}|{_DATETIME}/{_DURATION}|{_DURATION}/{_DATETIME})")


def is_iso8601_literal(text: str) -> bool:
    """True for a bare ISO 8601 duration (PT24H), repeating cycle (R3/P6M) or date/date-time."""
    text = text.strip()
    if _DURATION_RE.fullmatch(text) or _CYCLE_RE.fullmatch(text):
        return True
    if _DATETIME_RE.fullmatch(text):
        try:
            datetime.fromisoformat(text)
        except ValueError:
            return False
        return True
    return False


@dataclass(frozen=True)
class Expression:
    """A parsed, statically checked expression; evaluate it as often as needed."""

    text: str
    source: str
    tree: ast.Expression
    names: frozenset[str]

    def evaluate(self, names: Mapping[str, Any], functions: Mapping[str, Callable] | None = None) -> Any:
        """The value of the expression over ``names`` (task data); raises ExpressionError on failure."""
        evaluator = _Evaluator(names, {**SAFE_BUILTINS, **(functions or {})})
        try:
            return evaluator.eval(self.source, previously_parsed=self.tree.body)
        except Exception as exc:  # every failure, helpers' included, becomes one error the modeller sees
            raise ExpressionError(
                f"Cannot evaluate '{self.source}': {_describe(exc)}", expression=self.source
            ) from exc


def evaluate(text: str, names: Mapping[str, Any], functions: Mapping[str, Callable] | None = None) -> Any:
    """Compile (cached) and evaluate ``text`` in one call."""
    return compile_expression(text).evaluate(names, functions)


@lru_cache(maxsize=2048)
def compile_expression(text: str) -> Expression:
    """Parse and statically check an expression; raises ExpressionError saying what to change."""
    if not isinstance(text, str):
        raise ExpressionError(f"An expression must be text, not {type(text).__name__}")
    if len(text) > MAX_TEXT_LENGTH:
        raise ExpressionError(
            f"Expression is too long ({len(text)} characters; at most {MAX_TEXT_LENGTH})",
            expression=text[:80],
        )
    source = strip_expression(text)
    if not source:
        raise ExpressionError("Expression is empty", expression=text)
    if "${" in source or "#{" in source:
        raise ExpressionError(f"Write the whole expression inside one ${{...}}: {text}", expression=text)
    tree = _parse(source)
    _check_size(tree, source)
    nodes = list(ast.walk(tree))
    for node in nodes:
        _check_node(node, source)
    for node in nodes:  # after the node checks, so "lambda" is reported rather than "cannot call"
        if isinstance(node, ast.Call):
            _check_call(node, source)
    return Expression(text, source, tree, _free_names(tree))


def _parse(source: str) -> ast.Expression:
    """ast.parse in eval mode, with a message a modeller can act on."""
    try:
        return ast.parse(source, mode="eval")
    except SyntaxError as exc:
        hints = [hint for pattern, hint in _SYNTAX_HINTS.items() if re.search(pattern, source)]
        column = exc.offset if exc.offset and exc.offset <= len(source) else None
        where = f"column {column}" if column else "at the end"
        detail = f"{exc.msg} ({where})" + (f"; {', '.join(hints)}" if hints else "")
        raise ExpressionError(
            f"Syntax error in '{source}': {detail}", expression=source, column=column
        ) from None
    except (ValueError, RecursionError, MemoryError) as exc:
        raise ExpressionError(f"Cannot read '{source}': {exc}", expression=source) from None


def _check_size(tree: ast.Expression, source: str) -> None:
    """Refuse expressions with too many nodes or nested too deeply (walked without recursion)."""
    count, stack = 0, [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        count += isinstance(node, ast.expr | ast.keyword)  # operators and contexts are not parts
        if count > MAX_NODES or depth > MAX_DEPTH:
            limit = f"at most {MAX_NODES} parts" if count > MAX_NODES else f"nested at most {MAX_DEPTH} deep"
            raise ExpressionError(f"Expression is too complex ({limit}): {source[:80]}", expression=source)
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_node(node: ast.AST, source: str) -> None:
    """Refuse one node that could escape the sandbox or that a modeller should not need."""
    name = node.id if isinstance(node, ast.Name) else getattr(node, "attr", None)
    if isinstance(node, ast.keyword):
        name = node.arg
        if name is None:
            _refuse("Unpacking with ** is not allowed", source)
    if isinstance(name, str) and name.startswith("_"):
        _refuse(f"Names starting with an underscore are not allowed: {name}", source)
    if type(node) in _REFUSALS:
        _refuse(_REFUSALS[type(node)], source)
    if not isinstance(node, _ALLOWED_NODES):
        _refuse(f"{_kind(node)} is not available in expressions", source)
    if isinstance(node, ast.Constant) and isinstance(node.value, bytes):
        _refuse("Byte strings are not available", source)
    if isinstance(node, ast.Dict) and None in node.keys:
        _refuse("Unpacking with ** is not allowed", source)


def _check_call(node: ast.Call, source: str) -> None:
    """Calls may only name an allowed helper, or an allowed method of text or a record."""
    func = node.func
    if isinstance(func, ast.Name):
        if func.id.startswith("_"):
            _refuse(f"Names starting with an underscore are not allowed: {func.id}", source)
        if func.id not in HELPER_NAMES:
            _refuse(
                f"Function '{func.id}' is not available; available: {', '.join(sorted(HELPER_NAMES))}", source
            )
    elif isinstance(func, ast.Attribute):
        if func.attr.startswith("_"):
            _refuse(f"Names starting with an underscore are not allowed: {func.attr}", source)
        if func.attr not in STR_METHODS | MAPPING_METHODS:
            methods = ", ".join(sorted(STR_METHODS | MAPPING_METHODS))
            _refuse(f"Method '{func.attr}' is not available; available: {methods}", source)
    else:
        _refuse("Only helper functions and text/record methods can be called", source)


def _kind(node: ast.AST) -> str:
    """Human name of a node type: the operator symbol when there is one."""
    symbol = _REFUSED_OPERATORS.get(type(node))
    return f"Operator '{symbol}'" if symbol else type(node).__name__


def _refuse(message: str, source: str) -> None:
    """Raise the compile-time refusal for ``source``."""
    raise ExpressionError(f"{message} (in '{source}')", expression=source)


def _free_names(tree: ast.Expression) -> frozenset[str]:
    """Task-data names the expression reads (helpers and true/false/null excluded)."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    return frozenset(
        n.id
        for n in ast.walk(tree)
        if isinstance(n, ast.Name) and id(n) not in called and n.id not in ALIASES
    )


class _Refused(Exception):
    """An evaluation-time refusal; its text is the cause shown to the modeller."""


def _describe(exc: BaseException) -> str:
    """The cause of an evaluation failure in a modeller's words."""
    if isinstance(exc, KeyError):
        return f"key {exc.args[0]!r} not found"
    if isinstance(exc, IndexError):
        return "index out of range"
    if isinstance(exc, RecursionError):
        return "expression is nested too deeply"
    return str(exc) or type(exc).__name__


def _check_length(value: Any, length: int) -> None:
    """Refuse a text or collection that would exceed the limits, before it is built."""
    limit = MAX_STRING_LENGTH if isinstance(value, str) else MAX_COLLECTION_SIZE
    if length > limit:
        kind = "text" if isinstance(value, str) else "collection"
        raise _Refused(f"result would be too long ({length} items in a {kind}; at most {limit})")


def _multiply(a: Any, b: Any) -> Any:
    """a * b, refusing repetition that would build a huge text or list."""
    for seq, times in ((a, b), (b, a)):
        if isinstance(seq, _SEQUENCES) and isinstance(times, int):
            _check_length(seq, len(seq) * times)
            if times > 1 and not all(isinstance(item, _SCALARS) for item in seq):
                raise _Refused("repeating a list of lists is not allowed")
    return a * b


def _add(a: Any, b: Any) -> Any:
    """a + b, refusing concatenation past the length limits."""
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        _check_length(a, len(a) + len(b))
    return a + b


def _power(a: Any, b: Any) -> Any:
    """a ** b with a bounded exponent and result size."""
    if isinstance(b, int | float) and abs(b) > MAX_EXPONENT:
        raise _Refused(f"exponent {b} is too large (at most {MAX_EXPONENT})")
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a).bit_length() * b > MAX_INT_BITS:
        raise _Refused(f"{a} ** {b} is too large")
    return a**b


def _modulo(a: Any, b: Any) -> Any:
    """a % b for numbers only: '%' text formatting can build huge strings."""
    if isinstance(a, str | bytes):
        raise _Refused("text formatting with % is not available; join text with + and str()")
    return a % b


# simpleeval's comparison and arithmetic operators, with ours where a result could grow without bound.
_EVAL_OPERATORS: dict[type, Callable[..., Any]] = {
    **{kind: func for kind, func in DEFAULT_OPERATORS.items() if kind in _ALLOWED_OPERATORS},
    ast.Add: _add,
    ast.Mult: _multiply,
    ast.Mod: _modulo,
    ast.Pow: _power,
}


class _Evaluator(EvalWithCompoundTypes):
    """simpleeval restricted further: records by key, a few methods, no fallback to functions by name."""

    def __init__(self, names: Mapping[str, Any], functions: dict[str, Callable[..., Any]]) -> None:
        super().__init__(operators=dict(_EVAL_OPERATORS), functions=functions, names=names)
        # Defence in depth: drop handlers for statements, comprehensions and f-strings even though
        # compile_expression already refused them.
        self.nodes = {kind: handler for kind, handler in self.nodes.items() if kind in _ALLOWED_NODES}

    def _eval(self, node: ast.AST) -> Any:
        value = super()._eval(node)
        if isinstance(value, (*_SEQUENCES, dict, set)):
            _check_length(value, len(value))
        return value

    def _eval_name(self, node: ast.Name) -> Any:
        # Camunda users write true/false/null; these win over task data of the same name. A missing
        # name is an error, never None, so a typo cannot silently route a referral down the wrong flow.
        if node.id in ALIASES:
            return ALIASES[node.id]
        if isinstance(self.names, Mapping) and node.id in self.names:
            return self.names[node.id]
        raise _Refused(f"'{node.id}' is not defined")

    def _eval_attribute(self, node: ast.Attribute) -> Any:
        record = self._eval(node.value)
        if not isinstance(record, Mapping):
            raise _Refused(
                f"'.{node.attr}' is not available on {type(record).__name__} values; "
                "dotted access only reads fields of a record"
            )
        if node.attr not in record:
            raise _Refused(f"'{ast.unparse(node.value)}' has no field '{node.attr}'")
        return record[node.attr]

    def _eval_subscript(self, node: ast.Subscript) -> Any:
        container = self._eval(node.value)
        if not isinstance(container, Mapping | list | tuple | str):
            raise _Refused(f"cannot look up items in a {type(container).__name__} value")
        return container[self._eval(node.slice)]

    def _eval_call(self, node: ast.Call) -> Any:
        func = self._callable(node.func)
        args = [self._eval(arg) for arg in node.args]
        return func(*args, **{kw.arg: self._eval(kw.value) for kw in node.keywords})

    def _callable(self, func: ast.expr) -> Callable[..., Any]:
        """The function or bound method a call names, if it is allowed on that value."""
        if isinstance(func, ast.Name):
            if func.id in HELPER_NAMES and func.id in self.functions:
                return self.functions[func.id]
            raise _Refused(f"function '{func.id}' is not available here")
        assert isinstance(func, ast.Attribute)  # compile_expression allows nothing else
        target = self._eval(func.value)
        if (isinstance(target, str) and func.attr in STR_METHODS) or (
            isinstance(target, Mapping) and func.attr in MAPPING_METHODS
        ):
            return getattr(target, func.attr)
        raise _Refused(f"method '{func.attr}' is not available on {type(target).__name__} values")

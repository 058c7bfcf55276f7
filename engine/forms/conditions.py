"""form-js ``conditional.hide`` expressions, decided on the server (docs/decisions.md, D28).

form-js writes them in FEEL (``=accept_recommendation != "no"``, ``=not(persons_or_premises_of_concern)``).
The subset a form may use (comparisons, ``and``, ``or``, ``not(...)``, text, numbers, true/false/null and
dotted names) is turned into the safe evaluator's syntax and evaluated there; a name nobody answered is
null, as in FEEL. A field whose hide condition holds is neither shown nor validated.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from engine.errors import ExpressionError
from engine.workflow.expressions import Expression, compile_expression

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_EQUALS = re.compile(r"(?<![!<>=])=(?!=)")
_NOT_EQUAL_VALUE = re.compile(r'^([A-Za-z_][A-Za-z0-9_.]*)\s*!=\s*"([^"]*)"$')
_NOT_NAME = re.compile(r"^not\s*\(\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)$")


def feel_to_safe(feel: str) -> str:
    """FEEL's subset in the safe evaluator's syntax: ``=`` compares, the leading ``=`` goes."""
    text = feel.strip().removeprefix("=").strip()
    parts, last = [], 0
    for match in _STRING.finditer(text):
        parts.append(_EQUALS.sub("==", text[last:match.start()]))
        parts.append(match.group(0))
        last = match.end()
    parts.append(_EQUALS.sub("==", text[last:]))
    return "".join(parts)


@lru_cache(maxsize=512)
def compiled(feel: str) -> Expression:
    """The hide condition compiled once; raises ExpressionError when it is outside the subset."""
    return compile_expression(feel_to_safe(feel))


def check_condition(feel: str) -> str | None:
    """None when the condition can be decided on the server, else what is wrong with it."""
    try:
        compiled(feel)
    except ExpressionError as exc:
        return exc.message
    return None


def is_hidden(feel: str, answers: Mapping[str, Any]) -> bool:
    """True when the hide condition holds for these answers (an undecidable one hides nothing)."""
    try:
        expression = compiled(feel)
        names = {name: _value(answers, name) for name in expression.names}
        return bool(expression.evaluate(names))
    except ExpressionError:
        return False


def revealed_by(feel: str) -> tuple[str, Any] | None:
    """The answer that shows the field, when the condition is the usual "hide unless X is chosen".

    ``=kind != "school"`` is shown by choosing "school" for ``kind``; ``=not(ticked)`` by ticking ``ticked``.
    Pages use it for GOV.UK's conditional reveal; anything else is decided from the posted answers.
    """
    text = feel.strip().removeprefix("=").strip()
    found = _NOT_EQUAL_VALUE.match(text)
    if found:
        return found.group(1), found.group(2)
    found = _NOT_NAME.match(text)
    if found:
        return found.group(1), True
    return None


def _value(answers: Mapping[str, Any], name: str) -> Any:
    value: Any = answers
    for part in name.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value

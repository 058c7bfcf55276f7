"""Which version a new start runs, and pilot rules: a pilot version starts only for cases its rule matches.

Each process has one current version (the highest ``current_order``: the newest ordinary deploy, or a
pilot since promoted) and any number of active pilots. A new case starts on the newest active pilot
whose rule its data meets, else on the current version. A pilot stays active until it is promoted,
withdrawn or replaced by its next version (docs/decisions.md, D55): deploying a new current version
does not end it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy.orm import Session

from engine.errors import InvalidProcess, NotFound, Problem
from engine.store import hotpath

# (version id, pilot rule, pilot ended, current order), newest first: hotpath.version_choices.
Choice = tuple[int, Mapping[str, Any] | None, bool, int | None]


def choose_version(session: Session, process_id: str, data: Mapping[str, Any] | None) -> int:
    """The version a new start uses: the newest active pilot whose rule matches the data, else the current one.

    Raises NotFound when nothing is deployed.
    """
    rows = hotpath.version_choices(session.connection(), process_id)  # on every start: raw SQL
    if not rows:
        raise NotFound(f"No process '{process_id}' has been deployed")
    return pick_version(rows, data or {})


def pick_version(rows: Sequence[Choice], data: Mapping[str, Any]) -> int:
    """``choose_version``'s rule over rows already read (newest first)."""
    for version_id, rule, ended, _order in rows:
        if rule and not ended and pilot_matches(rule, data):
            return version_id
    return current_of(rows)


def current_of(rows: Sequence[Choice]) -> int:
    """The current version among rows (newest first): the highest current order.

    When only pilots were ever deployed, the oldest active one stands in for the ordinary route.
    """
    ordered = [(order, version_id) for version_id, _rule, _ended, order in rows if order is not None]
    if ordered:
        return max(ordered)[1]
    active = [version_id for version_id, _rule, ended, _order in rows if not ended]
    return (active or [rows[-1][0]])[-1]


def pilot_matches(rule: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """True when the case's data meets every condition of a pilot rule."""
    if "field" in rule:
        value = data.get(str(rule["field"]))
        if "in" in rule:
            return value in list(rule["in"])
        return value == rule.get("equals")
    return all(data.get(key) == wanted for key, wanted in rule.items())


def rule_in_words(rule: Mapping[str, Any] | None) -> str:
    """A pilot rule as people read it: ``Context type is Public space``; "" for no rule."""
    if not rule:
        return ""
    if "field" in rule:
        wanted = rule["in"] if "in" in rule else [rule.get("equals")]
        return f"{_words(rule['field'])} is {' or '.join(_value(v) for v in wanted)}"
    return " and ".join(f"{_words(key)} is {_value(value)}" for key, value in rule.items())


def _words(name: Any) -> str:
    text = " ".join(str(name).replace(".", " ").replace("_", " ").split())
    return text[:1].upper() + text[1:]


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if value is None:
        return "not given"
    return _words(value) if isinstance(value, str) else str(value)


def check_pilot_rule(rule: Any) -> list[Problem]:
    """Problems with a pilot rule as an admin typed it (empty when usable)."""
    if rule is None:
        return []
    if not isinstance(rule, dict) or not rule:
        return [Problem("", 'A pilot rule is a set of conditions, e.g. {"field": "context_type", '
                            '"equals": "school"} or {"team": "north"}')]
    if "field" in rule and not str(rule["field"]).strip():
        return [Problem("", "A pilot rule needs the name of the field it tests")]
    if "field" in rule and not ({"equals", "in"} & set(rule)):
        return [Problem("", "A pilot rule with a field needs 'equals' or 'in'")]
    if "equals" in rule and rule["equals"] in (None, ""):
        return [Problem("", "A pilot rule needs the value the field must equal")]
    if "in" in rule and not isinstance(rule["in"], list):
        return [Problem("", "A pilot rule's 'in' is a list of values")]
    return []


def require_pilot_rule(rule: Any) -> dict[str, Any] | None:
    """The rule if usable; raises InvalidProcess naming the problem."""
    problems = check_pilot_rule(rule)
    if problems:
        raise InvalidProcess(problems)
    return dict(rule) if rule else None

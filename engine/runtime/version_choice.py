"""Which version a new start runs, and pilot rules: a pilot version starts only for cases its rule matches."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.errors import InvalidProcess, NotFound, Problem
from engine.store import hotpath


def choose_version(session: Session, process_id: str, data: Mapping[str, Any] | None) -> int:
    """The version a new start uses: a newer pilot whose rule matches the data, else the newest ordinary one.

    Raises NotFound when nothing is deployed.
    """
    rows = hotpath.version_choices(session.connection(), process_id)  # on every start: raw SQL
    if not rows:
        raise NotFound(f"No process '{process_id}' has been deployed")
    for version_id, rule in rows:
        if not rule:
            return version_id  # pilots older than the newest ordinary version have been superseded
        if pilot_matches(rule, data or {}):
            return version_id
    return rows[-1][0]  # only pilots deployed: the oldest stands in for the ordinary route


def pilot_matches(rule: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """True when the case's data meets every condition of a pilot rule."""
    if "field" in rule:
        value = data.get(str(rule["field"]))
        if "in" in rule:
            return value in list(rule["in"])
        return value == rule.get("equals")
    return all(data.get(key) == wanted for key, wanted in rule.items())


def check_pilot_rule(rule: Any) -> list[Problem]:
    """Problems with a pilot rule as an admin typed it (empty when usable)."""
    if rule is None:
        return []
    if not isinstance(rule, dict) or not rule:
        return [Problem("", 'A pilot rule is a set of conditions, e.g. {"field": "context_type", '
                            '"equals": "school"} or {"team": "north"}')]
    if "field" in rule and not ({"equals", "in"} & set(rule)):
        return [Problem("", "A pilot rule with a field needs 'equals' or 'in'")]
    if "in" in rule and not isinstance(rule["in"], list):
        return [Problem("", "A pilot rule's 'in' is a list of values")]
    return []


def require_pilot_rule(rule: Any) -> dict[str, Any] | None:
    """The rule if usable; raises InvalidProcess naming the problem."""
    problems = check_pilot_rule(rule)
    if problems:
        raise InvalidProcess(problems)
    return dict(rule) if rule else None

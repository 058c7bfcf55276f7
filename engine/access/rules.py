"""Who may see a work item (a task page). Whether someone may see a *case* is need_to_know.py's rule.

A task is seen by whoever holds it, whoever completed it, and the members of the groups it is offered
to (they must read it to decide whether to claim it). Seeing a task does not open its case: the case
needs need-to-know (engine/access/need_to_know.py), which claiming the task then gives.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Viewer:
    """The person asking, as the access rules need them."""

    username: str
    role: str
    groups: frozenset[str]


@dataclass(frozen=True)
class WorkSeen:
    """One work item as the access rules need it."""

    groups: tuple[str, ...]
    assignee: str | None
    completed_by: str | None


def can_view_item(viewer: Viewer, item: WorkSeen) -> bool:
    """A work item is visible to its holder, its completer and members of the groups it is offered to."""
    if not viewer.role:  # disabled or unknown: fail closed
        return False
    if viewer.username in (item.assignee, item.completed_by):
        return True
    return bool(viewer.groups & set(item.groups))


# Any partner agency may refer (Working Together 2023, ch. 2: anyone with a concern should refer);
# administrators and read-only reviewers act on the system, not on children.
ROLES_NOT_REFERRING = frozenset({"admin", "reviewer"})


def can_refer(role: str) -> bool:
    """True when someone in ``role`` may use the front-door referral pages."""
    return bool(role) and role not in ROLES_NOT_REFERRING

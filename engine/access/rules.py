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


# docs/domain.md: a protected address (a refuge, a move away from someone who may harm the child) is hidden
# everywhere the child appears. Hiding it can never put a child at risk, so anyone working on the child
# may do it; showing it again could, so only a manager or the CS lead may (both see every case). The
# administrator may protect only after breaking glass, which tells the case's manager. Reviewers only read.
ROLES_PROTECTING_ADDRESSES = frozenset({"front_door", "practitioner", "chair", "manager", "cs_lead", "admin"})
ROLES_REMOVING_ADDRESS_PROTECTION = frozenset({"manager", "cs_lead"})


def can_protect_address(role: str, may_open_case: bool) -> bool:
    """True when someone in ``role`` may protect a child's address (only on a case they may open)."""
    return may_open_case and role in ROLES_PROTECTING_ADDRESSES


def can_remove_address_protection(role: str, may_open_case: bool) -> bool:
    """True when someone in ``role`` may show a protected address again (a senior decision; a case they may open)."""
    return may_open_case and role in ROLES_REMOVING_ADDRESS_PROTECTION


def can_start_process(viewer: Viewer, starter_groups: frozenset[str], starter_users: frozenset[str]) -> bool:
    """True when the process names ``viewer`` as a candidate starter, by user name or by one of their groups.

    A process that names no starters cannot be started this way (fail closed): the referral routes start
    only through the front door, which records the referral and its case first.
    """
    if not viewer.role:  # disabled or unknown
        return False
    return viewer.username in starter_users or bool(viewer.groups & starter_groups)

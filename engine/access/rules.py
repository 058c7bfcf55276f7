"""Who may see what: one place for the need-to-know rules, failing closed (STYLE: access in one helper).

Issue 4 item 7: a person sees a case when they hold or held work on it, or their role covers the front
door or managing the service. Break-glass access is not built yet, so everyone else is refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# Roles whose job is to see every case that comes through the front door.
OVERSIGHT_ROLES = frozenset({"front_door", "manager", "cs_lead", "admin"})


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
    if viewer.username in (item.assignee, item.completed_by):
        return True
    return bool(viewer.groups & set(item.groups))


def can_view(viewer: Viewer, work: Iterable[WorkSeen]) -> bool:
    """A case (instance) is visible to oversight roles and to anyone who holds or held work on it."""
    if viewer.role in OVERSIGHT_ROLES:
        return True
    return any(can_view_item(viewer, item) for item in work)

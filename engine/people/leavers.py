"""Someone leaves or goes on long leave: disable their account and say where the work they hold goes.

Disabling always ends their sessions and gives anything they hold back to its groups
(engine/people/accounts.py); the administrator may instead name a person or a group to take it over.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine.errors import InvalidFormData
from engine.people.accounts import set_active
from engine.runtime.services import Services
from engine.store.models import WorkItem
from engine.work.items import move, require_reason
from engine.work.oversight import check_target


def disable_person(svc: Services, person: str, actor: str, reason: str = "", *, to_user: str | None = None,
                   to_group: str | None = None) -> dict[str, Any]:
    """Disable an account; what it holds goes to the person or group named, or else back to each item's
    groups; audited. Raises NotFound, or InvalidFormData for a missing reason or an unusable target."""
    moved = 0
    if to_user == person:
        raise InvalidFormData({"to_user": ["Choose someone else to take over the work"]})
    if to_user or to_group:
        require_reason(reason, "Give the reason the work moves")
        with svc.db.transaction() as session:
            check_target(session, to_user, to_group)
            items = session.scalars(select(WorkItem).where(WorkItem.assignee == person,
                                                           WorkItem.status == "open")).all()
            for item in items:
                move(svc, session, item, actor, reason.strip(), to_user, to_group)
            moved = len(items)
    set_active(svc, person, False, actor)
    return {"username": person, "active": False, "handed_over": moved, "to_user": to_user, "to_group": to_group}

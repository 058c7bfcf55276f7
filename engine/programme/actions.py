"""Programme actions: the troubleshooting items of governance meetings and the action plans of system reviews,
each a task for the group that owns it, tracked to done; the open ones are offered to the next review."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.programme.agencies import owner_name
from engine.programme.readers import audit_view, local_today, require_reader
from engine.runtime.services import Services
from engine.store.cases import PendingStart
from engine.store.models import WorkItem
from engine.store.programme import ProgrammeAction

SOURCES = {"meeting": "Governance meeting", "review": "System review"}


@dataclass(frozen=True)
class ActionView:
    """One action as the programme pages show it."""

    id: int
    text: str
    owner_group: str
    owner: str
    due_on: date | None
    status: str
    overdue: bool
    outcome: str
    closed_on: date | None
    closed_by: str | None
    source: str
    source_words: str
    source_instance_id: int
    pilot: bool
    work_item_id: int | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: (v.isoformat() if isinstance(v, date) else v) for k, v in asdict(self).items()}


def list_actions(session: Session, today: date, *, source: str | None = None,
                 source_instance_ids: Iterable[int] | None = None, status: str | None = None) -> list[ActionView]:
    """Actions, oldest first, with the open task of each (if its route is still waiting for it)."""
    query = select(ProgrammeAction).order_by(ProgrammeAction.id)
    if source:
        query = query.where(ProgrammeAction.source == source)
    if source_instance_ids is not None:
        query = query.where(ProgrammeAction.source_instance_id.in_(list(source_instance_ids)))
    if status:
        query = query.where(ProgrammeAction.status == status)
    rows = session.scalars(query).all()
    tasks = _open_tasks(session, [r.pending_start_id for r in rows if r.status == "open" and r.pending_start_id])
    return [_view(r, today, tasks.get(r.pending_start_id)) for r in rows]


def outstanding_actions(session: Session, today: date) -> list[ActionView]:
    """Every action still open: the evidence offered to the next system review."""
    return list_actions(session, today, status="open")


def action_page(svc: Services, viewer: str, action_id: int) -> ActionView:
    """One action for the programme's action page; raises NotFound or NotPermitted; audited."""
    with svc.db.transaction() as session:
        require_reader(session, viewer)
        row = session.get(ProgrammeAction, action_id)
        if row is None:
            raise NotFound(f"There is no programme action {action_id}")
        audit_view(session, svc.now(), viewer, "action", action_id=action_id)
        tasks = _open_tasks(session, [row.pending_start_id] if row.pending_start_id else [])
        return _view(row, local_today(svc), tasks.get(row.pending_start_id))


def _open_tasks(session: Session, pending_start_ids: list[int | None]) -> dict[int, int]:
    """Pending start id -> the open work item of the action route it started."""
    wanted = [i for i in pending_start_ids if i]
    if not wanted:
        return {}
    found = session.execute(select(PendingStart.id, WorkItem.id)
                            .join(WorkItem, WorkItem.instance_id == PendingStart.started_instance_id)
                            .where(PendingStart.id.in_(wanted), WorkItem.status == "open")).all()
    return dict(found)


def _view(row: ProgrammeAction, today: date, work_item_id: int | None) -> ActionView:
    overdue = row.status == "open" and row.due_on is not None and row.due_on < today
    return ActionView(row.id, row.text, row.owner_group, owner_name(row.owner_group), row.due_on, row.status,
                      overdue, row.outcome, row.closed_on, row.closed_by, row.source,
                      SOURCES.get(row.source, row.source), row.source_instance_id, row.pilot, work_item_id)

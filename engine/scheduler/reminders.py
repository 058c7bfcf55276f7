"""Due-soon, overdue and escalation reminders for open work items, and the daily digest per person.

Progress per work item lives in ``work_item_reminders`` (stage + when the next stage is due), so an
idle tick reads two small index ranges instead of every open work item.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import Select, and_, exists, literal, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.alerts.notifications import active_members, notify, users_with_role
from engine.config import ReminderPolicy
from engine.people.directory import groups_of
from engine.runtime.services import Services
from engine.store.clocks import Notification, WorkItemReminder
from engine.store.models import User, WorkItem, WorkItemGroup

NEXT_STAGE = {"due_soon": "overdue", "overdue": "escalated"}


def raise_reminders(svc: Services, policy: ReminderPolicy, limit: int = 500) -> tuple[int, int]:
    """Start reminders for items entering the due-soon window and move others on; (reminded, escalated)."""
    reminded = escalated = 0
    for item_id in _newly_due_items(svc, policy, limit):
        reminded += _start_reminders(svc, policy, item_id)
    for item_id, stage in _stages_due(svc, limit):
        moved = _advance(svc, policy, item_id, stage)
        escalated += moved == "escalated"
        reminded += moved == "overdue"
    return reminded, escalated


def newly_due_query(svc: Services, policy: ReminderPolicy) -> Select:
    """Open items entering the due-soon window that have no reminders yet."""
    horizon = svc.now() + timedelta(hours=policy.due_soon_hours)
    return select(WorkItem.id).where(WorkItem.status == "open", WorkItem.due_at.is_not(None),
                                     WorkItem.due_at <= horizon,
                                     ~exists().where(WorkItemReminder.work_item_id == WorkItem.id))


def stages_due_query(svc: Services) -> Select:
    """Reminder rows whose next stage (overdue, escalated) has come."""
    return select(WorkItemReminder.work_item_id, WorkItemReminder.stage).where(
        WorkItemReminder.stage.in_(NEXT_STAGE), WorkItemReminder.next_at <= svc.now())


def _newly_due_items(svc: Services, policy: ReminderPolicy, limit: int) -> list[int]:
    with svc.db.read() as session:
        return list(session.scalars(newly_due_query(svc, policy).order_by(WorkItem.due_at, WorkItem.id)
                                    .limit(limit)))


def _stages_due(svc: Services, limit: int) -> list[tuple[int, str]]:
    with svc.db.read() as session:
        rows = session.execute(stages_due_query(svc).order_by(WorkItemReminder.next_at).limit(limit))
        return [(r[0], r[1]) for r in rows]


def _start_reminders(svc: Services, policy: ReminderPolicy, item_id: int) -> int:
    """Claim the item by inserting its reminder row (the primary key decides who wins), then notify."""
    now = svc.now()
    with svc.db.transaction() as session:
        item = session.get(WorkItem, item_id)
        if item is None or item.status != "open" or item.due_at is None:
            return 0
        stage = "overdue" if item.due_at <= now else "due_soon"
        next_at = _escalate_at(svc, policy, item) if stage == "overdue" else item.due_at
        insert = sqlite_insert if svc.db.is_sqlite else pg_insert
        won = session.execute(insert(WorkItemReminder).values(
            work_item_id=item.id, stage=stage, next_at=next_at, updated_at=now)
            .on_conflict_do_nothing(index_elements=["work_item_id"])
            .returning(WorkItemReminder.work_item_id)).first()
        if won is None:  # another scheduler started this item's reminders first
            return 0
        _notify_people(svc, session, item, stage, _workers(session, item), now)
        return 1


def _advance(svc: Services, policy: ReminderPolicy, item_id: int, stage: str) -> str | None:
    """Move one item's reminders to the next stage with a conditional update; returns the new stage."""
    now = svc.now()
    with svc.db.transaction() as session:
        item = session.get(WorkItem, item_id)
        new = NEXT_STAGE[stage] if item is not None and item.status == "open" else "closed"
        next_at = _escalate_at(svc, policy, item) if new == "overdue" else None
        won = session.execute(update(WorkItemReminder).where(
            WorkItemReminder.work_item_id == item_id, WorkItemReminder.stage == stage)
            .values(stage=new, next_at=next_at, updated_at=now)
            .execution_options(synchronize_session=False)).rowcount
        if won != 1 or new == "closed":
            return None
        people = users_with_role(session, policy.manager_role) if new == "escalated" else _workers(session, item)
        _notify_people(svc, session, item, "escalation" if new == "escalated" else new, people, now)
        return new


def _escalate_at(svc: Services, policy: ReminderPolicy, item: WorkItem) -> datetime:
    return svc.timescales.calendar.add_working_days(item.due_at, policy.escalation_grace_working_days)


def _workers(session: Session, item: WorkItem) -> list[str]:
    """The assignee, or else every active member of the item's groups."""
    if item.assignee:
        return [item.assignee]
    return active_members(session, [g for g in item.groups.split(",") if g])


def _notify_people(svc: Services, session: Session, item: WorkItem, kind: str, people: list[str],
                   now: datetime) -> None:
    due = svc.timescales.calendar.describe_due(item.due_at, now)
    where = f" on case {item.case_ref}" if item.case_ref else ""
    text = {"due_soon": f"'{item.name}'{where} is {due}.",
            "overdue": f"'{item.name}'{where} is {due}.",
            "escalation": f"Escalation: '{item.name}'{where} is {due} and still open "
                          f"({item.assignee or 'unassigned, offered to ' + (item.groups or 'nobody')})."}[kind]
    for person in people:
        notify(session, recipient=person, kind=kind, dedupe_key=f"{kind}:work_item:{item.id}:{person}", text=text,
               at=now, subject_type="work_item", subject_id=item.id, case_ref=item.case_ref)


def digest_query(svc: Services, policy: ReminderPolicy) -> Select | None:
    """Active people without today's digest, once the digest hour has come (UK time); else None."""
    local = svc.timescales.calendar.to_local(svc.now())
    if local.hour < policy.digest_hour:
        return None
    key = literal("digest:") + User.username + literal(f":{local.date().isoformat()}")
    return select(User.username).where(User.active.is_(True), ~exists().where(Notification.dedupe_key == key))


def raise_digests(svc: Services, policy: ReminderPolicy, limit: int = 500) -> int:
    """Once per UK calendar day, after the digest hour, tell each active person what is open for them."""
    query = digest_query(svc, policy)
    if query is None:
        return 0
    suffix = f":{svc.timescales.calendar.to_local(svc.now()).date().isoformat()}"
    with svc.db.read() as session:
        people = list(session.scalars(query.order_by(User.username).limit(limit)))
    for person in people:
        with svc.db.transaction() as session:
            _digest_for(svc, session, person, f"digest:{person}{suffix}")
    return len(people)


def _digest_for(svc: Services, session: Session, person: str, key: str) -> None:
    now = svc.now()
    mine = or_(WorkItem.assignee == person, and_(WorkItem.assignee.is_(None), WorkItem.id.in_(
        select(WorkItemGroup.work_item_id).where(WorkItemGroup.group_id.in_(groups_of(session, person)),
                                                 WorkItemGroup.open.is_(True)))))
    items = session.scalars(select(WorkItem).where(WorkItem.status == "open", mine)
                            .order_by(WorkItem.due_at.is_(None), WorkItem.due_at).limit(50)).all()
    overdue = sum(1 for w in items if w.due_at is not None and w.due_at < now)
    lines = [f"- {w.name}{' (' + w.case_ref + ')' if w.case_ref else ''}: "
             f"{svc.timescales.calendar.describe_due(w.due_at, now) if w.due_at else 'no due date'}" for w in items]
    text = (f"{len(items)} open task(s) for you, {overdue} overdue.\n" + "\n".join(lines)) if items \
        else "Nothing open for you today."
    created = notify(session, recipient=person, kind="digest", dedupe_key=key, text=text, at=now,
                     subject_type="user", subject_id=person, email=bool(items))
    if created and not items:  # a marker that today's digest is done; nothing worth an email or a badge
        session.execute(update(Notification).where(Notification.dedupe_key == key).values(read_at=now))

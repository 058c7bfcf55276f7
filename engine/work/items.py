"""Use cases on work items: list, claim, unclaim, reassign, save a draft, complete."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, or_, select

from engine import audit
from engine.access.rules import Viewer, WorkSeen, can_view_item
from engine.cases.form_files import check_task_files
from engine.cases.instance_page import audit_view
from engine.cases.record import RecordEntry, process_name
from engine.cases.references import check_references
from engine.cases.task_context import task_context
from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted, TaskAlreadyCompleted
from engine.forms import FormDefinition, validate_submission
from engine.people.directory import groups_of
from engine.runtime.idempotency import StepRetry
from engine.runtime.outbox import start_pending
from engine.runtime.saved_state import task_data
from engine.runtime.services import Services
from engine.runtime.steps import run_step
from engine.runtime.version_cache import load_version
from engine.store import hotpath, hotreads
from engine.store.models import Instance, User, WorkItem, WorkItemGroup
from engine.store.shapes import InstanceRow, WorkItemView, work_item_dict
from engine.work.oversight import check_target, inside_groups, manages

MAX_DRAFT_BYTES = 200_000  # a draft is one person's half-filled form; anything bigger is not that


def list_work_items(svc: Services, *, instance_id: int | None = None, group: str | None = None,
                    user: str | None = None, status: str = "open", limit: int = 200) -> list[dict[str, Any]]:
    """Work items filtered by instance, group or user (theirs plus their groups' unclaimed ones)."""
    with svc.db.read() as session:
        query = select(WorkItem).where(WorkItem.status == status)
        if instance_id is not None:
            query = query.where(WorkItem.instance_id == instance_id)
        if group is not None:
            query = query.where(WorkItem.id.in_(select(WorkItemGroup.work_item_id)
                                                .where(WorkItemGroup.group_id == group)))
        if user is not None:
            mine = groups_of(session, user)
            query = query.where(or_(WorkItem.assignee == user, (WorkItem.assignee.is_(None)) & WorkItem.id.in_(
                select(WorkItemGroup.work_item_id).where(WorkItemGroup.group_id.in_(mine)))))
        items = session.scalars(query.order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.id)
                                .limit(limit)).all()
        return [work_item_dict(w) for w in items]


def _item(session, work_item_id: int) -> WorkItem:
    item = session.get(WorkItem, work_item_id)
    if item is None:
        raise NotFound(f"Work item {work_item_id} does not exist")
    return item


def _open_item_for(session, work_item_id: int, actor: str) -> WorkItem:
    """The item, still open and one ``actor`` may act on; raises NotFound, TaskAlreadyCompleted or NotPermitted."""
    item = _item(session, work_item_id)
    if item.status != "open":
        raise already_done(item)
    check_may_act(session, item, actor)
    return item


def already_done(item) -> TaskAlreadyCompleted:
    """The error for acting on an item that is no longer open, naming who finished it and when."""
    when = item.completed_at.isoformat() if item.completed_at else "unknown time"
    verb = "completed" if item.status == "completed" else item.status
    return TaskAlreadyCompleted(f"'{item.name}' was already {verb} by {item.completed_by or 'the system'} "
                                f"at {when}", completed_by=item.completed_by, completed_at=when,
                                status=item.status)


def check_may_act(session, item, actor: str) -> None:
    """Only the assignee, or a member of a candidate group while it is unclaimed, may act on an item."""
    if item.assignee == actor:
        return
    if item.assignee is not None:
        raise NotPermitted(f"'{item.name}' is assigned to {item.assignee}")
    member = getattr(item, "actor_in_groups", None)  # answered by the item's own query on the hot path
    if member is None:
        member = bool(set(item.groups.split(",")) & set(hotpath.groups_of(session.connection(), actor)))
    if not member:
        raise NotPermitted(f"'{item.name}' is for {item.groups or 'nobody'}; you are not in those groups")


@dataclass(frozen=True)
class StepOutcome:
    """What a command left behind: the instance's status and its open work items (no history query)."""

    id: int
    status: str
    open_work_items: list[dict[str, Any]]


def complete_work_item(svc: Services, work_item_id: int, actor: str, data: Mapping[str, Any] | None = None,
                       *, read_answers: Callable[[FormDefinition | None], Mapping[str, Any]] | None = None,
                       retry: StepRetry | None = None) -> StepOutcome:
    """Validate the data against the item's form, complete the task and advance; one transaction.

    ``read_answers``, instead of ``data``, turns the caller's input into answers once the item's form is
    known (the web shell's form post), so the caller need not read the item and its form beforehand.
    ``retry`` (an Idempotency-Key) is claimed first and answered last in the same transaction.
    Raises TaskAlreadyCompleted (naming who and when), NotPermitted, InvalidFormData or Conflict;
    in every case nothing changes. A retry of a request answered before raises Replay.
    """
    with svc.db.step() as session:
        conn = session.connection()
        if retry is not None:
            retry.claim(conn, svc.now())
        item = hotpath.item_with_instance(conn, work_item_id, actor)
        if item is None:
            raise NotFound(f"Work item {work_item_id} does not exist")
        if item.status != "open":
            raise already_done(item)
        check_may_act(session, item, actor)
        row = InstanceRow.read(item, "i_")
        if row.status != "waiting":
            raise Conflict(f"The case's process is {row.status}; work on it is paused")
        clean = _validated(session, row, item, data or {}, read_answers)
        now = svc.now()
        if not hotpath.close_item(conn, item.id, actor, now):
            # another request completed it between our read and this conditional update
            raise already_done(hotpath.item_with_instance(conn, work_item_id))
        done = audit.row(at=now, actor=actor, action="task_completed", subject_type="work_item",
                         subject_id=item.id, instance_id=row.id, element_id=item.element_id,
                         case_ref=row.case_ref, fields=sorted(clean))
        run_step(svc, session, row, actor, lambda inst: inst.complete(item.task_id, clean),
                 closed=frozenset({item.task_id}), audit_rows=[done])
        items = row.open_items  # known without a query when the step created every open item
        if items is None:
            items = [work_item_dict(w) for w in hotpath.open_items(conn, row.id)]
        outcome = StepOutcome(row.id, row.status, items)
        if retry is not None:
            retry.keep(conn, outcome, now)
        starts_requested = session.info.get("start_requested", False)
    if starts_requested:  # a service task asked for another route (e.g. a child at immediate risk)
        start_pending(svc)
    return outcome


def _validated(session, row, item, data: Mapping[str, Any],
               read_answers: Callable[[FormDefinition | None], Mapping[str, Any]] | None = None) -> dict[str, Any]:
    version = load_version(session, row.version_id)
    form = version.form(item.form_ref)
    if read_answers is not None:
        data = read_answers(form)
    if form is None:
        if data:
            raise InvalidFormData({"": ["This task has no form, so it takes no data"]})
        return {}
    clean = validate_submission(form, data)
    check_references(session, form, clean)  # an unknown or closed case reference is named, never dropped
    check_task_files(session, form, clean, item.id)  # files only as documents attached to this task
    return clean


def claim(svc: Services, work_item_id: int, actor: str) -> dict[str, Any]:
    """Take an unclaimed item from one of your groups (a manager: any of their service's); Conflict if
    someone else took it first.

    On the hot path's SQL (engine/store/hotreads.py): one read of the item with whether ``actor`` is in
    its groups, one conditional update, one audit row, and no read-back (what changed is known). Only a
    claim outside the caller's groups asks the ORM whether they manage the item (D46).
    """
    with svc.db.step() as session:
        conn = session.connection()
        item = hotreads.item_for(conn, work_item_id, actor)
        if item is None:
            raise NotFound(f"Work item {work_item_id} does not exist")
        if item.status != "open":
            raise already_done(item)
        try:
            check_may_act(session, item, actor)
        except NotPermitted:  # recovering an unclaimed item is a manager's job (docs/decisions.md, D46)
            if item.assignee is not None or not manages(session.session, actor, item):
                raise
        if not hotreads.claim_item(conn, item.id, actor):
            holder = hotreads.item_for(conn, work_item_id, actor)
            raise Conflict(f"'{item.name}' was claimed by {holder.assignee if holder else 'someone else'} first")
        hotpath.add_audit(conn, [audit.row(at=svc.now(), actor=actor, action="task_claimed",
                                           subject_type="work_item", subject_id=item.id, case_ref=item.case_ref)])
        item.assignee = actor
        return work_item_dict(item)


def unclaim(svc: Services, work_item_id: int, actor: str, reason: str = "") -> dict[str, Any]:
    """Give an item you hold back to its groups; a manager may do it for someone else's, with a reason."""
    with svc.db.transaction() as session:
        item = _item(session, work_item_id)
        if item.status != "open":
            raise already_done(item)
        holder = item.assignee
        if holder != actor:
            if holder is None or not manages(session, actor, item):
                raise NotPermitted(f"'{item.name}' is not assigned to you")
            require_reason(reason, f"Give the reason you are taking this task from {holder}")
        item.assignee = None
        audit.record(session, at=svc.now(), actor=actor, action="task_unclaimed", subject_type="work_item",
                     subject_id=item.id, case_ref=item.case_ref, holder=holder,
                     **({"reason": reason.strip()} if reason.strip() else {}))
        return work_item_dict(item)


MIN_REASON = 10  # as for breaking glass: "cover" is not a reason a manager can weigh later


def require_reason(reason: str, message: str) -> None:
    """Refuse a missing or too short reason (InvalidFormData on ``reason``)."""
    if len((reason or "").strip()) < MIN_REASON:
        raise InvalidFormData({"reason": [f"{message} (at least {MIN_REASON} characters)"]})


def reassign(svc: Services, work_item_id: int, actor: str, reason: str, *, to_user: str | None = None,
             to_group: str | None = None) -> dict[str, Any]:
    """Hand an item to an active person or a real group, with a reason that is audited.

    Whoever holds it may hand it on inside its groups; a manager of its service (or the CS lead) may
    hand it to anyone, since the new holder then has need-to-know of the case (docs/decisions.md, D46).
    Raises InvalidFormData (no reason, no target, or a target that is unknown, disabled or empty),
    NotPermitted, NotFound or TaskAlreadyCompleted; in every case nothing changes.
    """
    require_reason(reason, "Enter a reason for reassigning")
    to_user, to_group = (to_user or "").strip() or None, (to_group or "").strip() or None
    if bool(to_user) == bool(to_group):
        raise InvalidFormData({"to": ["Choose either a person or a group"]})
    with svc.db.transaction() as session:
        item = _item(session, work_item_id)
        if item.status != "open":
            raise already_done(item)
        return reassign_in(svc, session, item, actor, reason.strip(), to_user, to_group)


def reassign_in(svc: Services, session, item: WorkItem, actor: str, reason: str, to_user: str | None,
                 to_group: str | None) -> dict[str, Any]:
    """Reassign one open item in the caller's transaction (the bulk moves use it too)."""
    manager = manages(session, actor, item)
    if item.assignee != actor and not manager:
        raise NotPermitted(f"Only whoever holds '{item.name}', or a manager of its service, can reassign it")
    check_target(session, to_user, to_group)
    if not manager and not inside_groups(session, item, to_user, to_group):
        raise NotPermitted(f"Only a manager can hand '{item.name}' outside {item.groups or 'its groups'}: the new "
                           "holder could then read the whole case")
    return move(svc, session, item, actor, reason, to_user, to_group, by_manager=manager)


def move(svc: Services, session, item: WorkItem, actor: str, reason: str, to_user: str | None,
         to_group: str | None, **audited: Any) -> dict[str, Any]:
    """Give the item to the (already checked) person or group and audit it with the reason."""
    before = {"assignee": item.assignee, "groups": item.groups}
    if to_user:
        item.assignee = to_user
    else:
        item.assignee = None
        item.groups = to_group
        session.execute(delete(WorkItemGroup).where(WorkItemGroup.work_item_id == item.id))
        session.add(WorkItemGroup(work_item_id=item.id, group_id=to_group, open=True))
    audit.record(session, at=svc.now(), actor=actor, action="task_reassigned", subject_type="work_item",
                 subject_id=item.id, reason=reason, before=before, to_user=to_user, to_group=to_group,
                 case_ref=item.case_ref, **audited)
    return work_item_dict(item)


@dataclass(frozen=True)
class TaskView:
    """What a task page shows: the item, its form and instructions, any draft, and whether you may act.

    ``context`` is the part of the record the task shows above its form; ``data`` is what the task sees
    of the instance (its form's templates and pre-filled answers read it); ``process`` is the route's name.
    """

    item: dict[str, Any]
    form: FormDefinition | None
    documentation: str
    draft: dict[str, Any] | None
    may_act: bool
    instance_status: str
    context: list[RecordEntry] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    process: str = ""


def viewer_of(session, username: str) -> Viewer:
    """The access rules' picture of an active user (a disabled or unknown one has no groups and no role)."""
    role = session.scalar(select(User.role).where(User.username == username, User.active.is_(True)))
    return Viewer(username, role or "", frozenset(groups_of(session, username)))


def work_seen(item: WorkItem) -> WorkSeen:
    """What the access rules need to know of a work item: its groups, holder, completer and case."""
    return WorkSeen(tuple(g for g in item.groups.split(",") if g), item.assignee, item.completed_by, item.case_ref)


def open_task(svc: Services, work_item_id: int, actor: str) -> TaskView:
    """A work item with its form, for its page; audited. Raises NotFound or NotPermitted.

    A refusal is audited too (``case_view_refused``, section ``task``), committed before it is raised,
    as the API's read of one work item does: the log of who tried to look stays complete.
    """
    with svc.db.transaction() as session:
        item = _item(session, work_item_id)
        if not can_view_item(viewer_of(session, actor), work_seen(item)):
            audit_view(session, svc.now(), actor, False, "work_item", item.id, item.case_ref, "task")
        else:
            return _task_view(svc, session, item, actor)
    raise NotPermitted("This task is not offered to you or your groups")


def _task_view(svc: Services, session, item: WorkItem, actor: str) -> TaskView:
    """The task page's view of an item ``actor`` may see; writes the ``task_viewed`` row."""
    row = session.get(Instance, item.instance_id)
    version = load_version(session, row.version_id)
    form = version.form(item.form_ref)
    may_act = item.status == "open" and row.status == "waiting"
    if may_act:
        try:
            check_may_act(session, item, actor)
        except NotPermitted:
            may_act = False
    context = task_context(session, actor, item, row, svc.now())
    audit.record(session, at=svc.now(), actor=actor, action="task_viewed", subject_type="work_item",
                 subject_id=item.id, case_ref=item.case_ref, shown=[e.anchor for e in context])
    shown = WorkItemView.of(item).seen_at(svc.timescales.calendar, svc.now()).to_dict()
    data = task_data(row.state, item.task_id) if item.status == "open" else {}
    return TaskView(shown, form, item.documentation, item.draft, may_act, row.status, context, data,
                    process_name(version, item.process_id))


def save_draft(svc: Services, work_item_id: int, actor: str, data: Mapping[str, Any]) -> None:
    """Keep unfinished answers on the item (unchecked: a draft may be incomplete). Raises as completing does."""
    if len(json.dumps(data, default=str)) > MAX_DRAFT_BYTES:
        raise InvalidFormData({"": ["This draft is too large to save"]})
    with svc.db.transaction() as session:
        item = _open_item_for(session, work_item_id, actor)
        item.draft = dict(data)
        audit.record(session, at=svc.now(), actor=actor, action="task_draft_saved", subject_type="work_item",
                     subject_id=item.id, case_ref=item.case_ref)


def what_happens_next(svc: Services, work_item_id: int, actor: str) -> dict[str, Any]:
    """After you complete an item: the item and its case's open work items. Raises NotFound or NotPermitted."""
    with svc.db.read() as session:
        item = _item(session, work_item_id)
        if item.completed_by != actor:
            with svc.db.transaction() as writing:  # the refused look is audited, as on the task page
                audit_view(writing, svc.now(), actor, False, "work_item", item.id, item.case_ref, "task_done")
            raise NotPermitted("You did not complete this task")
        row = session.get(Instance, item.instance_id)
        following = session.scalars(select(WorkItem).where(WorkItem.instance_id == item.instance_id,
                                                            WorkItem.status == "open").order_by(WorkItem.id)).all()
        return {"item": work_item_dict(item), "instance_status": row.status,
                "next": [work_item_dict(w) for w in following]}

"""Use cases: a dry run of moving running instances to another version, then the move itself.

Each instance moves in its own transaction: one that fails rolls back and is left exactly as it was,
and the rest carry on. Armed timers keep their due times (engine.workflow.migration). Audited.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, replace

from sqlalchemy import select, update

from engine import audit
from engine.errors import FrontdoorError, NotFound
from engine.processes.versions import version_row_id
from engine.runtime.services import Services
from engine.runtime.steps import restore, save
from engine.runtime.version_cache import load_version
from engine.store.models import Instance, WorkItem, WorkItemGroup
from engine.workflow.migration import check_migration, migrate

MOVABLE_STATUSES = ("waiting", "suspended")
log = logging.getLogger("frontdoor.migrate")


@dataclass(frozen=True)
class InstanceMove:
    """One instance in a dry run or a batch: whether it can move (or moved), and why not."""

    instance_id: int
    case_ref: str | None
    status: str
    can_move: bool
    reasons: tuple[str, ...]
    waiting_at: tuple[str, ...] = ()
    timers_kept: tuple[str, ...] = ()
    moved: bool = False


def dry_run(svc: Services, process_id: str, old: int, new: int,
            instance_ids: Iterable[int] | None = None) -> list[InstanceMove]:
    """For each chosen instance (all running ones when None) on the old version: can it move, and why not."""
    with svc.db.read() as session:
        source = version_row_id(session, process_id, old)
        target = load_version(session, version_row_id(session, process_id, new))
        rows = _instances(session, source, instance_ids)
        return [_check(svc, session, row, target) for row in rows]


def move_instances(svc: Services, process_id: str, old: int, new: int, instance_ids: Iterable[int] | None,
                   actor: str) -> list[InstanceMove]:
    """Move every movable chosen instance, each in its own transaction; returns what happened to each."""
    with svc.db.read() as session:
        source = version_row_id(session, process_id, old)
        ids = [row.id for row in _instances(session, source, instance_ids)]
    results = [_move_one(svc, instance_id, process_id, source, new, actor) for instance_id in ids]
    with svc.db.transaction() as session:
        audit.record(session, at=svc.now(), actor=actor, action="instances_migrated", subject_type="process",
                     subject_id=process_id, from_version=old, to_version=new,
                     moved=[r.instance_id for r in results if r.moved],
                     refused=[r.instance_id for r in results if not r.moved])
    return results


def _instances(session, version_id: int, instance_ids: Iterable[int] | None) -> list[Instance]:
    query = select(Instance).where(Instance.version_id == version_id).order_by(Instance.id)
    if instance_ids is None:
        return list(session.scalars(query.where(Instance.status.in_(("running", *MOVABLE_STATUSES, "failed")))))
    wanted = {int(i) for i in instance_ids}
    rows = list(session.scalars(query.where(Instance.id.in_(wanted))))
    missing = wanted - {r.id for r in rows}
    if missing:
        raise NotFound(f"Instance(s) {', '.join(map(str, sorted(missing)))} are not on that version")
    return rows


def _check(svc: Services, session, row: Instance, target) -> InstanceMove:
    if row.status not in MOVABLE_STATUSES:
        return InstanceMove(row.id, row.case_ref, row.status, False,
                            (f"It is {row.status}; only waiting or suspended instances can move",))
    live, _ = restore(svc, session, row, "system")
    check = check_migration(live, target.bundle)
    return InstanceMove(row.id, row.case_ref, row.status, check.can_move, check.reasons, check.waiting_at,
                        check.timers_kept)


def _move_one(svc: Services, instance_id: int, process_id: str, source: int, new: int,
              actor: str) -> InstanceMove:
    try:
        with svc.db.transaction() as session:
            row = session.get(Instance, instance_id)
            target = load_version(session, version_row_id(session, process_id, new))
            found = _check(svc, session, row, target) if row.version_id == source else None
            if found is None or not found.can_move:
                return found or InstanceMove(instance_id, row.case_ref, row.status, False,
                                             ("It has already moved to another version",))
            _apply(svc, session, row, target, actor)
            audit.record(session, at=svc.now(), actor=actor, action="instance_migrated", subject_type="instance",
                         subject_id=row.id, process_id=process_id, from_version_id=source,
                         to_version=new, timers_kept=list(found.timers_kept))
            return replace(found, moved=True)
    except FrontdoorError as exc:
        return InstanceMove(instance_id, None, "unchanged", False, (f"The move failed: {exc.message}",))
    except Exception as exc:  # a Spiff failure: the transaction rolled back, so the instance is unchanged
        log.exception("migration of instance %s failed", instance_id)
        return InstanceMove(instance_id, None, "unchanged", False,
                            (f"The move failed: {exc.__class__.__name__}",))


def _apply(svc: Services, session, row: Instance, target, actor: str) -> None:
    """Migrate, settle the engine, save under the optimistic lock, then point the row at the new version."""
    live, _ = restore(svc, session, row, actor)
    moved = migrate(live, target.bundle)
    suspended = row.status == "suspended"
    result = moved.advance()
    save(svc, session, row, moved, result, actor)
    session.execute(update(Instance).where(Instance.id == row.id).values(version_id=target.version_id))
    if suspended:  # save() writes waiting/completed; a suspended instance stays suspended
        session.execute(update(Instance).where(Instance.id == row.id).values(status="suspended"))
    _refresh_open_items(session, row.id, moved.open_tasks())


def _refresh_open_items(session, instance_id: int, open_tasks) -> None:
    """Open work items kept their task ids; give them the new version's name, form, groups and priority."""
    for task in open_tasks:
        item_id = session.scalar(select(WorkItem.id).where(WorkItem.instance_id == instance_id,
                                                           WorkItem.task_id == task.task_id,
                                                           WorkItem.status == "open"))
        if item_id is None:
            continue
        groups = list(task.attrs.get("groups", []))
        session.execute(update(WorkItem).where(WorkItem.id == item_id).values(
            name=task.name, form_ref=task.attrs.get("formRef"), groups=",".join(groups),
            documentation=task.documentation))
        session.execute(WorkItemGroup.__table__.delete().where(WorkItemGroup.work_item_id == item_id))
        if groups:
            session.execute(WorkItemGroup.__table__.insert(),
                            [{"work_item_id": item_id, "group_id": g, "open": True} for g in groups])

"""Files attached through a task's form: stored as documents on the task and on its case.

Whoever may act on the task (its holder, or a member of its groups while it is unclaimed) may attach a
file to it through one of its form's file pickers, as they may answer the form; the case's own pages
still need need-to-know. The file is checked, scanned and stored like any document
(engine/cases/documents.py), and only the kinds the picker's ``accept`` names are taken.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.rules import can_view_item
from engine.cases.documents import Upload, record_document, store_upload
from engine.cases.file_checks import kinds_accepting, refuse
from engine.cases.records import live_case
from engine.errors import NotFound, NotPermitted
from engine.forms import Field
from engine.runtime.services import Services
from engine.runtime.version_cache import load_version
from engine.store.casework import Document
from engine.store.models import Instance, WorkItem
from engine.work.items import check_may_act, viewer_of, work_seen


def attach_to_task(svc: Services, work_item_id: int, field: str, upload: Upload, actor: str) -> dict[str, Any]:
    """Check, scan and store a file sent through the picker ``field``, then record it on the task and its case.

    Audited; a refusal changes nothing. Raises InvalidFormData (the reason on ``file``), NotFound or
    NotPermitted.
    """
    with svc.db.read() as session:
        picker = _picker(session, _open_item(session, work_item_id, actor), field)
    stored = store_upload(svc, upload, kinds_accepting(picker.accept))
    with svc.db.transaction() as session:
        item = _open_item(session, work_item_id, actor)
        return record_document(session, svc, live_case(session, item.case_ref), stored, actor,
                               work_item_id=item.id)


def task_file_names(svc: Services, work_item_id: int, viewer: str) -> dict[int, str]:
    """The files attached to a task (id -> name) for someone who may see the task; none for anyone else."""
    with svc.db.read() as session:
        item = session.get(WorkItem, work_item_id)
        if item is None or not can_view_item(viewer_of(session, viewer), work_seen(item)):
            return {}
        return dict(session.execute(select(Document.id, Document.file_name).where(
            Document.work_item_id == work_item_id, Document.deleted_at.is_(None))).all())


def _open_item(session: Session, work_item_id: int, actor: str) -> WorkItem:
    item = session.get(WorkItem, work_item_id)
    if item is None:
        raise NotFound(f"Work item {work_item_id} does not exist")
    if item.status != "open":
        raise NotPermitted(f"'{item.name}' is already {item.status}: files can no longer be attached to it")
    check_may_act(session, item, actor)
    if not item.case_ref:
        raise refuse("This task is not on a case, so a file cannot be attached to it")
    return item


def _picker(session: Session, item: WorkItem, field: str) -> Field:
    """The task form's file picker named ``field``; anything else is refused."""
    version_id = session.scalar(select(Instance.version_id).where(Instance.id == item.instance_id))
    form = load_version(session, version_id).form(item.form_ref)
    found = next((f for f in form.iter_fields() if f.type == "filepicker" and f.path == field), None) \
        if form else None
    if found is None:
        raise refuse("This task's form takes no file there")
    return found

"""What a task page shows above its form: the parts of the record the task needs (docs/decisions.md, D21).

The diagram declares it: a user task's ``camunda:properties`` entry ``shows`` names ``subject`` (the
child's or the context's details, with household members and associates), ``referral`` (the referral that
started the route), and earlier user tasks or forms of the same route, whose completed answers are shown
newest first. Everything goes through the one record renderer (engine/cases/record.py), so need-to-know
and protected addresses apply as on the case page.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.cases.record import Masks, Reader, RecordEntry, process_name
from engine.cases.views import PROTECTED
from engine.forms.answers import Answer
from engine.forms.words import date_words
from engine.store.cases import Case, Child, Context, Referral
from engine.store.models import Instance, WorkItem
from engine.workflow.specs import shown_names

# Referral answers that describe the subject: a child's household and the people and places around them,
# a context's kind, name and location.
CHILD_PARTS = ("household", "contextual")
CONTEXT_PARTS = ("context_type", "public_space_type", "context_name", "location", "school_urn", "online_platform",
                 "peer_group_size")


def task_context(session: Session, viewer: str, item: WorkItem, row: Instance, now: datetime) -> list[RecordEntry]:
    """The record entries the task's diagram says it shows, in the order it names them."""
    case = session.scalar(select(Case).where(Case.ref == row.case_ref)) if row.case_ref else None
    reader = Reader(session, Masks(session, viewer, case, now))
    meta = reader.version(row).bundle.element(item.process_id, item.element_id)
    entries: list[RecordEntry] = []
    for name in shown_names(meta.attrs.get("shows") if meta else None):
        if name == "subject":
            entries += _subject(reader, case, row)
        elif name == "referral":
            entries += _referral(reader, row)
        else:
            entries += _earlier(reader, row, item, name)
    return entries


def _referral(reader: Reader, row: Instance) -> list[RecordEntry]:
    referral = reader.session.scalar(select(Referral).where(Referral.process_instance_id == row.id))
    entry = reader.referral_entry(row, referral)
    return [entry] if entry is not None else []


def _earlier(reader: Reader, row: Instance, item: WorkItem, name: str) -> list[RecordEntry]:
    """Completed tasks of this route (its called processes too) of that element or on that form."""
    done = reader.session.scalars(
        select(WorkItem).where(WorkItem.instance_id == row.id, WorkItem.status == "completed",
                               WorkItem.id != item.id, (WorkItem.element_id == name) | (WorkItem.form_ref == name))
        .order_by(WorkItem.completed_at.desc(), WorkItem.id.desc())).all()
    return [reader.task_entry(w, row) for w in done]


def _subject(reader: Reader, case: Case | None, row: Instance) -> list[RecordEntry]:
    if case is None:
        return []
    referral = _referral(reader, row)
    answers = referral[0].sections if referral else []
    version = reader.version(row)
    if case.subject_type == "child":
        child = reader.session.get(Child, case.id)
        sections = [*_child_facts(child), *[a for a in answers if a.path in CHILD_PARTS]]
        title = "The child"
    else:
        sections = [a for a in answers if a.path in CONTEXT_PARTS] or _context_facts(reader.session.get(Context,
                                                                                                          case.id))
        title = "The context"
    return [RecordEntry("subject", title, process_name(version, row.process_id), None, None, sections,
                        instance_id=row.id)]


def _child_facts(child: Child) -> list[Answer]:
    hidden = child.protected_address
    pairs: list[tuple[str, Any]] = [
        ("Name", f"{child.first_name} {child.last_name}"),
        ("Date of birth", date_words(child.dob.isoformat()) if child.dob else None),
        ("Address", PROTECTED if hidden else child.address), ("Postcode", None if hidden else child.postcode),
        ("School", child.school), ("NHS number", child.nhs_number)]
    return [Answer(label, value) for label, value in pairs if value]


def _context_facts(ctx: Context) -> list[Answer]:
    pairs = [("Name", ctx.name), ("Kind of context", ctx.type.replace("_", " ").capitalize()),
             ("Address", ctx.address), ("Postcode", ctx.postcode)]
    return [Answer(label, value) for label, value in pairs if value]

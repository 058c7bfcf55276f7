"""The record people can read: every referral and completed task of a case, rendered from its form.

One renderer (docs/decisions.md, D20) for the case page, a task page's context, the instance page, the
print view and ``GET /api/v1/cases/{ref}/record``. A task's answers are rendered from the form of the
version it ran on and the data saved with it (engine/runtime/saved_state.py); need-to-know is applied
inside, by the ``Masks`` the caller's viewer gets: a protected address is withheld, and a child's
reference shows only to someone who may open that child's case.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.need_to_know import may_see_case
from engine.cases.instance_page import InstancePage, view_instance
from engine.cases.timeline import event_words
from engine.cases.views import PROTECTED, CaseView, get_case
from engine.forms import Field
from engine.forms.answers import Answer, render_answers
from engine.runtime.saved_state import loaded, start_data, task_data
from engine.runtime.services import Services
from engine.runtime.version_cache import LoadedVersion, load_version
from engine.store.cases import Case, Child, Referral
from engine.store.models import Instance, User, WorkItem

# The form a route's referral was made on (engine/cases/intake.py uses the same pairs).
REFERRAL_FORMS = {"context_referral": "ctx_referral", "child_referral": "child_referral"}
UNSEEN_CHILD = "A child you are not involved with"


@dataclass(frozen=True)
class RecordEntry:
    """One referral or one completed task: who, when, and the answers in form order."""

    kind: str
    task: str
    process: str
    completed_by: str | None
    completed_at: datetime | None
    sections: list[Answer]
    completed_by_name: str = ""
    element_id: str = ""
    work_item_id: int | None = None
    instance_id: int | None = None

    @property
    def anchor(self) -> str:
        """A stable id for the contents list and links."""
        return f"task-{self.work_item_id}" if self.work_item_id else f"{self.kind}-{self.instance_id or 0}"

    def to_dict(self) -> dict[str, Any]:
        """The contract's shape: ``task``, ``completed_by``, ``completed_at``, ``sections`` of label and value."""
        return {"kind": self.kind, "task": self.task, "process": self.process, "completed_by": self.completed_by,
                "completed_at": self.completed_at.isoformat() if self.completed_at else None,
                "work_item_id": self.work_item_id, "instance_id": self.instance_id,
                "sections": [a.to_dict() for a in self.sections]}


@dataclass(frozen=True)
class RecordGroup:
    """One referral with the steps of its route, newest first."""

    title: str
    received_at: datetime | None
    entries: list[RecordEntry] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"title": self.title, "received_at": self.received_at.isoformat() if self.received_at else None,
                "entries": [e.to_dict() for e in self.entries]}


class Masks:
    """Need-to-know for one viewer on one case, applied to each answer as it is rendered."""

    def __init__(self, session: Session, viewer: str, case: Case | None, now: datetime) -> None:
        self.session, self.viewer, self.now = session, viewer, now
        child = session.get(Child, case.id) if case is not None and case.subject_type == "child" else None
        self.protected = bool(child and child.protected_address)
        self._children: dict[str, bool] = {}

    def __call__(self, spec: Field, value: Any) -> str | None:
        """Words to show instead of ``value``, or None to show it."""
        if spec.record == "address" and self.protected:
            return PROTECTED
        if spec.record == "child_reference" and not self.may_open(str(value)):
            return UNSEEN_CHILD
        return None

    def may_open(self, ref: str) -> bool:
        """True when the viewer may open the child's case this reference names."""
        key = ref.strip().upper()
        if key not in self._children:
            case_id = self.session.scalar(select(Case.id).where(Case.ref == key, Case.subject_type == "child"))
            self._children[key] = case_id is not None and may_see_case(self.session, self.viewer, case_id, self.now)
        return self._children[key]


@dataclass
class Reader:
    """Reads instances and versions once each while a record is built."""

    session: Session
    masks: Masks
    _states: dict[int, Mapping[str, Any]] = field(default_factory=dict)
    _names: dict[str, str] = field(default_factory=dict)

    def version(self, row: Instance) -> LoadedVersion:
        """The parsed version the instance runs on."""
        return load_version(self.session, row.version_id)

    def state(self, row: Instance) -> Mapping[str, Any]:
        """The instance's saved state, parsed once."""
        if row.id not in self._states:
            self._states[row.id] = loaded(row.state)
        return self._states[row.id]

    def person(self, username: str | None) -> str:
        """A person's name as the directory holds it (the user name when unknown)."""
        if not username:
            return ""
        if username not in self._names:
            self._names[username] = self.session.scalar(
                select(User.display_name).where(User.username == username)) or username
        return self._names[username]

    def task_entry(self, item: WorkItem, row: Instance) -> RecordEntry:
        """A completed task's answers, from its version's form and the data saved with it."""
        version = self.version(row)
        form = version.form(item.form_ref)
        sections = render_answers(form, task_data(self.state(row), item.task_id), self.masks) if form else []
        return RecordEntry("task", item.name, process_name(version, item.process_id), item.completed_by,
                           item.completed_at, sections, self.person(item.completed_by), item.element_id, item.id,
                           row.id)

    def referral_entry(self, row: Instance, referral: Referral | None) -> RecordEntry | None:
        """The referral that started the route: its form's answers as the referrer gave them."""
        version = self.version(row)
        form = version.form(REFERRAL_FORMS.get(row.process_id))
        if form is None:
            return None
        by = referral.created_by if referral is not None else row.started_by
        at = referral.received_at if referral is not None else row.started_at
        return RecordEntry("referral", "Referral", process_name(version, row.process_id), by, at,
                           render_answers(form, start_data(self.state(row)), self.masks), self.person(by),
                           instance_id=row.id)


def process_name(version: LoadedVersion, process_id: str) -> str:
    """A route's name in words, as its diagram names it."""
    return version.bundle.process_names.get(process_id) or process_id.replace("_", " ").capitalize()


@dataclass(frozen=True)
class CaseRecord:
    """A case's details and its record, as the print view and the API give them."""

    view: CaseView
    groups: list[RecordGroup]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: the case's reference and kind, and each referral with its entries."""
        return {"ref": self.view.ref, "subject_type": self.view.subject_type, "status": self.view.status,
                "referrals": [g.to_dict() for g in self.groups]}


def case_record(svc: Services, ref: str, viewer: str, section: str = "record") -> CaseRecord:
    """The whole record of a case for ``viewer``; audited as a view. Raises NotFound or NoNeedToKnow."""
    view = get_case(svc, ref, viewer, section)
    with svc.db.read() as session:
        return CaseRecord(view, record_groups(session, view.ref, viewer, svc.now()))


def instance_page(svc: Services, instance_id: int, viewer: str) -> InstancePage:
    """The instance page with its steps' answers; the view is checked and audited by ``view_instance``."""
    page = view_instance(svc, instance_id, viewer)
    with svc.db.read() as session:
        row = session.get(Instance, instance_id)
        name = process_name(load_version(session, row.version_id), row.process_id)
        tasks = {w.id: (w.name, w.instance_id) for w in session.scalars(
            select(WorkItem).where(WorkItem.instance_id == instance_id))}
        history = [{**e, "what": event_words({**e, "subject": _subject(e.get("subject"))}, tasks, {row.id: name})}
                   for e in page.view.history]
        return replace(page, record=instance_record(session, row, viewer, svc.now()), process=name,
                       view=replace(page.view, history=history))


def _subject(text: str | None) -> tuple[str, int] | None:
    """``work_item:12`` as the timeline's (kind, id)."""
    kind, _, number = (text or "").partition(":")
    return (kind, int(number)) if number.isdigit() else None


def instance_record(session: Session, row: Instance, viewer: str, now: datetime) -> list[RecordEntry]:
    """One route's completed steps newest first, then the referral that started it (the instance page)."""
    case = session.scalar(select(Case).where(Case.ref == row.case_ref)) if row.case_ref else None
    reader = Reader(session, Masks(session, viewer, case, now))
    referral = session.scalar(select(Referral).where(Referral.process_instance_id == row.id))
    first = reader.referral_entry(row, referral)
    return [*instance_entries(reader, [row]), *([first] if first else [])]


def record_groups(session: Session, ref: str, viewer: str, now: datetime) -> list[RecordGroup]:
    """Referrals newest first, each with its route's completed steps newest first (the referral last)."""
    case = session.scalar(select(Case).where(Case.ref == ref))
    reader = Reader(session, Masks(session, viewer, case, now))
    referrals = session.scalars(select(Referral).where(Referral.case_id == case.id)
                                .order_by(Referral.received_at.desc(), Referral.id.desc())).all()
    instances = {i.id: i for i in session.scalars(select(Instance).where(Instance.case_ref == ref))}
    groups, used = [], set()
    for referral in referrals:
        row = instances.get(referral.process_instance_id) if referral.process_instance_id else None
        used.add(referral.process_instance_id)
        entries = instance_entries(reader, [row]) if row is not None else []
        first = reader.referral_entry(row, referral) if row is not None else None
        groups.append(RecordGroup(referral_title(referral), referral.received_at,
                                  [*entries, *([first] if first else [])]))
    others = [i for i in instances.values() if i.id not in used]
    if others:
        groups.append(RecordGroup("Other routes on this case", None, instance_entries(reader, others)))
    return groups


def instance_entries(reader: Reader, rows: Iterable[Instance]) -> list[RecordEntry]:
    """The completed tasks of some instances (their called processes too), newest first."""
    by_id = {row.id: row for row in rows}
    items = reader.session.scalars(select(WorkItem).where(WorkItem.instance_id.in_(list(by_id)),
                                                          WorkItem.status == "completed")).all()
    items = sorted(items, key=lambda w: (w.completed_at, w.id), reverse=True)
    return [reader.task_entry(item, by_id[item.instance_id]) for item in items]


def referral_title(referral: Referral) -> str:
    """How a referral is named on the page: who sent it (the date is shown beside it)."""
    who = ", ".join(p for p in (referral.referrer_name, referral.referrer_agency) if p)
    return f"Referral from {who}" if who else "Referral"

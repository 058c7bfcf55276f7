"""What falls due for disposal under the retention schedule (engine/config.py, docs/governance.md).

Each schedule names a kind of record and when it falls due. Nothing on a case under a legal hold falls
due, nor anything of a case that is open or still has a process running; a case already disposed of is
not listed again.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from engine.config import RetentionSchedule
from engine.store.accounts import AccountSession, SignInAttempt
from engine.store.cases import Case, Child
from engine.store.casework import CaseNote, Document, KeptAnswers
from engine.store.governance import DisposedCase, LegalHold
from engine.store.mfa import MfaRememberedDevice
from engine.store.models import AuditEvent, Instance
from engine.store.tokens import ApiToken, IdempotencyRecord

SCHEDULES = ("context_case", "child_case", "note_version", "deleted_document", "audit_rows", "sessions_and_tokens")
FINISHED = ("completed", "cancelled")
YEAR = timedelta(days=365.25)


@dataclass(frozen=True)
class DueItem:
    """One thing that falls due: a case, a note version or a document (``id``), or a batch of rows
    older than ``before`` (``count``)."""

    schedule: str
    kind: str
    id: int | None = None
    case_ref: str | None = None
    due_since: str = ""
    count: int = 1
    before: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the shape a disposal run keeps)."""
        return {k: v for k, v in asdict(self).items() if v is not None}


def held(now: datetime):
    """SQL: the case (``Case.id``) has a legal hold standing at ``now``."""
    return exists().where(LegalHold.case_id == Case.id, LegalHold.released_at.is_(None),
                          or_(LegalHold.until.is_(None), LegalHold.until > now))


def _disposable_case():
    """SQL: the case is closed, not disposed of, and has no process still running."""
    return and_(Case.status == "closed", Case.closed_at.is_not(None),
                ~exists().where(DisposedCase.case_id == Case.id),
                ~exists().where(Instance.case_ref == Case.ref, Instance.status.not_in(FINISHED)))


def _years_after(day: date | datetime, years: int) -> date:
    day = day.date() if isinstance(day, datetime) else day
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


def due_cases(session: Session, schedule: RetentionSchedule, now: datetime) -> list[DueItem]:
    """Closed child and context cases past their schedule, not held, not running, not disposed of."""
    rows = session.execute(
        select(Case.id, Case.ref, Case.subject_type, Case.closed_at, Child.dob)
        .outerjoin(Child, Child.case_id == Case.id)
        .where(_disposable_case(), ~held(now)).order_by(Case.closed_at, Case.id)).all()
    items = []
    for row in rows:
        if row.subject_type == "context":
            due, name = _years_after(row.closed_at, schedule.context_years), "context_case"
        else:
            due, name = _years_after(row.closed_at, schedule.child_years), "child_case"
            if row.dob is not None:
                due = max(due, _years_after(row.dob, schedule.child_age))
        if due <= now.date():
            items.append(DueItem(name, "case", row.id, row.ref, due.isoformat()))
    return items


def due_case_parts(session: Session, schedule: RetentionSchedule, now: datetime) -> list[DueItem]:
    """Superseded note versions and removed documents past their schedule, on cases not held."""
    note_cutoff = now - schedule.note_version_years * YEAR
    doc_cutoff = now - timedelta(days=schedule.deleted_document_days)
    notes = session.execute(
        select(CaseNote.id, Case.ref, CaseNote.superseded_at).join(Case, Case.id == CaseNote.case_id)
        .where(CaseNote.superseded_at.is_not(None), CaseNote.superseded_at <= note_cutoff, ~held(now))
        .order_by(CaseNote.id)).all()
    documents = session.execute(
        select(Document.id, Case.ref, Document.deleted_at).join(Case, Case.id == Document.case_id)
        .where(Document.deleted_at.is_not(None), Document.deleted_at <= doc_cutoff, ~held(now))
        .order_by(Document.id)).all()
    return ([DueItem("note_version", "note_version", r.id, r.ref, r.superseded_at.date().isoformat())
             for r in notes]
            + [DueItem("deleted_document", "document", r.id, r.ref, r.deleted_at.date().isoformat())
               for r in documents])


def bulk_cutoffs(schedule: RetentionSchedule, now: datetime) -> dict[str, datetime]:
    """The row kinds disposed of in bulk, each with the time its rows must be older than."""
    return {"audit_rows": now - schedule.audit_years * YEAR,
            "sessions_and_tokens": now - timedelta(days=schedule.session_days)}


def bulk_rows(name: str, cutoff: datetime) -> list:
    """One ``select`` of ids per table for a bulk schedule's rows older than ``cutoff``."""
    if name == "audit_rows":  # sealed rows only: the chain restarts after the last one removed
        return [select(AuditEvent.id).where(AuditEvent.at <= cutoff, AuditEvent.seq.is_not(None))]
    ended = lambda table: or_(table.expires_at <= cutoff, table.revoked_at <= cutoff)  # noqa: E731
    return [select(AccountSession.id).where(ended(AccountSession)),
            select(SignInAttempt.id).where(SignInAttempt.at <= cutoff),
            select(ApiToken.id).where(ended(ApiToken)),
            select(KeptAnswers.id).where(KeptAnswers.expires_at <= cutoff),
            select(IdempotencyRecord.id).where(IdempotencyRecord.created_at <= cutoff),
            select(MfaRememberedDevice.id).where(MfaRememberedDevice.expires_at <= cutoff)]


def due_bulk(session: Session, schedule: RetentionSchedule, now: datetime) -> list[DueItem]:
    """One item per bulk schedule with rows due: how many, and the cutoff they are older than."""
    items = []
    for name, cutoff in bulk_cutoffs(schedule, now).items():
        count = sum(session.scalar(select(func.count()).select_from(q.subquery())) or 0
                    for q in bulk_rows(name, cutoff))
        if count:
            items.append(DueItem(name, "rows", count=count, before=cutoff.isoformat()))
    return items


def due(session: Session, schedule: RetentionSchedule, now: datetime) -> list[DueItem]:
    """Everything that falls due at ``now``, schedule by schedule."""
    return due_cases(session, schedule, now) + due_case_parts(session, schedule, now) + due_bulk(
        session, schedule, now)


def summary(items: list[DueItem]) -> dict[str, int]:
    """How many records fall due under each schedule (every schedule listed, zeros included)."""
    counts = dict.fromkeys(SCHEDULES, 0)
    for item in items:
        counts[item.schedule] += item.count
    return counts

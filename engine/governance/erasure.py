"""Erasing what a disposal removes. A case is anonymised, not deleted: its row, dates, harm types and
links stay so counts over time still add up, while names, dates of birth, identifiers, addresses (down
to the postcode district), free text, notes, documents and the process data are erased."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine.store.cases import Case, CaseNotice, Child, ChildContextLink, Context, Referral
from engine.store.casework import CaseNote, Document, SearchKey
from engine.store.clocks import Notification
from engine.store.governance import AuditChain, DisposedCase
from engine.store.models import AuditEvent, Instance, WorkItem

ERASED = "(disposed)"


def dispose_item(session: Session, item: dict[str, Any], run_id: int, now: datetime) -> list[str]:
    """Dispose of one listed item; returns the hashes of document files to erase after the commit."""
    if item["kind"] == "case":
        return anonymise_case(session, item["id"], item["schedule"], run_id, now)
    if item["kind"] == "note_version":
        session.execute(delete(CaseNote).where(CaseNote.id == item["id"]))
        return []
    sha = session.scalar(select(Document.sha256).where(Document.id == item["id"]))
    session.execute(delete(Document).where(Document.id == item["id"]))
    return [sha] if sha else []


def _district(postcode: str | None) -> str | None:
    """The outward code only (``ZZ1 4AB`` -> ``ZZ1``): area counts survive, the address does not."""
    return postcode.split()[0] if postcode and postcode.strip() else None


def anonymise_case(session: Session, case_id: int, schedule: str, run_id: int, now: datetime) -> list[str]:
    """Erase the personal data of one case and everything under it; returns document hashes to erase."""
    case = session.get(Case, case_id)
    child, context = session.get(Child, case_id), session.get(Context, case_id)
    if child is not None:
        child.first_name, child.last_name, child.dob = ERASED, ERASED, None
        child.nhs_number = child.upn = None
        child.address, child.school, child.postcode = "", "", _district(child.postcode)
    if context is not None:
        context.name, context.address, context.postcode = ERASED, "", _district(context.postcode)
        context.uprn = context.latitude = context.longitude = context.online_platform = None
    session.execute(update(Referral).where(Referral.case_id == case_id)
                    .values(referrer_name="", referrer_role="", referrer_contact=""))
    session.execute(update(ChildContextLink).where((ChildContextLink.child_case_id == case_id)
                                                   | (ChildContextLink.context_case_id == case_id))
                    .values(reason="", source="", ended_reason=None))
    hashes = list(session.scalars(select(Document.sha256).where(Document.case_id == case_id)))
    for table in (CaseNote, Document, SearchKey, CaseNotice):
        session.execute(delete(table).where(table.case_id == case_id))
    session.execute(delete(Notification).where(Notification.case_ref == case.ref))
    session.execute(update(WorkItem).where(WorkItem.case_ref == case.ref).values(draft=None))
    for instance in session.scalars(select(Instance).where(Instance.case_ref == case.ref)):
        instance.state = scrub_state(instance.state)
    session.add(DisposedCase(case_id=case_id, run_id=run_id, schedule=schedule, disposed_at=now))
    return hashes


def scrub_state(state: str) -> str:
    """A finished instance's saved state with every ``data`` object emptied (the answers it held)."""
    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: ({} if k == "data" and isinstance(v, dict) else scrub(v)) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value
    try:
        return json.dumps(scrub(json.loads(state)))
    except (TypeError, ValueError):
        return "{}"


def dispose_audit_rows(session: Session, cutoff: datetime) -> int:
    """Remove sealed audit rows from the start of the chain up to the first one newer than ``cutoff``;
    the chain then starts after the last one removed, so ``verify`` still checks everything kept."""
    head = session.execute(select(AuditChain).where(AuditChain.id == 1).with_for_update()).scalar_one()
    first_kept = session.scalar(select(AuditEvent.seq).where(AuditEvent.seq.is_not(None), AuditEvent.at > cutoff)
                                .order_by(AuditEvent.seq).limit(1))
    last = (first_kept - 1) if first_kept is not None else head.head_seq
    if last <= head.base_seq:
        return 0
    last_hash = session.scalar(select(AuditEvent.row_hash).where(AuditEvent.seq == last))
    removed = session.execute(delete(AuditEvent).where(AuditEvent.seq.is_not(None), AuditEvent.seq <= last)).rowcount
    head.base_seq, head.base_hash = last, last_hash
    return removed or 0

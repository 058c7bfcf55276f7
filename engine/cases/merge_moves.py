"""What moves when two records are merged: everything recorded on the duplicate goes to the kept case.

Runs inside the merge's transaction. Routes move first: a route step running at the same moment either
committed before (and what it wrote moves too) or fails on the instance's lock version and is retried on
the kept case, so no task is left on the old reference. Nothing is deleted: a link that would now be on
the kept case twice is ended with the reason, and the duplicate record stays, pointing at the kept one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.records import record_address_protection
from engine.store.cases import (
    Case,
    CaseInvolvement,
    CaseNotice,
    Child,
    ChildContextLink,
    Context,
    PendingStart,
    Referral,
)
from engine.store.casework import CaseNote, Document
from engine.store.clocks import Clock, Notification
from engine.store.models import Instance, MessageWait, WorkItem

CHILD_BLANKS = ("dob", "nhs_number", "upn", "address", "postcode", "school")
CONTEXT_BLANKS = ("public_space_type", "address", "postcode", "uprn", "latitude", "longitude", "school_urn",
                  "online_platform")


def _moved(session: Session, statement) -> int:
    return session.execute(statement.execution_options(synchronize_session=False)).rowcount or 0


def move_everything(session: Session, duplicate: Case, kept: Case, actor: str, now: datetime) -> dict[str, int]:
    """Move the duplicate's routes, work, clocks and records to ``kept``; returns how many of each moved."""
    old, new = duplicate.ref, kept.ref
    moved = {"routes": _moved(session, update(Instance).where(Instance.case_ref == old)
                              .values(case_ref=new, lock_version=Instance.lock_version + 1))}
    moved["tasks"] = _moved(session, update(WorkItem).where(WorkItem.case_ref == old).values(case_ref=new))
    moved["clocks"] = _moved(session, update(Clock).where(Clock.case_ref == old).values(case_ref=new))
    _moved(session, update(MessageWait).where(MessageWait.case_ref == old).values(case_ref=new))
    _moved(session, update(Notification).where(Notification.case_ref == old).values(case_ref=new))
    _moved(session, update(PendingStart).where(PendingStart.case_ref == old, PendingStart.status == "pending")
           .values(case_ref=new))
    # a note is counted once however many versions it has
    notes = len(set(session.scalars(select(CaseNote.note_key).where(CaseNote.case_id == duplicate.id))))
    for name, model in (("referrals", Referral), ("notes", CaseNote), ("documents", Document),
                        ("notices", CaseNotice), ("involvements", CaseInvolvement)):
        moved[name] = _moved(session, update(model).where(model.case_id == duplicate.id).values(case_id=kept.id))
    moved["notes"] = notes
    moved["links"] = _move_links(session, duplicate, kept, actor, now)
    return moved


def _move_links(session: Session, duplicate: Case, kept: Case, actor: str, now: datetime) -> int:
    """Repoint the duplicate's links; one the kept case already has (same case, same role) is ended, not doubled."""
    mine = ChildContextLink.child_case_id if duplicate.subject_type == "child" else ChildContextLink.context_case_id
    links = session.scalars(select(ChildContextLink).where(mine == duplicate.id).order_by(ChildContextLink.id)).all()
    for link in links:
        if duplicate.subject_type == "child":
            link.child_case_id = kept.id
        else:
            link.context_case_id = kept.id
    session.flush()
    current: dict[tuple[int, int, str], ChildContextLink] = {}
    rows = session.scalars(select(ChildContextLink).where(mine == kept.id, ChildContextLink.ended_on.is_(None))
                           .order_by(ChildContextLink.started_on, ChildContextLink.id)).all()
    for link in rows:
        same = (link.child_case_id, link.context_case_id, link.role)
        if same in current:  # the earlier link stays; this one is ended with the reason
            link.ended_on, link.ended_by = now.date(), actor
            link.ended_reason = f"The same link was already on {kept.ref} when {duplicate.ref} was merged into it"
        else:
            current[same] = link
    return len(links)


def fill_blanks(session: Session, duplicate: Case, kept: Case, actor: str, now: datetime) -> list[str]:
    """Details the kept record lacks are taken from the duplicate; a protected address stays protected."""
    model, names = (Child, CHILD_BLANKS) if kept.subject_type == "child" else (Context, CONTEXT_BLANKS)
    mine, theirs = session.get(model, kept.id), session.get(model, duplicate.id)
    taken = [n for n in names if getattr(mine, n) in (None, "") and getattr(theirs, n) not in (None, "")]
    for name in taken:
        setattr(mine, name, getattr(theirs, name))
    if kept.subject_type == "child" and theirs.protected_address and not mine.protected_address:
        mine.protected_address = True  # one record said the address must be hidden: the merged one hides it
        record_address_protection(session, kept, True, actor, now, f"protected on {duplicate.ref}, merged into it")
        taken.append("protected_address")
    for name in ("manager", "allocated_worker", "stage", "stage_at"):
        if getattr(kept, name) is None and getattr(duplicate, name) is not None:
            setattr(kept, name, getattr(duplicate, name))
            taken.append(name)
    return taken


def close_duplicate(session: Session, duplicate: Case, kept: Case, actor: str, now: datetime) -> dict[str, Any]:
    """The duplicate leads to the kept case from now on (and so do records merged into it before)."""
    reopened = duplicate.status == "open" and kept.status != "open"
    if reopened:  # the duplicate's open work now lives on the kept case, which must be open to take it
        kept.status, kept.closed_at = "open", None
        audit.record(session, at=now, actor=actor, action="case_reopened", subject_type="case", subject_id=kept.ref,
                     reason=f"{duplicate.ref} was merged into it")
    duplicate.status, duplicate.closed_at, duplicate.merged_into = "merged", now, kept.ref
    earlier = _moved(session, update(Case).where(Case.merged_into == duplicate.ref).values(merged_into=kept.ref))
    return {"reopened": reopened, "earlier_merges": earlier}

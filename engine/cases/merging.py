"""Merging two records opened for one child (or one context) by mistake: a manager's decision, audited.

The manager first sees both records side by side with what agreed (``compare_cases``), chooses the record
to keep and gives a reason (``merge_cases``). In one transaction everything on the other record moves to
the kept one (engine/cases/merge_moves.py); the other record stays, marked merged, and its reference
leads to the kept case (``records.live_case`` raises ``CaseMerged``) and is refused wherever a case is
named. Both records need need-to-know; bad input changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import NoNeedToKnow, active_role, may_see_case
from engine.access.rules import can_merge_cases
from engine.cases.instance_page import audit_view
from engine.cases.merge_compare import ComparedField, RecordSide, agreed_labels, compare_subjects, record_side
from engine.cases.merge_moves import close_duplicate, fill_blanks, move_everything
from engine.cases.records import case_by_ref
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.runtime.services import Services
from engine.store.cases import Case
from engine.store.casework import CaseMerge

REASON_MAX = 2000
KIND_WORDS = {"child": "child", "context": "context"}


@dataclass(frozen=True)
class MergeComparison:
    """Both records side by side for the manager: each field, what agreed, and how much is on each."""

    this: RecordSide
    other: RecordSide
    subject_type: str
    fields: list[ComparedField]
    agreed: list[str]


@dataclass(frozen=True)
class MergeDone:
    """What a merge did: which record was kept, which was merged into it, what moved and what was filled in."""

    kept_ref: str
    merged_ref: str
    moved: dict[str, int]
    filled: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"kept_ref": self.kept_ref, "merged_ref": self.merged_ref, "moved": self.moved, "filled": self.filled}


def compare_cases(svc: Services, ref: str, other_ref: str, viewer: str) -> MergeComparison:
    """Two records side by side before a merge; audited as a view of both. Raises as ``merge_cases`` would."""
    now = svc.now()
    with svc.db.transaction() as session:
        this, other = _pair(session, ref, other_ref, viewer, now)
        for case in (this, other):
            audit_view(session, now, viewer, True, "case", case.ref, case.ref, "merge")
        fields = compare_subjects(session, this, other)
        return MergeComparison(record_side(session, this), record_side(session, other), this.subject_type,
                               fields, agreed_labels(fields))


def merge_cases(svc: Services, kept_ref: str, merged_ref: str, reason: str, actor: str) -> MergeDone:
    """Merge the record ``merged_ref`` into ``kept_ref``: everything on it moves; audited on both; one transaction.

    Raises NotPermitted (not a manager), NoNeedToKnow (either record), NotFound, or InvalidFormData naming
    the field (no reason; the same record twice; a child and a context; a record already merged). Nothing
    changes when it raises.
    """
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidFormData({"reason": [f"Enter why the two records are of one child or one context "
                                          f"(up to {REASON_MAX} characters)"]})
    now = svc.now()
    with svc.db.transaction() as session:
        kept, merged = _pair(session, kept_ref, merged_ref, actor, now, lock=True)
        agreed = agreed_labels(compare_subjects(session, kept, merged))
        moved = move_everything(session, merged, kept, actor, now)
        filled = fill_blanks(session, merged, kept, actor, now)
        closing = close_duplicate(session, merged, kept, actor, now)
        session.add(CaseMerge(kept_case_id=kept.id, merged_case_id=merged.id, merged_at=now, merged_by=actor,
                              reason=reason, agreed=agreed, moved={**moved, "filled": filled, **closing}))
        for subject, other in ((kept.ref, {"merged_from": merged.ref}), (merged.ref, {"merged_into": kept.ref})):
            audit.record(session, at=now, actor=actor, action="case_merged", subject_type="case",
                         subject_id=subject, reason=reason, agreed=agreed, moved=moved, filled=filled, **other)
        return MergeDone(kept.ref, merged.ref, moved, filled)


def merged_into_case(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The records merged into a case: reference, when, by whom and why (for its page; access already checked)."""
    rows = session.execute(select(CaseMerge, Case.ref).join(Case, Case.id == CaseMerge.merged_case_id)
                           .where(CaseMerge.kept_case_id == case_id).order_by(CaseMerge.id)).all()
    return [{"ref": ref, "merged_at": m.merged_at, "merged_by": m.merged_by, "reason": m.reason,
             "agreed": list(m.agreed or [])} for m, ref in rows]


def _pair(session: Session, ref: str, other_ref: str, actor: str, now: datetime, *,
          lock: bool = False) -> tuple[Case, Case]:
    """The two records, checked: the actor's role, need-to-know on both, one kind, two different live records."""
    if not can_merge_cases(active_role(session, actor) or ""):
        raise NotPermitted("Only a manager or the CS lead can merge two records")
    first = case_by_ref(session, ref)
    other = _other(session, first, other_ref)
    if lock:  # both rows, in one order, so two merges of the same pair cannot both go ahead
        ids = sorted((first.id, other.id))
        session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id).with_for_update()
                        .execution_options(populate_existing=True)).all()
    for case, key in ((first, "kept_ref"), (other, "other_ref")):
        if case.merged_into:
            raise InvalidFormData({key: [f"{case.ref} was already merged into {case.merged_into}: "
                                         f"use {case.merged_into}"]})
    for case in (first, other):
        if not may_see_case(session, actor, case.id, now):
            raise NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
    return first, other


def _other(session: Session, first: Case, other_ref: str) -> Case:
    ref = (other_ref or "").strip().upper()
    if not ref:
        raise InvalidFormData({"other_ref": [f"Choose the other record of this {KIND_WORDS[first.subject_type]}"]})
    try:
        other = case_by_ref(session, ref)
    except NotFound:
        raise InvalidFormData({"other_ref": [f"There is no case with the reference {ref}"]}) from None
    if other.id == first.id:
        raise InvalidFormData({"other_ref": [f"Choose a different record: {ref} is the record you are on"]})
    if other.subject_type != first.subject_type:
        raise InvalidFormData({"other_ref": [f"{first.ref} is a {first.subject_type} and {ref} a "
                                             f"{other.subject_type}: only two records of one kind can be merged"]})
    return other


def may_merge(role: str) -> bool:
    """True when someone in ``role`` may merge two records (the case page offers it only to them)."""
    return can_merge_cases(role)

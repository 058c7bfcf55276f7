"""Two records of one child (or one context) side by side, field by field: what agreed and what differs.

A manager reads this before merging two records opened by mistake. A protected address is withheld on
both sides and never compared: saying "the same" beside an address shown on one side would give it away.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.cases.fuzzy import similar
from engine.cases.views import PROTECTED
from engine.store.cases import Case, Child, ChildContextLink, Context, Referral
from engine.store.casework import CaseNote, Document
from engine.store.clocks import Clock
from engine.store.models import Instance, WorkItem

SAME, SIMILAR, DIFFERENT, ONE_SIDE, NEITHER, WITHHELD = "same", "similar", "different", "one_side", "neither", \
    "withheld"
CHILD_FIELDS = (("First name", "first_name"), ("Surname", "last_name"), ("Date of birth", "dob"),
                ("NHS number", "nhs_number"), ("UPN", "upn"), ("Address", "address"), ("Postcode", "postcode"),
                ("School", "school"))
CONTEXT_FIELDS = (("Name", "name"), ("Type", "type"), ("Kind of place", "public_space_type"),
                  ("Address", "address"), ("Postcode", "postcode"), ("UPRN", "uprn"), ("School URN", "school_urn"),
                  ("Online platform", "online_platform"))
NAMES = frozenset({"first_name", "last_name", "name"})
ADDRESSES = frozenset({"address", "postcode"})


@dataclass(frozen=True)
class ComparedField:
    """One field on both records and how they compare (same, similar, different, one_side, neither, withheld)."""

    label: str
    this: str
    other: str
    agreement: str


@dataclass(frozen=True)
class RecordSide:
    """What one record holds, counted, so the manager sees what will move."""

    ref: str
    status: str
    opened_at: Any
    created_by: str
    counts: dict[str, int]


def compare_subjects(session: Session, this: Case, other: Case) -> list[ComparedField]:
    """Field by field, the subjects of two cases of one kind (a child's or a context's details)."""
    model, fields = (Child, CHILD_FIELDS) if this.subject_type == "child" else (Context, CONTEXT_FIELDS)
    mine, theirs = session.get(model, this.id), session.get(model, other.id)
    hidden = this.subject_type == "child" and (mine.protected_address or theirs.protected_address)
    out = []
    for label, name in fields:
        a, b = _text(getattr(mine, name)), _text(getattr(theirs, name))
        if hidden and name in ADDRESSES:
            out.append(ComparedField(label, PROTECTED, PROTECTED, WITHHELD))
        else:
            out.append(ComparedField(label, a, b, _agreement(name, a, b)))
    return out


def agreed_labels(compared: list[ComparedField]) -> list[str]:
    """The fields that agreed, in words ("First name (spelt differently)" for a spelling variant)."""
    return [f.label + (" (spelt differently)" if f.agreement == SIMILAR else "")
            for f in compared if f.agreement in (SAME, SIMILAR)]


def record_side(session: Session, case: Case) -> RecordSide:
    """A record's reference, status and how much is on it (what a merge would move)."""
    def count(query) -> int:
        return session.scalar(select(func.count()).select_from(query.subquery())) or 0

    link_side = ChildContextLink.child_case_id if case.subject_type == "child" else ChildContextLink.context_case_id
    counts = {
        "referrals": count(select(Referral.id).where(Referral.case_id == case.id)),
        "links": count(select(ChildContextLink.id).where(link_side == case.id, ChildContextLink.ended_on.is_(None))),
        "notes": count(select(CaseNote.id).where(CaseNote.case_id == case.id, CaseNote.superseded_at.is_(None))),
        "documents": count(select(Document.id).where(Document.case_id == case.id, Document.deleted_at.is_(None))),
        "open_tasks": count(select(WorkItem.id).join(Instance, Instance.id == WorkItem.instance_id)
                            .where(Instance.case_ref == case.ref, WorkItem.status == "open")),
        "routes": count(select(Instance.id).where(Instance.case_ref == case.ref)),
        "clocks": count(select(Clock.id).where(Clock.case_ref == case.ref,
                                               Clock.status.in_(("running", "paused", "breached")))),
    }
    return RecordSide(case.ref, case.status, case.opened_at, case.created_by, counts)


def _agreement(name: str, a: str, b: str) -> str:
    if not a or not b:
        return ONE_SIDE if (a or b) else NEITHER
    if name in NAMES:
        return SAME if a.lower() == b.lower() else (SIMILAR if _similar_name(a, b) else DIFFERENT)
    return SAME if _plain(a) == _plain(b) else DIFFERENT


def _similar_name(a: str, b: str) -> bool:
    """Every word of the shorter name is a spelling variant of a word of the other."""
    x, y = sorted((a.split(), b.split()), key=len)
    return all(any(similar(w, v) for v in y) for w in x)


def _plain(text: str) -> str:
    return " ".join("".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace()).split())


def _text(value: Any) -> str:
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value).strip()

"""Links between children and contexts made by hand from either case page: link, end a link, pick the other.

A link puts a child on a context's record, so the person needs need-to-know on the child's case and on
the case they act from (docs/decisions.md, D22); a context record never names a child to anyone else.
Both sides are audited. A referral or a screening links through ``records.add_link``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import NoNeedToKnow, may_see_case
from engine.cases.records import add_link, case_by_ref, live_case
from engine.errors import Conflict, InvalidFormData, NotFound
from engine.runtime.services import Services
from engine.store.cases import LINK_ROLES, Case, ChildContextLink

REASON_MAX = 2000
ROLE_WORDS = {"harmed_at": "Harmed at or by", "at_risk_at": "At risk at or from",
              "associated_with": "Associated with", "member_of": "Member of (peer group)"}


@dataclass(frozen=True)
class LinkRequest:
    """What a person asks for: the other case, how the child is linked, why, and from when."""

    other_ref: str
    role: str
    reason: str
    started_on: date | None = None


def link_cases(svc: Services, ref: str, request: LinkRequest, actor: str) -> dict[str, Any]:
    """Link the case ``ref`` to another of the other kind (child to context or context to child); audited.

    Raises InvalidFormData naming the field (an unknown, closed or same-kind ``other_ref``, a role not in
    the list, no reason, a date in the future), NotFound, NoNeedToKnow (either case) or Conflict.
    """
    errors = _request_errors(svc, request)
    with svc.db.transaction() as session:
        case, now = live_case(session, ref), svc.now()
        other = _other_case(session, case, request.other_ref, errors)
        if errors:
            raise InvalidFormData(errors)
        child, context = (case, other) if case.subject_type == "child" else (other, case)
        _check_may_change(session, actor, now, case, child)
        if case.status != "open":
            raise Conflict(f"Case {case.ref} is closed")
        link = add_link(session, child, context, request.role, "linked by hand", actor, now,
                        reason=request.reason.strip(), started_on=request.started_on)
        return {"link_id": link.id, "child_ref": child.ref, "context_ref": context.ref, "role": link.role,
                "started_on": link.started_on.isoformat(), "reason": link.reason}


def end_link(svc: Services, ref: str, link_id: int, reason: str, actor: str,
             ended_on: date | None = None) -> dict[str, Any]:
    """End a current link on case ``ref`` with a date and a reason; kept in the record, audited on both cases."""
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidFormData({"reason": [f"Enter why the link ends (up to {REASON_MAX} characters)"]})
    with svc.db.transaction() as session:
        case, now = live_case(session, ref), svc.now()
        link = session.get(ChildContextLink, link_id)
        if link is None or case.id not in (link.child_case_id, link.context_case_id):
            raise NotFound(f"Link {link_id} is not on case {case.ref}")
        child, context = session.get(Case, link.child_case_id), session.get(Case, link.context_case_id)
        _check_may_change(session, actor, now, case, child)
        when = ended_on or now.date()
        if link.ended_on is not None:
            raise Conflict(f"This link already ended on {link.ended_on.isoformat()}")
        if when < link.started_on or when > now.date():
            raise InvalidFormData({"ended_on": ["The end date must be between the link's start and today"]})
        link.ended_on, link.ended_reason, link.ended_by = when, reason, actor
        for subject, other in ((context.ref, {"child_ref": child.ref}), (child.ref, {"context_ref": context.ref})):
            audit.record(session, at=now, actor=actor, action="case_link_ended", subject_type="case",
                         subject_id=subject, link_id=link.id, role=link.role, reason=reason,
                         ended_on=when.isoformat(), **other)
        return {"link_id": link.id, "ended_on": when.isoformat(), "reason": reason}


def link_child_to_context(svc: Services, child_ref: str, context_ref: str, role: str, actor: str, *,
                          source: str = "recorded by hand") -> dict[str, Any]:
    """Link a child to a context (the older call, kept for scripts): as ``link_cases`` from the child."""
    request = LinkRequest(context_ref, role, source)
    return link_cases(svc, child_ref, request, actor)


def _request_errors(svc: Services, request: LinkRequest) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if request.role not in LINK_ROLES:
        errors["role"] = ["Choose how the child is linked: " + ", ".join(ROLE_WORDS[r].lower() for r in LINK_ROLES)]
    if not (request.reason or "").strip() or len(request.reason) > REASON_MAX:
        errors["reason"] = [f"Enter why they are linked (up to {REASON_MAX} characters)"]
    if request.started_on is not None and request.started_on > svc.now().date():
        errors["started_on"] = ["The date the link began must be today or in the past"]
    return errors


def _other_case(session: Session, case: Case, other_ref: str, errors: dict[str, list[str]]) -> Case | None:
    """The case to link to, or None with the reason in ``errors['other_ref']``."""
    wanted = "context" if case.subject_type == "child" else "child"
    ref = (other_ref or "").strip().upper()
    try:
        other = case_by_ref(session, ref, wanted) if ref else None
    except NotFound:
        other = None
    if other is None:
        errors["other_ref"] = [f"There is no {wanted} case with the reference {ref}: choose one from the search"
                               if ref else f"Choose the {wanted} to link"]
    elif other.merged_into:
        errors["other_ref"] = [f"{other.ref} was merged into {other.merged_into}: use {other.merged_into}"]
    elif other.status != "open":
        errors["other_ref"] = [f"The {wanted} case {other.ref} is closed: only an open case can be linked"]
    return other


def _check_may_change(session: Session, actor: str, now, *cases: Case) -> None:
    for case in dict.fromkeys(cases):
        if not may_see_case(session, actor, case.id, now):
            raise NoNeedToKnow(f"You have no need to know case {case.ref}, so you cannot link it", case.ref)

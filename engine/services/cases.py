"""Use cases at the front door: log a context referral, refer a child, link and allocate cases.

A referral is validated against its form, matched against open cases, recorded, and its route
started in the same call. Reading cases lives in engine/services/case_views.py (re-exported here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import may_see_child
from engine.errors import Conflict, FrontdoorError, InvalidFormData, NotFound, NotPermitted
from engine.forms import FormDefinition, parse_form, validate_submission
from engine.services.bootstrap import Services
from engine.services.case_records import (
    add_link,
    add_referral,
    case_by_ref,
    child_facts,
    context_facts,
    create_child_case,
    create_context_case,
    involve,
    serialise_matching,
    switch_address_protection,
)
from engine.services.case_views import CaseSummary, CaseView, get_case, search_cases
from engine.services.instances import start_process
from engine.services.library import latest_version, load_version
from engine.services.matching import Candidate, child_candidates, context_candidates
from engine.services.outbox import start_pending
from engine.store.cases import Case, Referral

__all__ = ["CaseSummary", "CaseView", "PossibleMatches", "ReferralLogged", "allocate_case", "get_case",
           "link_child_to_context", "log_context_referral", "refer_child", "search_cases"]

ROUTES = {"context_referral": "ctx_referral", "child_referral": "child_referral"}


class PossibleMatches(FrontdoorError):
    """The referral may be about a case already open: choose one, or give a reason for a new case."""

    code = "possible_matches"
    status = 409

    def __init__(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates
        super().__init__(f"{len(candidates)} existing case(s) may be the same; add to one of them or give a "
                         "reason for opening a new case", candidates=[c.to_dict() for c in candidates])


@dataclass(frozen=True)
class ReferralLogged:
    """What a front-door referral produced: the case, the referral and the started route."""

    case_ref: str
    referral_id: int
    instance_id: int
    intake_decision: str
    open_work_items: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"case_ref": self.case_ref, "referral_id": self.referral_id, "instance_id": self.instance_id,
                "intake_decision": self.intake_decision, "open_work_items": self.open_work_items}


def referral_form(svc: Services, process_id: str) -> FormDefinition:
    """The referral form of a route: from its newest deployed version, else from the forms folder."""
    form_id = ROUTES[process_id]
    with svc.db.read() as session:
        try:
            form = load_version(session, latest_version(session, process_id).id).form(form_id)
        except NotFound:
            form = None
    if form is None:
        path = svc.settings.forms_dir / f"{form_id}.form"
        if not path.exists():
            raise NotFound(f"The referral form '{form_id}' is not deployed and not in {svc.settings.forms_dir}")
        form = parse_form(path.read_bytes(), source=path.name)
    return form


def with_defaults(form: FormDefinition, clean: Mapping[str, Any]) -> dict[str, Any]:
    """Answers plus every unanswered top-level field (unticked boxes False, others None).

    The routes' gateways test these keys, and an expression over an undefined name fails the step.
    """
    out = dict(clean)
    for spec in form.iter_fields():
        if spec.is_input and spec.path and "." not in spec.path and "[" not in spec.path:
            out.setdefault(spec.path, False if spec.type == "checkbox" else None)
    return out


def _check_choice(add_to_case: str | None, new_reason: str | None) -> None:
    if add_to_case and new_reason is not None:
        raise InvalidFormData({"match": ["Either add to an existing case or open a new one, not both"]})
    if new_reason is not None and not new_reason.strip():
        raise InvalidFormData({"new_reason": ["Say why this needs a new case rather than an existing one"]})


def _require_route(session: Session, process_id: str) -> None:
    try:
        latest_version(session, process_id)
    except NotFound:
        raise NotFound(f"The route '{process_id}' is not deployed, so the referral cannot start it. Deploy "
                       "workflows/bpmn and forms/ first (frontdoor deploy, or frontdoor demo).") from None


def log_context_referral(svc: Services, data: Mapping[str, Any], actor: str, *, add_to_case: str | None = None,
                         new_reason: str | None = None) -> ReferralLogged:
    """Record a context-of-concern referral and start ``context_referral``.

    Raises InvalidFormData (naming the field), PossibleMatches (when an open context may be the same
    one and the caller chose neither ``add_to_case`` nor ``new_reason``) or NotFound (route not deployed).
    """
    _check_choice(add_to_case, new_reason)
    form = referral_form(svc, "context_referral")
    clean = with_defaults(form, validate_submission(form, data))
    facts, now = context_facts(clean), svc.now()
    with svc.db.transaction() as session:
        _require_route(session, "context_referral")
        children = _linked_children(session, clean)
        serialise_matching(session)
        if add_to_case:
            case, decision, created = _reopen(session, case_by_ref(session, add_to_case, "context"), actor, now)
        else:
            candidates = context_candidates(session, facts, svc.settings.context_match_radius_m, now)
            if candidates and new_reason is None:
                raise PossibleMatches(candidates)
            case, decision, created = create_context_case(session, facts, actor, now), "new_case", True
            _note_override(session, case, candidates, new_reason, actor, now)
        referral = add_referral(session, case, clean, actor, now, is_repeat=not created)
        for child, role in children:
            add_link(session, child, case, role, f"referral {referral.id}", actor, now)
        case_ref, referral_id = case.ref, referral.id
    return _start(svc, "context_referral", clean, actor, case_ref, referral_id, decision, created)


def refer_child(svc: Services, data: Mapping[str, Any], actor: str, *, add_to_case: str | None = None,
                new_reason: str | None = None) -> ReferralLogged:
    """Record a child referral and start ``child_referral``; raises as ``log_context_referral`` does.

    A ticked ``child.protected_address`` protects the child's address (engine/services/protection.py).
    """
    _check_choice(add_to_case, new_reason)
    form = referral_form(svc, "child_referral")
    clean = with_defaults(form, validate_submission(form, data))
    facts, now = child_facts(clean), svc.now()
    with svc.db.transaction() as session:
        _require_route(session, "child_referral")
        serialise_matching(session)
        if add_to_case:
            case, decision, created = case_by_ref(session, add_to_case, "child"), "added_to_existing_case", False
        else:
            candidates = child_candidates(session, facts)
            if candidates and new_reason is None:
                raise PossibleMatches(candidates)
            case, decision, created = create_child_case(session, facts, actor, now), "new_case", True
            _note_override(session, case, candidates, new_reason, actor, now)
        earlier = session.scalar(select(Referral.id).where(Referral.case_id == case.id).limit(1))
        referral = add_referral(session, case, clean, actor, now, is_repeat=earlier is not None)
        if facts.protected_address:  # a later referral may protect the address; an unticked box never unprotects
            switch_address_protection(session, case, True, actor, now, "marked as protected on a referral",
                                      referral_id=referral.id)
        case_ref, referral_id = case.ref, referral.id
    return _start(svc, "child_referral", clean, actor, case_ref, referral_id, decision, created)


def _linked_children(session: Session, clean: Mapping[str, Any]) -> list[tuple[Case, str]]:
    found, errors = [], {}
    for i, row in enumerate(clean.get("linked_children") or []):
        try:
            found.append((case_by_ref(session, row["child_reference"], "child"), row["role"]))
        except NotFound as exc:
            errors[f"linked_children[{i}].child_reference"] = [exc.message]
    if errors:
        raise InvalidFormData(errors)
    return found


def _reopen(session: Session, case: Case, actor: str, now) -> tuple[Case, str, bool]:
    """Adding to a closed context reopens it: a repeat referral (DOMAIN.md 4.10, repeat watch)."""
    if case.status != "open":
        case.status, case.closed_at = "open", None
        audit.record(session, at=now, actor=actor, action="case_reopened", subject_type="case", subject_id=case.ref,
                     reason="repeat referral")
    return case, "added_to_open_case", False


def _note_override(session: Session, case: Case, candidates: list[Candidate], reason: str | None, actor: str,
                   now) -> None:
    if candidates:
        audit.record(session, at=now, actor=actor, action="match_overridden", subject_type="case",
                     subject_id=case.ref, reason=reason, candidates=[c.ref for c in candidates])


def _start(svc: Services, process_id: str, clean: Mapping[str, Any], actor: str, case_ref: str, referral_id: int,
           decision: str, created: bool) -> ReferralLogged:
    data = {**clean, "case_ref": case_ref, "referral_id": referral_id, "intake_decision": decision}
    try:
        view = start_process(svc, process_id, data, actor, case_ref=case_ref)
    except FrontdoorError:
        _withdraw(svc, referral_id, case_ref if created else None, actor)
        raise
    with svc.db.transaction() as session:
        session.get(Referral, referral_id).process_instance_id = view.id
    start_pending(svc)
    return ReferralLogged(case_ref, referral_id, view.id, decision, view.open_work_items)


def _withdraw(svc: Services, referral_id: int, new_case_ref: str | None, actor: str) -> None:
    """The route failed to start: remove what this referral wrote, leaving an audit trace."""
    with svc.db.transaction() as session:
        session.execute(delete(Referral).where(Referral.id == referral_id))
        if new_case_ref:
            session.execute(delete(Case).where(Case.ref == new_case_ref))
        audit.record(session, at=svc.now(), actor=actor, action="referral_withdrawn", subject_type="case",
                     subject_id=new_case_ref or "-", referral_id=referral_id, reason="the route failed to start")


def link_child_to_context(svc: Services, child_ref: str, context_ref: str, role: str, actor: str, *,
                          source: str = "recorded by hand") -> dict[str, Any]:
    """Link a child to a context; only someone who may see the child may link it (NotPermitted)."""
    with svc.db.transaction() as session:
        child = case_by_ref(session, child_ref, "child")
        context = case_by_ref(session, context_ref, "context")
        if not may_see_child(session, actor, child.id):
            raise NotPermitted("You have no need to know this child's case, so you cannot link it")
        link = add_link(session, child, context, role, source, actor, svc.now())
        session.flush()
        return {"link_id": link.id, "child_ref": child.ref, "context_ref": context.ref, "role": link.role,
                "started_on": link.started_on.isoformat()}


def allocate_case(svc: Services, ref: str, actor: str, *, worker: str | None = None,
                  manager: str | None = None) -> dict[str, Any]:
    """Set a case's allocated worker and/or manager; both become involved (need-to-know); audited."""
    if not worker and not manager:
        raise InvalidFormData({"worker": ["Choose a worker or a manager"]})
    with svc.db.transaction() as session:
        case, now = case_by_ref(session, ref), svc.now()
        if case.status != "open":
            raise Conflict(f"Case {case.ref} is closed")
        if worker:
            case.allocated_worker = worker
            involve(session, case, worker, "allocated", now)
        if manager:
            case.manager = manager
            involve(session, case, manager, "manager", now)
        audit.record(session, at=now, actor=actor, action="case_allocated", subject_type="case",
                     subject_id=case.ref, worker=worker, manager=manager)
        return {"ref": case.ref, "allocated_worker": case.allocated_worker, "manager": case.manager}

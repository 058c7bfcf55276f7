"""Use cases at the front door: log a context referral, refer a child.

A referral is validated against its form, matched against open cases, recorded, and its route
started in the same call. Both front doors take one path; ``_Intake`` holds what differs.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.form_files import file_answers
from engine.cases.matching import Candidate, child_candidates, context_candidates
from engine.cases.records import (
    add_link,
    add_referral,
    case_by_ref,
    child_facts,
    context_facts,
    create_child_case,
    create_context_case,
    serialise_matching,
    switch_address_protection,
)
from engine.cases.references import check_references
from engine.errors import FrontdoorError, InvalidFormData, NotFound
from engine.forms import FormDefinition, parse_form, validate_submission
from engine.patterns.finder import check_on_arrival
from engine.patterns.rules import load_rules
from engine.runtime.instances import start_process
from engine.runtime.outbox import start_pending
from engine.runtime.services import Services
from engine.runtime.version_cache import current_version, latest_version, load_version
from engine.store.cases import Case, Referral

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
    patterns: list[int] = field(default_factory=list)  # the patterns across referrals this one joined

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"case_ref": self.case_ref, "referral_id": self.referral_id, "instance_id": self.instance_id,
                "intake_decision": self.intake_decision, "open_work_items": self.open_work_items,
                "patterns": self.patterns}


def referral_form(svc: Services, process_id: str) -> FormDefinition:
    """The referral form of a route: from its current version (never a pilot's), else from the forms folder."""
    form_id = ROUTES[process_id]
    with svc.db.read() as session:
        try:
            form = load_version(session, current_version(session, process_id).id).form(form_id)
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


@dataclass(frozen=True)
class _Intake:
    """What differs between the two front doors; everything else is one path (``_log_referral``)."""

    process_id: str
    subject_type: str
    facts: Callable[[Mapping[str, Any]], Any]
    candidates: Callable[[Services, Session, Any], list[Candidate]]
    create: Callable[[Session, Any, str, datetime], Case]
    added: Callable[[Session, Case, str, datetime], str]  # the intake decision when added to an open case
    before: Callable[[Session, Mapping[str, Any]], Any]  # checks before matching (linked children)
    after: Callable[[Session, Case, Any, Any, int, str, datetime], None]  # writes that follow the referral


def log_context_referral(svc: Services, data: Mapping[str, Any], actor: str, *, add_to_case: str | None = None,
                         new_reason: str | None = None) -> ReferralLogged:
    """Record a context-of-concern referral and start ``context_referral``.

    Raises InvalidFormData (naming the field), PossibleMatches (when an open context may be the same
    one and the caller chose neither ``add_to_case`` nor ``new_reason``) or NotFound (route not deployed).
    """
    return _log_referral(svc, CONTEXT, data, actor, add_to_case, new_reason)


def refer_child(svc: Services, data: Mapping[str, Any], actor: str, *, add_to_case: str | None = None,
                new_reason: str | None = None) -> ReferralLogged:
    """Record a child referral and start ``child_referral``; raises as ``log_context_referral`` does.

    A ticked ``child.protected_address`` protects the child's address (engine/cases/protection.py).
    """
    return _log_referral(svc, CHILD, data, actor, add_to_case, new_reason)


def _log_referral(svc: Services, intake: _Intake, data: Mapping[str, Any], actor: str, add_to_case: str | None,
                  new_reason: str | None) -> ReferralLogged:
    """Validate, match (or add to the chosen case), record the referral, then start its route."""
    _check_choice(add_to_case, new_reason)
    form = referral_form(svc, intake.process_id)
    clean = with_defaults(form, validate_submission(form, data))
    _no_files(form, clean)
    facts, now = intake.facts(clean), svc.now()
    with svc.db.transaction() as session:
        _require_route(session, intake.process_id)
        check_references(session, form, clean)
        checked = intake.before(session, clean)
        serialise_matching(session)
        if add_to_case:
            case = case_by_ref(session, add_to_case, intake.subject_type)
            if case.merged_into:  # never add to a record merged into another: name the one to use
                raise InvalidFormData({"match": [f"{case.ref} was merged into {case.merged_into}: "
                                                 f"add to {case.merged_into}"]})
            decision, created = intake.added(session, case, actor, now), False
        else:
            candidates = intake.candidates(svc, session, facts)
            if candidates and new_reason is None:
                raise PossibleMatches(candidates)
            case, decision, created = intake.create(session, facts, actor, now), "new_case", True
            _note_override(session, case, candidates, new_reason, actor, now)
        earlier = session.scalar(select(Referral.id).where(Referral.case_id == case.id).limit(1))
        referral = add_referral(session, case, clean, actor, now, is_repeat=earlier is not None)
        intake.after(session, case, facts, checked, referral.id, actor, now)
        joined = check_on_arrival(session, referral, case, clean, load_rules(svc.settings.patterns_path), actor, now)
        case_ref, referral_id = case.ref, referral.id
    logged = _start(svc, intake.process_id, clean, actor, case_ref, referral_id, decision, created)
    return replace(logged, patterns=joined)


def _no_files(form: FormDefinition, clean: Mapping[str, Any]) -> None:
    """A referral has no case yet to hold a file: files are attached on the case page once it is sent."""
    errors = {path: ["Send the referral first, then attach files on the case page"]
              for path, _ids in file_answers(form, clean)}
    if errors:
        raise InvalidFormData(errors)


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


def _reopen(session: Session, case: Case, actor: str, now: datetime) -> str:
    """Adding to a closed context reopens it: a repeat referral during the repeat watch (docs/domain.md)."""
    if case.status != "open":
        case.status, case.closed_at = "open", None
        audit.record(session, at=now, actor=actor, action="case_reopened", subject_type="case", subject_id=case.ref,
                     reason="repeat referral")
    return "added_to_open_case"


def _link_children(session: Session, case: Case, _facts: Any, children: list[tuple[Case, str]], referral_id: int,
                   actor: str, now: datetime) -> None:
    for child, role in children:
        add_link(session, child, case, role, f"referral {referral_id}", actor, now)


def _protect_if_asked(session: Session, case: Case, facts: Any, _checked: Any, referral_id: int, actor: str,
                      now: datetime) -> None:
    if facts.protected_address:  # a later referral may protect the address; an unticked box never unprotects
        switch_address_protection(session, case, True, actor, now, "marked as protected on a referral",
                                  referral_id=referral_id)


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


CONTEXT = _Intake("context_referral", "context", context_facts,
                  lambda svc, session, facts: context_candidates(session, facts, svc.settings.context_match_radius_m,
                                                                 svc.now()),
                  create_context_case, _reopen, _linked_children, _link_children)
CHILD = _Intake("child_referral", "child", child_facts, lambda svc, session, facts: child_candidates(session, facts),
                create_child_case, lambda *_: "added_to_existing_case", lambda *_: None, _protect_if_asked)

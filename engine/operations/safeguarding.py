"""Service operations of the safeguarding routes (topics in docs/bpmn-conventions.md).

Each runs inside the step's transaction through ``ctx.session`` and returns process-data updates.
Starting another route needs its own transaction, so ``start_child_referral`` and
``start_context_referral`` only record outbox rows (engine/runtime/outbox.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from engine.operations.alerting import alert, day_words, referrer_message
from engine.operations.safeguarding_cases import (
    attach_instance,
    current_case,
    ensure_referral,
    link_named_children,
    open_to_services,
)
from engine.runtime.alerting import queue_email
from engine.runtime.operations import OPERATIONS, OperationContext
from engine.runtime.outbox import request_start
from engine.store.cases import Case, Child, ChildContextLink, Context

Data = Mapping[str, Any]
OUTCOME_KEYS = ("threshold_outcome", "level_of_need", "decision_rationale", "context_level", "context_route",
                "assessment_type")


@OPERATIONS.register("match_context")
def match_context(ctx: OperationContext, data: Data) -> Data:
    """Say whether the referral is about an open context: sets context_match 'open'|'none'."""
    decision = data.get("intake_decision")
    if decision == "added_to_open_case":  # the front door already chose the open context
        return {"context_match": "open", "matched_context_ref": ctx.case_ref, "matched_context_reference": ctx.case_ref}
    if decision == "new_case" or current_case(ctx, "context") is not None:
        return {"context_match": "none", "matched_context_ref": None}
    ctx.cases.serialise_matching(ctx.session)
    found = ctx.cases.context_candidates(ctx.session, ctx.cases.context_facts(data),
                                         ctx.services.settings.context_match_radius_m, ctx.now)
    if not found:
        return {"context_match": "none", "matched_context_ref": None}
    case = ctx.cases.case_by_ref(ctx.session, found[0].ref, "context")
    if case.status != "open":  # a repeat referral during the watch reopens the context
        case.status, case.closed_at = "open", None
    attach_instance(ctx, case)
    ensure_referral(ctx, case, data, is_repeat=True)
    link_named_children(ctx, case, data)
    return {"context_match": "open", "matched_context_ref": case.ref, "matched_context_reference": case.ref,
            "match_reasons": list(found[0].why)}


@OPERATIONS.register("open_context")
def open_context(ctx: OperationContext, data: Data) -> Data:
    """Open a context case from the referral in the process data, unless the instance has one already."""
    case = current_case(ctx, "context")
    if case is None:
        facts = ctx.cases.context_facts(data)
        if not facts.name:
            named = "Context named in a referral (name to be confirmed)"
            facts = ctx.cases.context_facts({**data, "context_name": named})
        case = ctx.cases.create_context_case(ctx.session, facts, ctx.actor, ctx.now)
        attach_instance(ctx, case)
        ensure_referral(ctx, case, data)
        link_named_children(ctx, case, data)
    # The safety-trigger gateways that follow test these flags; a route started by another route or a
    # panel may not have answered them, and an undefined name would fail the step.
    return {"context_ref": case.ref, "case_ref": case.ref,
            "children_at_immediate_risk": bool(data.get("children_at_immediate_risk")),
            "persons_or_premises_of_concern": bool(data.get("persons_or_premises_of_concern"))}


@OPERATIONS.register("match_child")
def match_child(ctx: OperationContext, data: Data) -> Data:
    """Find the child's case and say whether the child is already open to children's social care."""
    possible: list[str] = []
    case = current_case(ctx, "child")
    if case is None:  # started by another route or by hand, not through the front door
        case, possible = _find_or_open_child(ctx, data)
    # A case the front door has just opened cannot already be open to services.
    already = data.get("intake_decision") != "new_case" and open_to_services(ctx, case)
    return {"already_open": already, "open_case_ref": case.ref if already else None, "child_case_ref": case.ref,
            "allocated_worker": case.allocated_worker or "", "possible_duplicate_refs": possible}


def _find_or_open_child(ctx: OperationContext, data: Data) -> tuple[Case, list[str]]:
    """Without the front door: only a strong identifier (NHS number, UPN) matches by itself."""
    facts = ctx.cases.child_facts(data)
    ctx.cases.serialise_matching(ctx.session)
    found = ctx.cases.child_candidates(ctx.session, facts)
    strong = [c for c in found if c.strong]
    if len(strong) == 1:
        case = ctx.cases.case_by_ref(ctx.session, strong[0].ref, "child")
    else:
        if not facts.first_name:
            facts = ctx.cases.child_facts({"child": {**(data.get("child") or {}), "first_name": "Unidentified",
                                           "last_name": facts.last_name or "child"}})
        case = ctx.cases.create_child_case(ctx.session, facts, ctx.actor, ctx.now)
    attach_instance(ctx, case)
    ensure_referral(ctx, case, data, is_repeat=len(strong) == 1)
    return case, [c.ref for c in found if c.ref != case.ref]


@OPERATIONS.register("link_child_context")
def link_child_context(ctx: OperationContext, data: Data) -> Data:
    """Link the instance's case to the cases its screening names: a child to ``existing_context_refs``, a
    context to the children of ``screening_linked_children``. An unknown reference fails the step (the
    task's form check names it first: engine/cases/references.py), so nothing is dropped without a word."""
    case = current_case(ctx)
    if case is None:
        return {"linked_context_refs": [], "linked_child_refs": []}
    source = f"{ctx.element_id} (instance {ctx.instance_id})"
    if case.subject_type == "child":
        raw = data.get("existing_context_refs") or ""
        refs = raw if isinstance(raw, list) else raw.replace(",", " ").replace(";", " ").split()
        role = data.get("context_link_role") or "associated_with"
        linked = [_link(ctx, case, _named(ctx, ref, "context"), role, source) for ref in refs]
        return {"linked_context_refs": linked, "unlinked_context_refs": []}
    rows = [r for r in data.get("screening_linked_children") or [] if r.get("child_reference")]
    linked = [_link(ctx, case, _named(ctx, row["child_reference"], "child"), "associated_with", source)
              for row in rows]
    return {"linked_child_refs": linked}


def _named(ctx: OperationContext, ref: Any, kind: str) -> Case:
    found = ctx.session.scalar(select(Case).where(Case.ref == str(ref).strip().upper(), Case.subject_type == kind))
    if found is None:
        raise ValueError(f"there is no {kind} case with the reference {ref}")
    return found


def _link(ctx: OperationContext, case: Case, named: Case, role: str, source: str) -> str:
    """Link the instance's ``case`` to the ``named`` one (either way round); returns the named reference."""
    child, context = (case, named) if case.subject_type == "child" else (named, case)
    ctx.cases.add_link(ctx.session, child, context, role, source, ctx.actor, ctx.now, reason="named in a screening")
    return named.ref


@OPERATIONS.register("notify_referrer")
def notify_referrer(ctx: OperationContext, data: Data) -> Data:
    """Tell the referrer the outcome by e-mail, in words fit for them; returns referrer_notified_at.

    The referrer has no account, so the e-mail goes to the address on the referral through the outbox.
    With no address the front door is alerted to tell them another way, so the feedback is never lost.
    """
    who = ctx.cases.referrer_of(data)
    case = current_case(ctx)
    body = {"case_ref": ctx.case_ref, "referrer_name": who["name"],
            **{k: data[k] for k in OUTCOME_KEYS if data.get(k) not in (None, "")}}
    address = _referrer_email(data)
    ctx.cases.record_notice(ctx.session, case, "referrer_notified", who["contact"] or who["name"],
                            {**body, "emailed_to": address}, ctx.actor, ctx.now, ctx.instance_id)
    message = referrer_message(ctx.case_ref, case.subject_type if case else "child", data)
    if address:
        queue_email(ctx.session, to_address=address, subject="Your referral: what happens next", body=message,
                    now=ctx.now, dedupe_key=f"referrer:{ctx.instance_id}:{ctx.element_id}:{ctx.now.isoformat()}")
    else:
        alert(ctx, "referrer_feedback", "The referrer gave no e-mail address, so the outcome could not be sent.",
              f"Tell {who['name'] or 'the referrer'} the outcome another way ({who['contact'] or 'no contact given'}):"
              f" {message.splitlines()[0]}", groups=("front_door",))
    return {"referrer_notified_at": ctx.now.isoformat()}


def _referrer_email(data: Data) -> str:
    """The referrer's e-mail address from the referral, if it looks like one."""
    address = str((data.get("referrer") or {}).get("email") or "").strip()
    return address if "@" in address and len(address) <= 200 and "\n" not in address else ""


@OPERATIONS.register("alert_police")
def alert_police(ctx: OperationContext, data: Data) -> Data:
    """Alert the police (public protection desk, MACE): urgent, escalated if nobody acknowledges it.

    On the step whose property ``kind`` is ``immediate_danger`` (a child in immediate danger), the duty
    managers are alerted too (the escalation goes on to the service managers), and the strategy
    discussion is due by the end of the same working day (timescale ``strategy_discussion_immediate``),
    which the alert says.
    """
    immediate = ctx.properties.get("kind") == "immediate_danger"  # set on the immediate-danger step
    details = (data.get("persons_of_concern_details") or data.get("efh_summary")
               or (data.get("concerns") or {}).get("what") or data.get("concern_description") or "")
    at_risk = data.get("immediate_risk") == "yes" or bool(data.get("children_at_immediate_risk"))
    body = {"case_ref": ctx.case_ref, "element_id": ctx.element_id, "immediate_risk": at_risk, "details": details}
    ctx.cases.record_notice(ctx.session, current_case(ctx), "police_alert", "police", body, ctx.actor, ctx.now,
                            ctx.instance_id)
    updates: dict[str, Any] = {"police_alerted_at": ctx.now.isoformat()}
    if immediate:
        anchor = data.get("referral_received_at") or ctx.now
        due = ctx.services.timescales.due("strategy_discussion_immediate", ctx.services.functions()["date"](anchor))
        updates["strategy_due_at"] = due.isoformat()
        # No details in the words: they travel by e-mail; the case holds them for those it reaches.
        alert(ctx, "immediate_danger", "A child has been referred as being in immediate danger.",
              "Make sure the child is safe now (the police attend where needed), then hold the strategy discussion "
              f"by {day_words(ctx, due)}: the same working day.",
              groups=("police", ctx.services.settings.alert_escalation_groups[0]), urgent=True)
    else:
        alert(ctx, "persons_of_concern", "A referral names persons or premises of concern.",
              "Check police records and decide what disruption is needed; bring it to the next MACE meeting.",
              groups=("police",), urgent=True)
    return updates


@OPERATIONS.register("share_with_linked_workers")
def share_with_linked_workers(ctx: OperationContext, data: Data) -> Data:
    """Tell the worker of each child linked to this context that it has a safety plan (no other names).

    Each child's allocated worker, or the front door when none is allocated, gets an alert on that
    child's own case; the summary names the context and its plan, never another child.
    """
    context = current_case(ctx, "context")
    if context is None:
        return {"linked_workers_told": 0}
    name = ctx.session.get(Context, context.id).name
    rows = ctx.session.execute(select(ChildContextLink, Case).join(Case, Case.id == ChildContextLink.child_case_id)
                               .where(ChildContextLink.context_case_id == context.id,
                                      ChildContextLink.ended_on.is_(None))).all()
    for link, child_case in rows:
        body = {"context_ref": context.ref, "context_name": name, "role": link.role,
                **{k: data[k] for k in ("context_level", "plan_agreed", "lead_agency", "conference_rationale")
                   if data.get(k)}}
        ctx.cases.record_notice(ctx.session, child_case, "linked_worker_summary",
                                child_case.allocated_worker or "front_door", body, ctx.actor, ctx.now,
                                ctx.instance_id)
        lead = f", led by {str(data['lead_agency']).replace('_', ' ')}" if data.get("lead_agency") else ""
        alert(ctx, "linked_worker_summary",
              f"{name} ({context.ref}), a context this child is linked to ({link.role.replace('_', ' ')}), now has "
              f"a Context Safety Plan{lead}.",
              "Read the context's plan and weigh it in this child's own plan; tell the context's lead if you know "
              "something it should.", case_ref=child_case.ref,
              users=(child_case.allocated_worker,) if child_case.allocated_worker else (),
              groups=() if child_case.allocated_worker else ("front_door",))
    return {"linked_workers_told": len(rows), "linked_workers_told_at": ctx.now.isoformat()}


@OPERATIONS.register("record_repeat_watch")
def record_repeat_watch(ctx: OperationContext, data: Data) -> Data:
    """Close the context and watch for repeat referrals until now + timescale 'context_repeat_watch'."""
    context = current_case(ctx, "context")
    if context is None:
        return {}
    until = ctx.services.timescales.due("context_repeat_watch", ctx.now)
    ctx.session.execute(update(Context).where(Context.case_id == context.id).values(status="watch", watch_until=until))
    context.status, context.closed_at = "closed", ctx.now
    ctx.cases.record_notice(ctx.session, context, "repeat_watch_started", "cs_lead", {"watch_until": until.isoformat()},
                  ctx.actor, ctx.now, ctx.instance_id)
    return {"watch_until": until.isoformat(), "context_closed_at": ctx.now.isoformat()}


@OPERATIONS.register("start_child_referral")
def start_child_referral(ctx: OperationContext, data: Data) -> Data:
    """Ask for a child_referral per linked child at risk (one for an unnamed child if none is linked)."""
    rows = [r for r in data.get("linked_children") or [] if r.get("role") in ("harmed_at", "at_risk_at")]
    rows = rows or list(data.get("linked_children") or []) or [{}]
    for row in rows:
        child = ctx.session.scalar(select(Case).where(Case.ref == str(row.get("child_reference", "")).upper(),
                                                      Case.subject_type == "child"))
        request_start(ctx.session, "child_referral", _child_referral_data(ctx, data, child), ctx.actor, ctx.now,
                      case_ref=child.ref if child else None, source_instance_id=ctx.instance_id)
    return {"child_referrals_requested": len(rows)}


def _child_referral_data(ctx: OperationContext, data: Data, child: Case | None) -> dict[str, Any]:
    who = data.get("referrer") or {}
    person = ctx.session.get(Child, child.id) if child else None
    identity = ({"first_name": person.first_name, "last_name": person.last_name, "nhs_number": person.nhs_number,
                 "upn": person.upn, "dob": person.dob.isoformat() if person.dob else None} if person else {})
    return {"immediate_risk": "yes" if data.get("children_at_immediate_risk") else "no",
            "referrer": {"name": who.get("name") or ctx.actor, "role": who.get("role") or "",
                         "agency": who.get("organisation") or who.get("agency") or "",
                         "phone": who.get("phone") or "", "email": who.get("email") or ""},
            "child": identity, "harm_types": [ctx.cases.harm_codes.get(h, h) for h in data.get("harm_types") or []],
            "concerns": {"what": data.get("concern_description") or data.get("assessment_summary")
                         or "Raised by a context route"},
            "referral_source": ctx.element_id, "source_context_ref": ctx.case_ref}


@OPERATIONS.register("start_context_referral")
def start_context_referral(ctx: OperationContext, data: Data) -> Data:
    """Ask for a context_referral per place named in the child's screening; the child is linked, not named."""
    places = [row for row in data.get("efh_locations") or [] if row.get("place")]
    for row in places:
        request_start(ctx.session, "context_referral", _context_referral_data(ctx, data, row), ctx.actor, ctx.now,
                      source_instance_id=ctx.instance_id)
    return {"context_referrals_requested": len(places)}


def _context_referral_data(ctx: OperationContext, data: Data, row: Data) -> dict[str, Any]:
    child_ref = ctx.case_ref if current_case(ctx, "child") else None
    return {"referrer": {"name": ctx.actor, "role": "Screening practitioner", "organisation": "Children's social care",
                         "organisation_type": "statutory"},
            "context_type": row.get("context_type") or "public_space", "context_name": row["place"],
            "concern_description": data.get("efh_summary") or "Named in a child's extra-familial harm screening",
            "harm_types": [ctx.cases.harm_words.get(h, h) for h in data.get("harm_types") or []],
            "frequency": row.get("times") or "",
            "linked_children": [{"child_reference": child_ref, "role": "at_risk_at"}] if child_ref else [],
            "children_at_immediate_risk": False, "persons_or_premises_of_concern": False,
            "similar_concerns_known": "not_known", "referral_source": "child_referral"}


@OPERATIONS.register("start_assessment")
def start_assessment(ctx: OperationContext, data: Data) -> Data:
    """Placeholder topic: assessments start as call activities, so nothing to do here."""
    return {}


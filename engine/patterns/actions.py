"""Acting on a pattern: open a context referral from it, add its children to an open context, or dismiss it.

Only the roles that see every case act (engine/access/rules.py). Opening a context goes through the
front door's own use case, so the context route starts as for any referral, with the place, school,
platform or group filled in and exactly the pattern's children linked, each with a role. Every action
is audited; a dismissed or actioned pattern comes back only when new evidence joins it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import active_role
from engine.access.rules import can_act_on_patterns
from engine.cases.intake import ReferralLogged, log_context_referral
from engine.cases.records import HARM_WORDS, add_link, case_by_ref
from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.runtime.services import Services
from engine.store.cases import Case, Referral
from engine.store.models import User
from engine.store.patterns import Pattern, PatternFeature, PatternMember

# How each child is linked to the context a pattern becomes (docs/patterns.md).
ROLES = {"place": "at_risk_at", "school": "associated_with", "platform": "at_risk_at", "associate": "member_of"}
CONTEXT_TYPES = {"place": "public_space", "school": "school", "platform": "online", "associate": "peer_group"}
REASON_MIN, REASON_MAX = 10, 2000


def _acting(session: Session, username: str, pattern_id: int) -> Pattern:
    if not can_act_on_patterns(active_role(session, username)):
        raise NotPermitted("Only the front door, a manager or the Contextual Safeguarding lead can act on a pattern")
    pattern = session.get(Pattern, pattern_id)
    if pattern is None:
        raise NotFound(f"No pattern {pattern_id}")
    if pattern.status != "open":
        raise Conflict(f"Pattern {pattern_id} is {pattern.status} already; it comes back when new evidence joins it")
    return pattern


def _close(session: Session, pattern: Pattern, status: str, actor: str, now, reason: str | None = None,
           context: Case | None = None) -> None:
    pattern.status, pattern.changed_at, pattern.closed_by, pattern.closed_reason = status, now, actor, reason
    if context is not None:
        pattern.context_case_id = context.id


def dismiss_pattern(svc: Services, pattern_id: int, actor: str, reason: str) -> None:
    """Dismiss a pattern with a reason (10 to 2000 characters); audited."""
    reason = (reason or "").strip()
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise InvalidFormData({"reason": [f"Say why this is not a pattern to act on, in {REASON_MIN} to "
                                          f"{REASON_MAX} characters"]})
    with svc.db.transaction() as session:
        pattern = _acting(session, actor, pattern_id)
        _close(session, pattern, "dismissed", actor, svc.now(), reason)
        audit.record(session, at=svc.now(), actor=actor, action="pattern_dismissed", subject_type="pattern",
                     subject_id=pattern_id, reason=reason)


def _children(session: Session, pattern_id: int) -> list[Case]:
    ids = select(PatternFeature.case_id).join(PatternMember, PatternMember.feature_id == PatternFeature.id).where(
        PatternMember.pattern_id == pattern_id, PatternFeature.subject_type == "child")
    return list(session.scalars(select(Case).where(Case.id.in_(ids)).order_by(Case.id)))


def add_to_context(svc: Services, pattern_id: int, actor: str, case_ref: str) -> str:
    """Link the pattern's children to an open context (each with the kind's role); returns its reference."""
    if not (case_ref or "").strip():
        raise InvalidFormData({"case_ref": ["Enter the reference of the open context, like CX-000123"]})
    now = svc.now()
    with svc.db.transaction() as session:
        pattern = _acting(session, actor, pattern_id)
        try:
            context = case_by_ref(session, case_ref, "context")
        except NotFound as exc:
            raise InvalidFormData({"case_ref": [exc.message]}) from None
        if context.status != "open":
            raise InvalidFormData({"case_ref": [f"{context.ref} is closed: choose an open context"]})
        for child in _children(session, pattern_id):
            add_link(session, child, context, ROLES[pattern.kind], f"pattern {pattern_id}", actor, now)
        _close(session, pattern, "actioned", actor, now, f"added to {context.ref}", context)
        audit.record(session, at=now, actor=actor, action="pattern_added_to_context", subject_type="pattern",
                     subject_id=pattern_id, context_ref=context.ref)
        return context.ref


def _referral_from(session: Session, pattern: Pattern, actor: str) -> dict[str, Any]:
    """A context referral's answers for the pattern: the shared thing, the children, the harms."""
    rows = session.execute(select(PatternFeature, Case.ref).join(PatternMember, PatternMember.feature_id ==
                                                                 PatternFeature.id)
                           .join(Case, Case.id == PatternFeature.case_id)
                           .where(PatternMember.pattern_id == pattern.id).order_by(PatternFeature.at)).all()
    children = list(dict.fromkeys(ref for f, ref in rows if f.subject_type == "child"))
    harms = _harm_words(session, pattern.id)
    data: dict[str, Any] = {
        "referrer": _referrer(session, actor),
        "context_type": CONTEXT_TYPES[pattern.kind], "context_name": _name(pattern),
        "concern_description": f"{len(children)} children were referred separately between "
                               f"{rows[0][0].at:%d %B %Y} and {rows[-1][0].at:%d %B %Y}, each naming "
                               f"the same {pattern.kind.replace('associate', 'named associate')}. "
                               "Opened from a pattern across referrals.",
        "harm_types": harms or ["other"], "similar_concerns_known": "yes",
        "similar_concerns_details": f"A pattern across {len(rows)} referrals found by the front door.",
        "linked_children": [{"child_reference": ref, "role": ROLES[pattern.kind]} for ref in children]}
    if not harms:
        data["harm_other"] = "Not stated in the referrals"
    return {**data, **_where(pattern, [f for f, _ in rows])}


def _referrer(session: Session, actor: str) -> dict[str, str]:
    user = session.scalar(select(User).where(User.username == actor))
    return {"name": (user.display_name if user else "") or actor, "role": (user.role if user else "") or "front door",
            "organisation": "Front door", "organisation_type": "statutory",
            "email": (user.email if user else "") or f"{actor} (frontdoor account)"}


def _name(pattern: Pattern) -> str:
    # A context record never names a child; an associate may be one, so a peer group gets a neutral name.
    return "Peer group linked through a named associate" if pattern.kind == "associate" else pattern.label[:200]


def _where(pattern: Pattern, features: list[PatternFeature]) -> dict[str, Any]:
    if pattern.kind == "school":
        return {"school_urn": features[0].key[:7]}
    if pattern.kind == "platform":
        return {"online_platform": {"platform": features[0].key}}
    if pattern.kind != "place":
        return {}
    point = next((f for f in reversed(features) if f.latitude is not None), None)
    return {"location": {"address": pattern.label[:1000],
                         "postcode": next((f.postcode for f in reversed(features) if f.postcode), None),
                         "uprn": next((f.uprn for f in reversed(features) if f.uprn), None),
                         "latitude": round(point.latitude, 6) if point else None,
                         "longitude": round(point.longitude, 6) if point else None}}


def _harm_words(session: Session, pattern_id: int) -> list[str]:
    rows = session.scalars(select(Referral.harm_types).where(Referral.id.in_(
        select(PatternMember.referral_id).where(PatternMember.pattern_id == pattern_id))))
    codes = {str(h) for harms in rows for h in harms or ()}
    return sorted({HARM_WORDS.get(c, c) for c in codes} & set(HARM_WORDS.values()))


def open_context(svc: Services, pattern_id: int, actor: str, answers: Mapping[str, Any] | None = None
                 ) -> ReferralLogged:
    """Open a context referral from the pattern (its route starts as for any referral); the children are linked."""
    with svc.db.read() as session:
        data = _referral_from(session, _acting(session, actor, pattern_id), actor)
    logged = log_context_referral(svc, {**data, **(answers or {})}, actor,
                                  new_reason="Opened from a pattern across referrals")
    now = svc.now()
    with svc.db.transaction() as session:
        pattern = session.get(Pattern, pattern_id)
        context = case_by_ref(session, logged.case_ref, "context")
        _close(session, pattern, "actioned", actor, now, f"context {context.ref} opened", context)
        audit.record(session, at=now, actor=actor, action="pattern_context_opened", subject_type="pattern",
                     subject_id=pattern_id, context_ref=context.ref)
    return logged


def peer_group_from(svc: Services, centre_ref: str, child_refs: list[str], name: str, actor: str) -> ReferralLogged:
    """Open a peer-group context for children chosen in a network view (their peer-group assessment follows
    on the context route); each child is linked as a member."""
    name = (name or "").strip()
    refs = list(dict.fromkeys(r.strip().upper() for r in child_refs if r.strip()))
    errors = {}
    if len(refs) < 2:
        errors["child"] = ["Choose at least two children for the peer group"]
    if not 3 <= len(name) <= 200:
        errors["name"] = ["Give the group a neutral description, in 3 to 200 characters (no children's names)"]
    if errors:
        raise InvalidFormData(errors)
    with svc.db.read() as session:
        if not can_act_on_patterns(active_role(session, actor)):
            raise NotPermitted("Only the front door, a manager or the Contextual Safeguarding lead can start this")
        try:
            cases = [case_by_ref(session, ref, "child") for ref in refs]
        except NotFound as exc:
            raise InvalidFormData({"child": [exc.message]}) from None
        codes = {str(h) for harms in session.scalars(select(Referral.harm_types).where(
            Referral.case_id.in_([c.id for c in cases]))) for h in harms or ()}
        data = {"referrer": _referrer(session, actor), "context_type": "peer_group", "context_name": name,
                "concern_description": f"A peer group of {len(cases)} children chosen from the network around "
                                       f"{centre_ref.upper()}, for a peer group assessment.",
                "harm_types": sorted({HARM_WORDS.get(c, c) for c in codes} & set(HARM_WORDS.values())) or ["other"],
                "similar_concerns_known": "yes",
                "linked_children": [{"child_reference": c.ref, "role": "member_of"} for c in cases]}
    if data["harm_types"] == ["other"]:
        data["harm_other"] = "Not stated in the referrals"
    return log_context_referral(svc, data, actor, new_reason="A peer group chosen from the network view")

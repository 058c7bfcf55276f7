"""Writing case records inside an open transaction: cases, subjects, referrals, links and notices.

Shared by the front-door use cases (engine/cases/intake.py) and the BPMN service operations
(engine/operations/safeguarding.py), which both run inside someone else's unit of work.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.fuzzy import name_keys
from engine.errors import FrontdoorError, InvalidFormData, NotFound
from engine.store.cases import (
    LINK_ROLES,
    Case,
    CaseInvolvement,
    CaseNotice,
    Child,
    ChildContextLink,
    Context,
    Referral,
)
from engine.store.casework import SearchKey

# Harm types and their EFH codes (docs/domain.md, what gets recorded). The context form uses words.
HARM_CODES = {
    "sexual_exploitation": "EFH-CSE", "criminal_exploitation": "EFH-CCE", "county_lines": "EFH-CL",
    "serious_violence": "EFH-SV", "modern_slavery": "EFH-MST", "harmful_sexual_behaviour": "EFH-HSB",
    "teenage_relationship_abuse": "EFH-TRA", "online_harm": "EFH-ONL", "radicalisation": "EFH-RAD",
    "missing": "EFH-MIS", "gang_association": "EFH-GNG", "other": "EFH-OTH",
}
HARM_WORDS = {code: word for word, code in HARM_CODES.items()}
CONSENT_FROM_FORM = {"given": "given", "refused": "refused", "not_sought_risk": "not_sought"}


@dataclass(frozen=True)
class ContextFacts:
    """What a context referral says about the place, group or space (no children)."""

    type: str
    name: str
    public_space_type: str | None = None
    address: str = ""
    postcode: str | None = None
    uprn: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    school_urn: str | None = None
    online_platform: str | None = None


@dataclass(frozen=True)
class ChildFacts:
    """What a child referral says about who the child is."""

    first_name: str
    last_name: str
    dob: date | None = None
    nhs_number: str | None = None
    upn: str | None = None
    address: str = ""
    postcode: str | None = None
    school: str = ""
    protected_address: bool = False


def harm_codes(values: Any) -> list[str]:
    """Harm types as EFH codes, whichever spelling the form used; unknown values are kept as given."""
    return sorted({HARM_CODES.get(str(v), str(v)) for v in (values or [])})


def postcode_key(value: Any) -> str | None:
    """A postcode in one spelling (upper case, single space before the inward code) or None."""
    raw = "".join(str(value or "").split()).upper()
    return f"{raw[:-3]} {raw[-3:]}" if len(raw) > 3 else (raw or None)


def identifier_key(value: Any) -> str | None:
    """An NHS number, UPN, UPRN or URN without spaces or dashes, upper case; None when blank."""
    raw = "".join(ch for ch in str(value or "") if ch.isalnum()).upper()
    return raw or None


def _number(value: Any) -> float | None:
    return None if value in (None, "") else float(value)


def context_facts(data: Mapping[str, Any]) -> ContextFacts:
    """Context facts from ctx_referral answers."""
    where = data.get("location") or {}
    online = data.get("online_platform") or {}
    platform = " ".join(p for p in (online.get("platform"), online.get("handle_or_url")) if p) or None
    return ContextFacts(
        type=str(data.get("context_type") or ""), name=str(data.get("context_name") or "").strip(),
        public_space_type=data.get("public_space_type") or None, address=where.get("address") or "",
        postcode=postcode_key(where.get("postcode")), uprn=identifier_key(where.get("uprn")),
        latitude=_number(where.get("latitude")), longitude=_number(where.get("longitude")),
        school_urn=identifier_key(data.get("school_urn")), online_platform=platform)


def child_facts(data: Mapping[str, Any]) -> ChildFacts:
    """Child facts from child_referral answers (``child`` section)."""
    child = data.get("child") or {}
    dob = child.get("dob")
    return ChildFacts(
        first_name=str(child.get("first_name") or "").strip(), last_name=str(child.get("last_name") or "").strip(),
        dob=date.fromisoformat(str(dob)[:10]) if dob else None, nhs_number=identifier_key(child.get("nhs_number")),
        upn=identifier_key(child.get("upn")), address=child.get("address") or "",
        postcode=postcode_key(child.get("postcode")), school=child.get("school") or "",
        protected_address=child.get("protected_address") is True)


def serialise_matching(session: Session) -> None:
    """Make match-then-create atomic: two referrals for one place must not both open a context.

    SQLite already serialises writers (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped
    advisory lock held until commit.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext('frontdoor_case_matching'))"))


def _new_case(session: Session, subject_type: str, actor: str, now: datetime) -> Case:
    case = Case(ref=f"new-{uuid.uuid4().hex}", subject_type=subject_type, status="open", opened_at=now,
                created_by=actor)
    session.add(case)
    session.flush()
    case.ref = f"{'CH' if subject_type == 'child' else 'CX'}-{case.id:06d}"
    return case


def create_context_case(session: Session, facts: ContextFacts, actor: str, now: datetime) -> Case:
    """Open a context case for these facts; audited."""
    case = _new_case(session, "context", actor, now)
    session.add(Context(case_id=case.id, type=facts.type, public_space_type=facts.public_space_type,
                        name=facts.name, address=facts.address, postcode=facts.postcode, uprn=facts.uprn,
                        latitude=facts.latitude, longitude=facts.longitude, school_urn=facts.school_urn,
                        online_platform=facts.online_platform, status="referred"))
    store_search_keys(session, case.id, facts.name)
    audit.record(session, at=now, actor=actor, action="case_opened", subject_type="case", subject_id=case.ref,
                 subject="context", context_type=facts.type)
    return case


def create_child_case(session: Session, facts: ChildFacts, actor: str, now: datetime) -> Case:
    """Open a child case for these facts; audited (without the child's name)."""
    case = _new_case(session, "child", actor, now)
    session.add(Child(case_id=case.id, first_name=facts.first_name, last_name=facts.last_name, dob=facts.dob,
                      nhs_number=facts.nhs_number, upn=facts.upn, address=facts.address,
                      postcode=facts.postcode, school=facts.school, protected_address=facts.protected_address))
    store_search_keys(session, case.id, facts.first_name, facts.last_name)
    audit.record(session, at=now, actor=actor, action="case_opened", subject_type="case", subject_id=case.ref,
                 subject="child")
    if facts.protected_address:
        record_address_protection(session, case, True, actor, now, "marked as protected on the referral")
    return case


def store_search_keys(session: Session, case_id: int, *names: str | None) -> None:
    """The phonetic keys search and matching find this case by (engine/cases/fuzzy.py)."""
    for key in sorted(name_keys(*names)):
        session.add(SearchKey(case_id=case_id, key=key))


# The audit says who, when, why and on or off; never the address (docs/domain.md: hidden everywhere).
PROTECTION_ACTIONS = {True: "address_protected", False: "address_protection_removed"}


def record_address_protection(session: Session, case: Case, protected: bool, actor: str, now: datetime,
                              reason: str, **details: Any) -> None:
    """Audit a change to a child's address protection (without the address)."""
    audit.record(session, at=now, actor=actor, action=PROTECTION_ACTIONS[protected], subject_type="case",
                 subject_id=case.ref, protected=protected, reason=reason, **details)


def switch_address_protection(session: Session, case: Case, protected: bool, actor: str, now: datetime,
                              reason: str, **details: Any) -> bool:
    """Protect a child's address (or stop) unless it already is so; audited. True when it changed.

    A conditional update, so two people switching at once cannot both succeed.
    """
    changed = session.execute(update(Child).where(Child.case_id == case.id,
                                                  Child.protected_address.is_(not protected))
                              .values(protected_address=protected).execution_options(synchronize_session=False))
    if changed.rowcount != 1:
        return False
    record_address_protection(session, case, protected, actor, now, reason, **details)
    return True


def case_by_ref(session: Session, ref: str, subject_type: str | None = None) -> Case:
    """The case with this reference (and subject type, if given); raises NotFound."""
    case = session.scalar(select(Case).where(Case.ref == str(ref).strip().upper()))
    if case is None or (subject_type and case.subject_type != subject_type):
        kind = f"{subject_type} case" if subject_type else "case"
        raise NotFound(f"No {kind} with reference '{ref}'")
    return case


class CaseMerged(FrontdoorError):
    """The case was merged into another (a duplicate record): reading it leads there; nothing more is added to it."""

    code = "case_merged"
    status = 409

    def __init__(self, ref: str, merged_into: str) -> None:
        super().__init__(f"{ref} was merged into {merged_into}: use {merged_into}", case_ref=ref,
                         merged_into=merged_into)
        self.case_ref, self.merged_into = ref, merged_into


def live_case(session: Session, ref: str, subject_type: str | None = None) -> Case:
    """``case_by_ref`` for what a person reads or adds to: a merged case raises CaseMerged naming the kept one."""
    case = case_by_ref(session, ref, subject_type)
    if case.merged_into:
        raise CaseMerged(case.ref, case.merged_into)
    return case


def referrer_of(data: Mapping[str, Any]) -> dict[str, str]:
    """Referrer name, role, agency and contact from either referral form."""
    who = data.get("referrer") or {}
    contact = ", ".join(str(who[k]) for k in ("email", "phone") if who.get(k))
    return {"name": who.get("name") or "", "role": who.get("role") or "",
            "agency": who.get("agency") or who.get("organisation") or "", "contact": contact}


def add_referral(session: Session, case: Case, data: Mapping[str, Any], actor: str, now: datetime, *,
                 is_repeat: bool = False, source: str = "front_door") -> Referral:
    """Record a referral into ``case`` from referral-form answers; audited."""
    who = referrer_of(data)
    consent = data.get("consent") or {}
    referral = Referral(
        case_id=case.id, received_at=now, referrer_name=who["name"][:200], referrer_role=who["role"][:200],
        referrer_agency=who["agency"][:200], referrer_contact=who["contact"][:400],
        harm_types=harm_codes(data.get("harm_types")),
        consent=CONSENT_FROM_FORM.get(consent.get("status"), "not_sought"),
        # A context referral is about a place, not a person: shared under UK GDPR Art 6(1)(e) public task.
        lawful_basis=consent.get("lawful_basis") or ("consent" if consent.get("status") == "given"
                                                     else "public_task"),
        is_repeat=is_repeat, source=source, created_by=actor)
    session.add(referral)
    session.flush()
    audit.record(session, at=now, actor=actor, action="referral_recorded", subject_type="case",
                 subject_id=case.ref, referral_id=referral.id, source=source, is_repeat=is_repeat)
    return referral


def add_link(session: Session, child: Case, context: Case, role: str, source: str, actor: str,
             now: datetime, *, reason: str = "", started_on: date | None = None) -> ChildContextLink:
    """Link a child case to a context case (idempotent per role while the link is current); audited on both."""
    if role not in LINK_ROLES:
        raise InvalidFormData({"role": [f"Choose how the child is linked: {', '.join(LINK_ROLES)}"]})
    if child.subject_type != "child" or context.subject_type != "context":
        raise InvalidFormData({"child_reference": ["Link a child case (CH-...) to a context case (CX-...)"]})
    existing = session.scalar(select(ChildContextLink).where(
        ChildContextLink.child_case_id == child.id, ChildContextLink.context_case_id == context.id,
        ChildContextLink.role == role, ChildContextLink.ended_on.is_(None)))
    if existing is not None:
        return existing
    link = ChildContextLink(child_case_id=child.id, context_case_id=context.id, role=role,
                            started_on=started_on or now.date(), source=source[:120], created_by=actor,
                            reason=reason)
    session.add(link)
    session.flush()
    # One row on each case, so both timelines show it; the context's row names the child by reference only.
    audit.record(session, at=now, actor=actor, action="case_linked", subject_type="case", subject_id=context.ref,
                 child_ref=child.ref, role=role, source=source, link_id=link.id, reason=reason or None)
    audit.record(session, at=now, actor=actor, action="case_linked", subject_type="case", subject_id=child.ref,
                 context_ref=context.ref, role=role, source=source, link_id=link.id, reason=reason or None)
    return link


def involve(session: Session, case: Case, username: str, reason: str, now: datetime) -> None:
    """Record that ``username`` is involved in ``case`` (need-to-know), once per reason."""
    exists = session.scalar(select(CaseInvolvement.id).where(
        CaseInvolvement.case_id == case.id, CaseInvolvement.username == username,
        CaseInvolvement.reason == reason, CaseInvolvement.until.is_(None)))
    if exists is None:
        session.add(CaseInvolvement(case_id=case.id, username=username, reason=reason, since=now))


def record_notice(session: Session, case: Case | None, kind: str, recipient: str, body: Mapping[str, Any],
                  actor: str, now: datetime, instance_id: int | None = None) -> CaseNotice:
    """Record a notice a route sent (referrer told, police alerted, summary shared); audited."""
    notice = CaseNotice(case_id=case.id if case else None, kind=kind, recipient=recipient[:400], body=dict(body),
                        instance_id=instance_id, created_at=now, created_by=actor)
    session.add(notice)
    audit.record(session, at=now, actor=actor, action=f"{kind}_recorded", subject_type="case",
                 subject_id=case.ref if case else "-", recipient=recipient[:200], instance_id=instance_id)
    return notice

"""Reading cases: one case's record and a search, each read audited (docs/domain.md, data protection).

A context's record never carries a child's name unless the viewer may open that child's case
(engine/access/need_to_know.py); everyone else sees counts by role and unnamed links. A case
itself opens only to those with need-to-know (or a live break-glass grant).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import false, func, or_, select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import (
    NoNeedToKnow,
    cases_visible_to,
    children_visible_to,
    may_see_case,
    require_case_reader,
)
from engine.access.rules import can_refer
from engine.cases.fuzzy import key, matches
from engine.cases.fuzzy import words as fuzzy_words
from engine.cases.instance_page import audit_view
from engine.cases.records import identifier_key, live_case, postcode_key
from engine.errors import NotFound
from engine.runtime.services import Services
from engine.store.cases import Case, Child, ChildContextLink, Context, Referral
from engine.store.casework import SearchKey
from engine.store.models import Instance, WorkItem

PROTECTED = "Withheld: protected address"


@dataclass(frozen=True)
class CaseView:
    """A plain-data picture of one case for pages, the API and the CLI."""

    ref: str
    subject_type: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    manager: str | None
    allocated_worker: str | None
    subject: dict[str, Any]
    referrals: list[dict[str, Any]] = field(default_factory=list)
    link_counts: dict[str, int] = field(default_factory=dict)
    links: list[dict[str, Any]] = field(default_factory=list)
    instances: list[dict[str, Any]] = field(default_factory=list)
    stage: str | None = None
    merged_into: str | None = None
    merged_from: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = asdict(self)
        out["opened_at"] = self.opened_at.isoformat()
        out["closed_at"] = self.closed_at.isoformat() if self.closed_at else None
        return out


@dataclass(frozen=True)
class CaseSummary:
    """One search result; ``name`` is a context's name or a child's name the viewer may see."""

    ref: str
    subject_type: str
    status: str
    type: str
    name: str
    postcode: str | None
    stage: str | None = None
    dob: str | None = None
    why: tuple[str, ...] = ()


def get_case(svc: Services, ref: str, viewer: str, section: str = "summary") -> CaseView:
    """One case as ``viewer`` may see it; audited as ``case_viewed``. Raises NotFound or NoNeedToKnow."""
    with svc.db.transaction() as session:
        case, now = live_case(session, ref), svc.now()  # a merged record's reference leads to the kept one
        if not may_see_case(session, viewer, case.id, now):
            audit_view(session, now, viewer, False, "case", case.ref, case.ref, section)
            refused = NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
        else:
            refused = None
            view = _child_view(session, case) if case.subject_type == "child" else _context_view(session, case, viewer)
            audit_view(session, now, viewer, True, "case", case.ref, case.ref, section,
                       children_named=[link["child_ref"] for link in view.links if link.get("child_name")])
    if refused is not None:  # raised after the commit so the refusal itself stays in the audit log
        raise refused
    return view


def _base(session: Session, case: Case, subject: dict[str, Any], **extra: Any) -> CaseView:
    referrals = session.scalars(select(Referral).where(Referral.case_id == case.id).order_by(Referral.id)).all()
    instances = session.scalars(select(Instance).where(Instance.case_ref == case.ref).order_by(Instance.id)).all()
    merged_from = session.scalars(select(Case.ref).where(Case.merged_into == case.ref).order_by(Case.id)).all()
    return CaseView(
        ref=case.ref, subject_type=case.subject_type, status=case.status, opened_at=case.opened_at,
        closed_at=case.closed_at, manager=case.manager, allocated_worker=case.allocated_worker, subject=subject,
        stage=case.stage, merged_into=case.merged_into, merged_from=list(merged_from),
        referrals=[{"id": r.id, "received_at": r.received_at.isoformat(), "referrer_name": r.referrer_name,
                    "referrer_role": r.referrer_role, "referrer_agency": r.referrer_agency,
                    "harm_types": r.harm_types, "consent": r.consent, "lawful_basis": r.lawful_basis,
                    "is_repeat": r.is_repeat, "source": r.source, "instance_id": r.process_instance_id}
                   for r in referrals],
        instances=[{"id": i.id, "process_id": i.process_id, "status": i.status,
                    "started_at": i.started_at.isoformat()} for i in instances], **extra)


def _child_view(session: Session, case: Case) -> CaseView:
    child = session.get(Child, case.id)
    hidden = child.protected_address
    subject = {"first_name": child.first_name, "last_name": child.last_name,
               "dob": child.dob.isoformat() if child.dob else None, "nhs_number": child.nhs_number,
               "upn": child.upn, "address": PROTECTED if hidden else child.address,
               "postcode": None if hidden else child.postcode, "school": child.school,
               "protected_address": hidden}
    rows = session.execute(select(ChildContextLink, Case, Context)
                           .join(Case, Case.id == ChildContextLink.context_case_id)
                           .join(Context, Context.case_id == Case.id)
                           .where(ChildContextLink.child_case_id == case.id).order_by(ChildContextLink.id)).all()
    links = [{"link_id": link.id, "role": link.role, "context_ref": ctx_case.ref, "context_name": ctx.name,
              "context_type": ctx.type, "started_on": link.started_on.isoformat(),
              "ended_on": link.ended_on.isoformat() if link.ended_on else None, "source": link.source,
              "reason": link.reason, "ended_reason": link.ended_reason}
             for link, ctx_case, ctx in rows]
    return _base(session, case, subject, links=links,
                 link_counts=dict(Counter(x["role"] for x in links if not x["ended_on"])))


def _context_view(session: Session, case: Case, viewer: str) -> CaseView:
    ctx = session.get(Context, case.id)
    subject = {"type": ctx.type, "public_space_type": ctx.public_space_type, "name": ctx.name,
               "address": ctx.address, "postcode": ctx.postcode, "uprn": ctx.uprn, "latitude": ctx.latitude,
               "longitude": ctx.longitude, "school_urn": ctx.school_urn, "online_platform": ctx.online_platform,
               "status": ctx.status, "watch_until": ctx.watch_until.isoformat() if ctx.watch_until else None}
    rows = session.execute(select(ChildContextLink, Case, Child)
                           .join(Case, Case.id == ChildContextLink.child_case_id)
                           .join(Child, Child.case_id == Case.id)
                           .where(ChildContextLink.context_case_id == case.id).order_by(ChildContextLink.id)).all()
    allowed = children_visible_to(session, viewer, [c.id for _link, c, _child in rows])
    links = [_context_link(link, child_case, child, child_case.id in allowed) for link, child_case, child in rows]
    return _base(session, case, subject, links=links,
                 link_counts=dict(Counter(x["role"] for x in links if not x["ended_on"])))


def _context_link(link: ChildContextLink, child_case: Case, child: Child, may_open: bool) -> dict[str, Any]:
    """A link as a context shows it: the child's reference and name only to those who may open it."""
    return {"link_id": link.id, "role": link.role, "started_on": link.started_on.isoformat(),
            "ended_on": link.ended_on.isoformat() if link.ended_on else None, "source": link.source,
            "reason": link.reason if may_open else None, "ended_reason": link.ended_reason if may_open else None,
            "may_open": may_open, "child_ref": child_case.ref if may_open else None,
            "child_name": f"{child.first_name} {child.last_name}" if may_open else None}


@dataclass(frozen=True)
class SearchTerms:
    """What a search asks for; every term given must agree. Names tolerate spelling variants."""

    text: str | None = None
    postcode: str | None = None
    school_urn: str | None = None
    dob: date | None = None
    nhs_number: str | None = None
    upn: str | None = None

    def children_only(self) -> bool:
        """Terms only a child has (a context has no date of birth, NHS number or UPN)."""
        return bool(self.dob or self.nhs_number or self.upn)


def search_cases(svc: Services, viewer: str, *, text: str | None = None, postcode: str | None = None,
                 school_urn: str | None = None, dob: date | None = None, nhs_number: str | None = None,
                 upn: str | None = None, limit: int = 50) -> list[CaseSummary]:
    """Cases by reference, name (spelling variants too), postcode, school URN, date of birth, NHS number or UPN.

    Children appear only if ``viewer`` may open them; the search is audited with its terms and results.
    Raises NotPermitted for a reviewer: they see no case record, not even a context's name.
    """
    terms = SearchTerms(text, postcode, school_urn, dob, nhs_number, upn)
    with svc.db.transaction() as session:
        require_case_reader(session, viewer)
        found = [] if terms.children_only() else _search_contexts(session, terms, limit)
        children = _search_children(session, terms, limit) if not school_urn else []
        allowed = children_visible_to(session, viewer, [s.case_id for s in children], svc.now())
        found += [s.summary for s in children if s.case_id in allowed]
        audit.record(session, at=svc.now(), actor=viewer, action="cases_searched", subject_type="case",
                     subject_id="-", text=text, postcode=postcode, school_urn=school_urn,
                     dob=dob.isoformat() if dob else None, nhs_number=nhs_number, upn=upn,
                     results=[s.ref for s in found[:limit]])
        return found[:limit]


@dataclass(frozen=True)
class _Found:
    case_id: int
    summary: CaseSummary


def _by_name(session: Session, words: list[str]) -> set[int]:
    """Case ids with a name word sounding like each query word (one indexed query on either database)."""
    if not words:
        return set()
    keys = {key(w) for w in words}
    rows = session.execute(select(SearchKey.case_id, SearchKey.key).where(SearchKey.key.in_(keys))).all()
    having: dict[int, set[str]] = {}
    for case_id, k in rows:
        having.setdefault(case_id, set()).add(k)
    return {case_id for case_id, ks in having.items() if ks >= keys}


def _search_contexts(session: Session, terms: SearchTerms, limit: int) -> list[CaseSummary]:
    query = select(Case, Context).join(Context, Context.case_id == Case.id)
    words = fuzzy_words(terms.text)
    if terms.text:
        typed = terms.text.strip()
        named = _by_name(session, words)
        query = query.where(or_(Case.ref == typed.upper(), func.lower(Context.name).contains(typed.lower()),
                                Case.id.in_(named) if named else false()))
    if terms.postcode:
        query = query.where(Context.postcode == postcode_key(terms.postcode))
    if terms.school_urn:
        query = query.where(Context.school_urn == identifier_key(terms.school_urn))
    rows = session.execute(query.order_by(Case.status.desc(), Case.id.desc()).limit(limit * 4)).all()
    found = []
    for case, ctx in rows:
        why = _context_why(case, ctx, terms, words)
        if why is not None:
            found.append(CaseSummary(case.ref, "context", case.status, ctx.type, ctx.name, ctx.postcode,
                                     case.stage, None, why))
    return found[:limit]


def _context_why(case: Case, ctx: Context, terms: SearchTerms, words: list[str]) -> tuple[str, ...] | None:
    why = []
    if terms.text:
        typed = terms.text.strip()
        if case.ref == typed.upper():
            why.append("reference")
        elif typed.lower() in ctx.name.lower():
            why.append("name")
        elif matches(words, fuzzy_words(ctx.name)):
            why.append("name (spelt differently)")
        else:
            return None  # sounded alike but too far apart in spelling
    why += ["postcode"] * bool(terms.postcode) + ["school URN"] * bool(terms.school_urn)
    return tuple(why)


def _search_children(session: Session, terms: SearchTerms, limit: int) -> list[_Found]:
    if not (terms.text or terms.postcode or terms.children_only()):
        return []
    query = select(Case, Child).join(Child, Child.case_id == Case.id)
    words = fuzzy_words(terms.text)
    if terms.text:
        typed = terms.text.strip()
        named = _by_name(session, words)
        full = func.lower(Child.first_name + " " + Child.last_name)
        query = query.where(or_(Case.ref == typed.upper(), full.contains(typed.lower()),
                                Case.id.in_(named) if named else false()))
    if terms.postcode:
        query = query.where(Child.postcode == postcode_key(terms.postcode), Child.protected_address.is_(False))
    if terms.dob:
        query = query.where(Child.dob == terms.dob)
    if terms.nhs_number:
        query = query.where(Child.nhs_number == identifier_key(terms.nhs_number))
    if terms.upn:
        query = query.where(Child.upn == identifier_key(terms.upn))
    rows = session.execute(query.order_by(Case.id.desc()).limit(limit * 4)).all()
    found = []
    for case, child in rows:
        why = _child_why(case, child, terms, words)
        if why is not None:
            found.append(_Found(case.id, _child_summary(case, child, why)))
    return found[:limit]


def _child_why(case: Case, child: Child, terms: SearchTerms, words: list[str]) -> tuple[str, ...] | None:
    why = []
    if terms.text:
        name = fuzzy_words(f"{child.first_name} {child.last_name}")
        if case.ref == terms.text.strip().upper():
            why.append("reference")
        elif set(words) <= set(name) or terms.text.strip().lower() in f"{child.first_name} {child.last_name}".lower():
            why.append("name")
        elif matches(words, name):
            why.append("name (spelt differently)")
        else:
            return None
    for given, words_for in ((terms.postcode, "postcode"), (terms.dob, "date of birth"),
                             (terms.nhs_number, "NHS number"), (terms.upn, "UPN")):
        if given:
            why.append(words_for)
    return tuple(why)


def _child_summary(case: Case, child: Child, why: tuple[str, ...] = ()) -> CaseSummary:
    return CaseSummary(case.ref, "child", case.status, "child", f"{child.first_name} {child.last_name}",
                       None if child.protected_address else child.postcode, case.stage,
                       child.dob.isoformat() if child.dob else None, why)


def refs_visible_to(svc: Services, viewer: str, refs: list[str]) -> set[str]:
    """The case references among ``refs`` that ``viewer`` may open (to show matches only to those who may)."""
    with svc.db.read() as session:
        ids = dict(session.execute(select(Case.id, Case.ref).where(Case.ref.in_(refs))).all())
        return {ids[i] for i in cases_visible_to(session, viewer, ids, svc.now())}


def referral_confirmation(svc: Services, referral_id: int, viewer: str) -> dict[str, Any]:
    """What a referrer is told after referring: the reference and who acts next (no other case detail).

    Only the person who made the referral sees it (NotFound for anyone else: need-to-know).
    """
    with svc.db.read() as session:
        referral = session.get(Referral, referral_id)
        if referral is None or referral.created_by != viewer:
            raise NotFound(f"Referral {referral_id} does not exist")
        case = session.get(Case, referral.case_id)
        work = session.scalars(select(WorkItem).where(WorkItem.instance_id == referral.process_instance_id,
                                                      WorkItem.status == "open").order_by(WorkItem.id)).all() \
            if referral.process_instance_id else []
        return {"referral_id": referral.id, "case_ref": case.ref, "subject_type": case.subject_type,
                "is_repeat": referral.is_repeat, "instance_id": referral.process_instance_id,
                "next": [{"name": w.name, "groups": [g for g in w.groups.split(",") if g], "due_at": w.due_at}
                         for w in work]}


def may_refer(role: str) -> bool:
    """True when someone in ``role`` may make front-door referrals (engine/access/rules.py)."""
    return can_refer(role)

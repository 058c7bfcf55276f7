"""Reading patterns under need-to-know: each with its evidence, masked where the reader may not look.

Someone who may not open a child's case sees "a child (age 14)" and what the referral shares, never
the child's name or reference (docs/domain.md, data protection). Every read is audited.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import active_role, cases_visible_to
from engine.access.rules import can_act_on_patterns, can_see_patterns
from engine.errors import NotFound, NotPermitted
from engine.patterns.coverage import covering_contexts
from engine.runtime.services import Services
from engine.store.cases import Case, Child, Context, Referral
from engine.store.patterns import Pattern, PatternFeature, PatternMember

KIND_WORDS = {"place": "place", "school": "school", "platform": "online platform", "associate": "named associate"}
LIMIT = 200


@dataclass(frozen=True)
class Evidence:
    """One referral in a pattern: who it is about (or masked), when, what it shares and its harms."""

    case_ref: str | None
    who: str
    received_at: datetime
    shares: str
    harm_types: list[str]
    subject_type: str


@dataclass(frozen=True)
class PatternView:
    """A pattern as a reader may see it."""

    id: int
    kind: str
    shared: str
    status: str
    first_at: datetime
    last_at: datetime
    children: int
    referrals: list[Evidence] = field(default_factory=list)
    covered_by: list[dict[str, Any]] = field(default_factory=list)
    harm_types: list[str] = field(default_factory=list)
    closed_reason: str | None = None
    may_act: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the API's shape)."""
        out = asdict(self, dict_factory=lambda items: {k: v.isoformat() if isinstance(v, datetime) else v
                                                       for k, v in items})
        out.pop("may_act")
        return out


def age_on(dob: date | None, when: datetime) -> int | None:
    """Whole years between a date of birth and a moment."""
    if dob is None:
        return None
    day = when.date()
    return day.year - dob.year - ((day.month, day.day) < (dob.month, dob.day))


def shared_words(kind: str, label: str, age: int | None = None) -> str:
    """What the referrals share, in words ("the place Northgate bus station")."""
    about = f" (about {age})" if kind == "associate" and age is not None else ""
    return f"the {KIND_WORDS[kind]} {label}{about}"


def _who(case: Case, child: Child | None, visible: bool, at: datetime) -> str:
    if case.subject_type == "context":
        return f"context {case.ref}" if visible else "a context"
    age = age_on(child.dob if child else None, at)
    if not visible:
        return f"a child (age {age})" if age is not None else "a child (age not known)"
    name = f"{child.first_name} {child.last_name}" if child else ""
    return f"{name}, {case.ref}" + (f" (age {age})" if age is not None else "")


def _share(feature: PatternFeature) -> str:
    when = f", {feature.detail}" if feature.detail else ""
    age = f" (about {feature.age})" if feature.age is not None else ""
    return f"{feature.label}{age}{when}"


def _evidence(session: Session, patterns: list[Pattern], username: str, now: datetime) -> dict[int, list[Evidence]]:
    rows = session.execute(
        select(PatternMember.pattern_id, PatternFeature, Referral.received_at, Referral.harm_types, Case, Child)
        .join(PatternFeature, PatternFeature.id == PatternMember.feature_id)
        .join(Referral, Referral.id == PatternMember.referral_id).join(Case, Case.id == PatternFeature.case_id)
        .outerjoin(Child, Child.case_id == Case.id)
        .where(PatternMember.pattern_id.in_([p.id for p in patterns])).order_by(Referral.received_at)).all()
    visible = cases_visible_to(session, username, {row.Case.id for row in rows}, now)
    out: dict[int, list[Evidence]] = defaultdict(list)
    seen: set[tuple[int, int]] = set()
    for pattern_id, feature, received, harms, case, child in rows:
        if (pattern_id, feature.referral_id) in seen:
            continue
        seen.add((pattern_id, feature.referral_id))
        mine = case.id in visible
        out[pattern_id].append(Evidence(case.ref if mine else None, _who(case, child, mine, received), received,
                                        _share(feature), list(harms or []), case.subject_type))
    return out


def _views(svc: Services, session: Session, patterns: list[Pattern], username: str, role: str) -> list[PatternView]:
    now = svc.now()
    evidence = _evidence(session, patterns, username, now)
    covered = covering_contexts(session, patterns, svc.settings.context_match_radius_m)
    visible_contexts = cases_visible_to(session, username, {c for ids in covered.values() for c in ids}, now)
    names = _context_names(session, {c for ids in covered.values() for c in ids})
    out = []
    for p in patterns:
        items = evidence.get(p.id, [])
        cover = [{"case_ref": names[c][0] if c in visible_contexts else None,
                  "name": names[c][1] if c in visible_contexts else "a context"} for c in covered.get(p.id, [])]
        harms = sorted({h for e in items for h in e.harm_types})
        out.append(PatternView(p.id, p.kind, shared_words(p.kind, p.label), p.status, p.first_at, p.last_at,
                               p.children, items, cover, harms, p.closed_reason, can_act_on_patterns(role)))
    return out


def _context_names(session: Session, case_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    rows = session.execute(select(Case.id, Case.ref, Context.name).join(Context, Context.case_id == Case.id)
                           .where(Case.id.in_(set(case_ids)))).all()
    return {cid: (ref, name) for cid, ref, name in rows}


def _reader(session: Session, username: str) -> str:
    role = active_role(session, username)
    if not can_see_patterns(role):
        raise NotPermitted("Your role cannot see patterns across referrals")
    return role


def list_patterns(svc: Services, username: str, status: str = "open") -> list[PatternView]:
    """The patterns (of this status) the reader may see: all for the roles seeing every case, else those
    with at least one referral the reader may open. Audited."""
    with svc.db.transaction() as session:
        role = _reader(session, username)
        found = session.scalars(select(Pattern).where(Pattern.status == status)
                                .order_by(Pattern.last_at.desc(), Pattern.id.desc()).limit(LIMIT)).all()
        views = [v for v in _views(svc, session, list(found), username, role)
                 if can_act_on_patterns(role) or any(e.case_ref for e in v.referrals)]
        audit.record(session, at=svc.now(), actor=username, action="patterns_viewed", subject_type="pattern",
                     subject_id="-", status=status, pattern_ids=[v.id for v in views],
                     masked=sum(1 for v in views for e in v.referrals if e.case_ref is None))
    return views


def get_pattern(svc: Services, pattern_id: int, username: str) -> PatternView:
    """One pattern with its evidence (NotFound when absent or when the reader may see none of it). Audited."""
    with svc.db.transaction() as session:
        role = _reader(session, username)
        pattern = session.get(Pattern, pattern_id)
        views = _views(svc, session, [pattern], username, role) if pattern else []
        if not views or not (can_act_on_patterns(role) or any(e.case_ref for e in views[0].referrals)):
            raise NotFound(f"No pattern {pattern_id}")
        audit.record(session, at=svc.now(), actor=username, action="pattern_viewed", subject_type="pattern",
                     subject_id=pattern_id, masked=sum(1 for e in views[0].referrals if e.case_ref is None))
    return views[0]


def patterns_of_referral(svc: Services, referral_id: int, username: str) -> list[PatternView]:
    """The open patterns a referral is in, for its confirmation page (masked like any read)."""
    with svc.db.transaction() as session:
        role = active_role(session, username)
        ids = session.scalars(select(PatternMember.pattern_id).join(Pattern, Pattern.id == PatternMember.pattern_id)
                              .where(PatternMember.referral_id == referral_id, Pattern.status == "open")).all()
        if not ids:
            return []
        patterns = session.scalars(select(Pattern).where(Pattern.id.in_(set(ids))).order_by(Pattern.id)).all()
        views = _views(svc, session, list(patterns), username, role or "")
        audit.record(session, at=svc.now(), actor=username, action="patterns_viewed", subject_type="pattern",
                     subject_id="-", referral_id=referral_id, pattern_ids=[v.id for v in views])
    return views

"""Matching on the way in: offer the open context or child case instead of opening a duplicate.

Contexts match on school URN, UPRN, a point within the configured radius, or the same name at the
same postcode (docs/domain.md, the context's route). Children match on NHS number, UPN, or a name that is
the same or a spelling variant (engine/cases/fuzzy.py) with the same date of birth, postcode or address;
each candidate carries the evidence: which fields agreed (never the other child's name).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from engine.cases.fuzzy import key, similar
from engine.cases.records import ChildFacts, ContextFacts
from engine.store.cases import Case, Child, Context
from engine.store.casework import SearchKey

EARTH_RADIUS_M = 6_371_008.8  # mean Earth radius (IUGG)
METRES_PER_DEGREE = 111_320.0


@dataclass(frozen=True)
class Candidate:
    """An existing case a referral may belong to, and why it matched (names only for contexts)."""

    ref: str
    subject_type: str
    status: str
    type: str = ""
    name: str | None = None
    why: tuple[str, ...] = field(default_factory=tuple)
    strong: bool = False
    agreed: tuple[str, ...] = field(default_factory=tuple)  # the fields that agreed, in words

    def to_dict(self) -> dict:
        """Plain-data form for the PossibleMatches error and the API."""
        return {"ref": self.ref, "subject_type": self.subject_type, "status": self.status, "type": self.type,
                "name": self.name, "why": list(self.why), "agreed": list(self.agreed)}


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine)."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(min(1.0, h)))


def _near(facts: ContextFacts, radius_m: float):
    """A bounding-box filter (index friendly); the exact distance is checked afterwards."""
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(0.01, math.cos(math.radians(facts.latitude))))
    return and_(Context.latitude.between(facts.latitude - dlat, facts.latitude + dlat),
                Context.longitude.between(facts.longitude - dlon, facts.longitude + dlon))


def context_candidates(session: Session, facts: ContextFacts, radius_m: float, now: datetime) -> list[Candidate]:
    """Open contexts (and closed ones still under repeat-referral watch) this referral may be about."""
    tests = []
    if facts.school_urn:
        tests.append(Context.school_urn == facts.school_urn)
    if facts.uprn:
        tests.append(Context.uprn == facts.uprn)
    has_point = facts.latitude is not None and facts.longitude is not None
    if has_point:
        tests.append(_near(facts, radius_m))
    if facts.name:
        tests.append(func.lower(Context.name) == facts.name.lower())
    if not tests:
        return []
    live = or_(Case.status == "open", Context.watch_until > now)
    rows = session.execute(select(Case, Context).join(Context, Context.case_id == Case.id)
                           .where(live, or_(*tests), Case.merged_into.is_(None)).order_by(Case.id)).all()
    found = [_context_candidate(case, ctx, facts, radius_m) for case, ctx in rows]
    return [c for c in found if c.why]


def _context_candidate(case: Case, ctx: Context, facts: ContextFacts, radius_m: float) -> Candidate:
    why = []
    if facts.school_urn and ctx.school_urn == facts.school_urn:
        why.append(f"same school URN {ctx.school_urn}")
    if facts.uprn and ctx.uprn == facts.uprn:
        why.append(f"same UPRN {ctx.uprn}")
    if None not in (facts.latitude, facts.longitude, ctx.latitude, ctx.longitude):
        metres = distance_m(facts.latitude, facts.longitude, ctx.latitude, ctx.longitude)
        if metres <= radius_m:
            why.append(f"{round(metres)} m away (within {round(radius_m)} m)")
    same_name = facts.name and ctx.name.lower() == facts.name.lower()
    # A name alone is too common ("the park"): it counts with the same postcode, or when neither has one.
    if same_name and (ctx.postcode == facts.postcode or not (ctx.postcode and facts.postcode)):
        why.append("same name" + (f" and postcode {ctx.postcode}" if ctx.postcode else ""))
    status = case.status if case.status == "open" else "closed, under repeat-referral watch"
    return Candidate(ref=case.ref, subject_type="context", status=status, type=ctx.type, name=ctx.name,
                     why=tuple(why), strong=bool(why))


def child_candidates(session: Session, facts: ChildFacts) -> list[Candidate]:
    """Child cases this referral may be about (names are not returned): see the module's rule."""
    tests = []
    if facts.nhs_number:
        tests.append(Child.nhs_number == facts.nhs_number)
    if facts.upn:
        tests.append(Child.upn == facts.upn)
    if facts.last_name:  # the same or a similar-sounding surname; the Python below decides
        tests.append(Child.case_id.in_(select(SearchKey.case_id).where(SearchKey.key == key(facts.last_name))))
    if facts.dob:
        tests.append(Child.dob == facts.dob)
    if not tests:
        return []
    rows = session.execute(select(Case, Child).join(Child, Child.case_id == Case.id)
                           .where(or_(*tests), Case.merged_into.is_(None)).order_by(Case.id)).all()
    found = [_child_candidate(case, child, facts) for case, child in rows]
    return [c for c in found if c.why]


def _child_candidate(case: Case, child: Child, facts: ChildFacts) -> Candidate:
    agreed = _agreed(child, facts)
    why = []
    if "NHS number" in agreed:
        why.append("same NHS number")
    if "UPN" in agreed:
        why.append("same UPN")
    names = {"first name", "surname"} <= set(agreed)
    if names and "date of birth" in agreed:
        why.append("similar name and same date of birth" if _variant(child, facts) else "same name and date of birth")
    elif names and ({"postcode", "address"} & set(agreed)) and not (facts.dob and child.dob):
        why.append("similar name at the same address")
    strong = any(w in ("same NHS number", "same UPN") for w in why)
    return Candidate(ref=case.ref, subject_type="child", status=case.status, type="child", why=tuple(why),
                     strong=strong, agreed=tuple(agreed))


def _agreed(child: Child, facts: ChildFacts) -> list[str]:
    """Which of the referral's fields agree with this child's record (a name may be a spelling variant)."""
    agreed = []
    if facts.nhs_number and child.nhs_number == facts.nhs_number:
        agreed.append("NHS number")
    if facts.upn and child.upn == facts.upn:
        agreed.append("UPN")
    if facts.first_name and similar(child.first_name, facts.first_name):
        agreed.append("first name")
    if facts.last_name and similar(child.last_name, facts.last_name):
        agreed.append("surname")
    if facts.dob and child.dob == facts.dob:
        agreed.append("date of birth")
    if facts.postcode and child.postcode == facts.postcode and not child.protected_address:
        agreed.append("postcode")
    if facts.address and child.address and _plain(child.address) == _plain(facts.address):
        agreed.append("address")
    return agreed


def _variant(child: Child, facts: ChildFacts) -> bool:
    return (child.first_name.lower(), child.last_name.lower()) != (facts.first_name.lower(), facts.last_name.lower())


def _plain(text: str) -> str:
    return " ".join("".join(ch for ch in text.lower() if ch.isalnum() or ch.isspace()).split())

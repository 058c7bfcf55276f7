"""The map's data: contexts and referral places with a point, filtered, masked by need-to-know.

A place named at a child's protected home postcode never appears (docs/domain.md); a referral about a
child the reader may not open shows as "a child (age 14)" with its place and harms, never its reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import active_role, cases_visible_to
from engine.access.rules import can_see_patterns
from engine.errors import NotPermitted
from engine.patterns.views import age_on
from engine.runtime.services import Services
from engine.store.cases import CONTEXT_TYPES, Case, Child, Context, Referral
from engine.store.patterns import PatternFeature

LIMIT = 2000


@dataclass(frozen=True)
class MapFilters:
    """What the reader asked to see; None means any."""

    harm_type: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    context_type: str | None = None
    status: str | None = None  # open or closed
    show: str = "all"  # all, contexts or referrals


@dataclass(frozen=True)
class MapPoint:
    """One point: a context or a referral's place of concern."""

    kind: str
    latitude: float
    longitude: float
    label: str
    case_ref: str | None
    when: datetime
    harm_types: list[str]
    status: str
    detail: str = ""


@dataclass
class MapView:
    """The points, how many were left out (protected, or past the limit) and the filters used."""

    points: list[MapPoint] = field(default_factory=list)
    withheld: int = 0
    more: bool = False


def _harms_of(session: Session, case_ids: set[int], filters: MapFilters) -> dict[int, set[str]]:
    query = select(Referral.case_id, Referral.harm_types).where(Referral.case_id.in_(case_ids))
    if filters.since:
        query = query.where(Referral.received_at >= filters.since)
    if filters.until:
        query = query.where(Referral.received_at < filters.until)
    out: dict[int, set[str]] = {}
    for case_id, harms in session.execute(query):
        out.setdefault(case_id, set()).update(str(h) for h in harms or ())
    return out


Both = tuple[int, MapPoint, MapPoint]  # case id, the point as seen with need-to-know, and masked


def _contexts(session: Session, filters: MapFilters) -> list[Both]:
    query = (select(Case, Context).join(Context, Context.case_id == Case.id)
             .where(Context.latitude.is_not(None), Context.longitude.is_not(None)))
    if filters.context_type:
        query = query.where(Context.type == filters.context_type)
    if filters.status:
        query = query.where(Case.status == filters.status)
    rows = session.execute(query.order_by(Case.opened_at.desc()).limit(LIMIT + 1)).all()
    harms = _harms_of(session, {c.id for c, _ in rows}, filters)
    out = []
    for case, ctx in rows:
        got = harms.get(case.id, set())
        if (filters.since or filters.until) and case.id not in harms:
            continue
        if filters.harm_type and filters.harm_type not in got:
            continue
        point = MapPoint("context", ctx.latitude, ctx.longitude, ctx.name, case.ref, case.opened_at, sorted(got),
                         case.status, ctx.type)
        out.append((case.id, point, replace(point, label=f"a context ({ctx.type.replace('_', ' ')})", case_ref=None)))
    return out


def _referral_places(session: Session, filters: MapFilters) -> tuple[list[Both], int]:
    query = (select(PatternFeature, Referral.harm_types, Case.status, Case.ref, Child)
             .join(Referral, Referral.id == PatternFeature.referral_id).join(Case, Case.id == PatternFeature.case_id)
             .join(Child, Child.case_id == Case.id)
             .where(PatternFeature.kind == "place", PatternFeature.subject_type == "child",
                    PatternFeature.latitude.is_not(None)))
    if filters.since:
        query = query.where(PatternFeature.at >= filters.since)
    if filters.until:
        query = query.where(PatternFeature.at < filters.until)
    if filters.status:
        query = query.where(Case.status == filters.status)
    out, withheld = [], 0
    rows = session.execute(query.order_by(PatternFeature.at.desc()).limit(LIMIT + 1))
    for feature, harms, status, ref, child in rows:
        if child.protected_address and feature.postcode and feature.postcode == child.postcode:
            withheld += 1
            continue
        if filters.harm_type and filters.harm_type not in (harms or []):
            continue
        age = age_on(child.dob, feature.at)
        point = MapPoint("referral", feature.latitude, feature.longitude,
                         f"{feature.label} ({child.first_name} {child.last_name}, {ref})", ref, feature.at,
                         list(harms or []), status, feature.detail)
        masked = f"{feature.label} (a child, age {age if age is not None else 'not known'})"
        out.append((feature.case_id, point, replace(point, label=masked, case_ref=None)))
    return out, withheld


def map_points(svc: Services, username: str, filters: MapFilters) -> MapView:
    """The map's points for the reader and filters (newest first, at most LIMIT of each); audited."""
    if filters.context_type and filters.context_type not in CONTEXT_TYPES:
        filters = MapFilters(**{**filters.__dict__, "context_type": None})
    with svc.db.transaction() as session:
        role = active_role(session, username)
        if not can_see_patterns(role):
            raise NotPermitted("Your role cannot see the map of contexts and referrals")
        view, both = MapView(), []
        if filters.show in ("all", "contexts"):
            both += _contexts(session, filters)
        if filters.show in ("all", "referrals"):
            places, view.withheld = _referral_places(session, filters)
            both += places
        both = sorted(both, key=lambda b: b[1].when, reverse=True)
        view.more = len(both) > LIMIT
        visible = cases_visible_to(session, username, {b[0] for b in both[:LIMIT]}, svc.now())
        view.points = [seen if case_id in visible else masked for case_id, seen, masked in both[:LIMIT]]
        audit.record(session, at=svc.now(), actor=username, action="map_viewed", subject_type="pattern",
                     subject_id="-", points=len(view.points), masked=sum(1 for p in view.points if not p.case_ref),
                     filters={k: str(v) for k, v in filters.__dict__.items() if v})
    return view


"""Whether an open context already covers a pattern, so the front door adds to it rather than open another.

A context covers a pattern when the pattern was added to it, when its own referral is in the pattern,
when it is at the same place (UPRN, postcode or within the matching radius), the same school URN or
the same platform, or, for a named associate, when it is linked to at least two of the pattern's children.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from engine.cases.matching import METRES_PER_DEGREE, distance_m
from engine.patterns.names import platforms_in
from engine.store.cases import Case, ChildContextLink, Context
from engine.store.patterns import Pattern, PatternFeature, PatternMember

OPEN = Case.status == "open"


def _open_contexts(session: Session, test) -> list[tuple[int, Context]]:
    rows = session.execute(select(Case.id, Context).join(Context, Context.case_id == Case.id).where(OPEN, test))
    return [(cid, ctx) for cid, ctx in rows]


def _by_feature(session: Session, kind: str, features: Sequence[PatternFeature], radius_m: float) -> set[int]:
    if kind == "school":
        keys = {f.key for f in features}
        return {cid for cid, _ in _open_contexts(session, Context.school_urn.in_(keys))}
    if kind == "platform":
        keys = {f.key for f in features}
        found = _open_contexts(session, Context.type == "online")
        said = {cid: set(platforms_in(ctx.online_platform, {})) for cid, ctx in found}
        return {cid for cid, spaces in said.items() if spaces & keys}
    if kind != "place":
        return set()
    tests = [Context.uprn.in_({f.uprn for f in features if f.uprn}),
             Context.postcode.in_({f.postcode for f in features if f.postcode})]
    points = [(f.latitude, f.longitude) for f in features if f.latitude is not None][:5]
    d = radius_m / METRES_PER_DEGREE
    tests += [Context.latitude.between(lat - d, lat + d) for lat, _lon in points]
    found = set()
    for cid, ctx in _open_contexts(session, or_(*tests)):
        near = ctx.latitude is not None and any(
            distance_m(lat, lon, ctx.latitude, ctx.longitude) <= radius_m for lat, lon in points)
        same = any((f.uprn and f.uprn == ctx.uprn) or (f.postcode and f.postcode == ctx.postcode) for f in features)
        if near or same:
            found.add(cid)
    return found


def _linked_to_children(session: Session, children: set[int]) -> set[int]:
    link = ChildContextLink
    rows = session.execute(select(link.context_case_id).join(Case, Case.id == link.context_case_id)
                           .where(ChildContextLink.child_case_id.in_(children), ChildContextLink.ended_on.is_(None),
                                  OPEN).group_by(ChildContextLink.context_case_id)
                           .having(func.count(func.distinct(ChildContextLink.child_case_id)) >= 2))
    return set(rows.scalars())


def covering_contexts(session: Session, patterns: Sequence[Pattern], radius_m: float) -> dict[int, list[int]]:
    """For each pattern, the open context cases that cover it (case ids, oldest first)."""
    if not patterns:
        return {}
    members = session.execute(select(PatternMember.pattern_id, PatternFeature)
                              .join(PatternFeature, PatternFeature.id == PatternMember.feature_id)
                              .where(PatternMember.pattern_id.in_([p.id for p in patterns]))).all()
    by_pattern: dict[int, list[PatternFeature]] = defaultdict(list)
    for pattern_id, feature in members:
        by_pattern[pattern_id].append(feature)
    open_ids = set(session.scalars(select(Case.id).where(OPEN, Case.id.in_(
        {f.case_id for fs in by_pattern.values() for f in fs if f.subject_type == "context"}
        | {p.context_case_id for p in patterns if p.context_case_id}))))
    out = {}
    for p in patterns:
        features = by_pattern.get(p.id, [])
        found = {f.case_id for f in features if f.subject_type == "context" and f.case_id in open_ids}
        if p.context_case_id in open_ids:
            found.add(p.context_case_id)
        found |= _by_feature(session, p.kind, features, radius_m)
        if p.kind == "associate":
            found |= _linked_to_children(session, {f.case_id for f in features if f.subject_type == "child"})
        out[p.id] = sorted(found)
    return out

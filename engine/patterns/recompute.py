"""Rebuild the open patterns from the whole index, in memory, after the rules change.

The same rule as the check on arrival (engine/patterns/matching.py), run over every referral in the
order they arrived, with the index held in memory: a few seconds for 100,000 referrals where one
check per referral against the database would take minutes. Dismissed and actioned patterns are kept
with their members (a decision a person made stays); a recompute never reopens one.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import bindparam, delete, insert, literal_column, select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.matching import METRES_PER_DEGREE
from engine.patterns.finder import COLUMNS, WITH_HARMS
from engine.patterns.matching import Hit, label_of, neighbours, settle, things
from engine.patterns.rules import KindRules, PatternRules
from engine.store.patterns import Pattern, PatternCheck, PatternFeature, PatternMember


class _Timeline:
    """Hits under one key, in the order they arrived, searchable by time."""

    def __init__(self) -> None:
        self.times: list[datetime] = []
        self.hits: list[Hit] = []

    def add(self, hit: Hit) -> None:
        at = bisect_right(self.times, hit.at)
        self.times.insert(at, hit.at)
        self.hits.insert(at, hit)

    def between(self, since: datetime, until: datetime) -> list[Hit]:
        return self.hits[bisect_left(self.times, since):bisect_right(self.times, until)]


class MemorySource:
    """The index in memory: keys, UPRNs, postcodes, and a grid of points with cells a radius wide."""

    def __init__(self, radius_m: float) -> None:
        self.cell = max(radius_m, 1) / METRES_PER_DEGREE
        self.by_key: dict[tuple, _Timeline] = defaultdict(_Timeline)

    def add(self, hit: Hit) -> None:
        """Index one feature."""
        if hit.kind != "place":
            self.by_key[(hit.kind, hit.key)].add(hit)
            return
        if hit.uprn:
            self.by_key[("uprn", hit.uprn)].add(hit)
        if hit.postcode:
            self.by_key[("postcode", hit.postcode)].add(hit)
        if hit.latitude is not None and hit.longitude is not None:
            self.by_key[("cell", math.floor(hit.latitude / self.cell), math.floor(hit.longitude / self.cell))].add(hit)

    def candidates(self, thing: Sequence[Hit], rules: KindRules, since: datetime, until: datetime) -> list[Hit]:
        """Features that may share ``thing`` in the window."""
        mine = thing[0]
        if mine.kind != "place":
            return [h for t in thing for h in self.by_key.get((t.kind, t.key), _Timeline()).between(since, until)]
        keys = [("uprn", mine.uprn)] if mine.uprn else []
        keys += [("postcode", mine.postcode)] if mine.postcode else []
        if mine.latitude is not None and mine.longitude is not None:
            dlat = rules.radius_m / METRES_PER_DEGREE
            dlon = dlat / max(0.01, math.cos(math.radians(mine.latitude)))
            rows = range(math.floor((mine.latitude - dlat) / self.cell),
                         math.floor((mine.latitude + dlat) / self.cell) + 1)
            cols = range(math.floor((mine.longitude - dlon) / self.cell),
                         math.floor((mine.longitude + dlon) / self.cell) + 1)
            keys += [("cell", r, c) for r in rows for c in cols]
        return [h for k in keys if k in self.by_key for h in self.by_key[k].between(since, until)]


@dataclass
class _Found:
    kind: str
    label: str
    members: list[Hit] = field(default_factory=list)
    kept_id: int | None = None


class MemoryBook:
    """Patterns being rebuilt: the kept ones (dismissed, actioned) and the new ones."""

    def __init__(self) -> None:
        self.found: list[_Found] = []
        self.of_feature: dict[int, set[int]] = defaultdict(set)
        self.features: list[set[int]] = []
        self.referrals: list[set[int]] = []

    def keep(self, pattern: Pattern, members: Sequence[Hit]) -> None:
        """Load a pattern a person decided on, with its members."""
        index = self.create(pattern.kind, pattern.label, members, pattern.found_at)
        self.found[index].kept_id = pattern.id

    def patterns_of(self, kind: str, feature_ids: Sequence[int]) -> dict[int, int]:
        counts: dict[int, int] = defaultdict(int)
        for fid in feature_ids:
            for index in self.of_feature.get(fid, ()):
                if self.found[index].kind == kind:
                    counts[index] += 1
        return counts

    def member_features(self, pattern_id: int) -> set[int]:
        return self.features[pattern_id]

    def has_referral(self, pattern_id: int, referral_id: int) -> bool:
        return referral_id in self.referrals[pattern_id]

    def add(self, pattern_id: int, hits: Sequence[Hit], now: datetime, new_evidence: bool) -> None:
        for hit in hits:
            self.found[pattern_id].members.append(hit)
            self.features[pattern_id].add(hit.id)
            self.referrals[pattern_id].add(hit.referral_id)
            self.of_feature[hit.id].add(pattern_id)

    def create(self, kind: str, label: str, hits: Sequence[Hit], now: datetime) -> int:
        self.found.append(_Found(kind, label))
        self.features.append(set())
        self.referrals.append(set())
        self.add(len(self.found) - 1, hits, now, True)
        return len(self.found) - 1


def _all_hits(session: Session) -> list[Hit]:
    f = PatternFeature
    rows = session.execute(select(*COLUMNS).select_from(WITH_HARMS).order_by(f.referral_id, f.id))
    return [Hit(*row) for row in rows]


def rebuild(hits: Sequence[Hit], rules: PatternRules, book: MemoryBook, now: datetime) -> MemoryBook:
    """Run the rule over every referral's features in the order they arrived (pure: no database)."""
    source = MemorySource(max(r.radius_m for r in rules.kinds.values()))
    by_referral: dict[int, list[Hit]] = defaultdict(list)
    for hit in hits:
        by_referral[hit.referral_id].append(hit)
    for referral_id in sorted(by_referral):
        mine = by_referral[referral_id]
        for hit in mine:
            source.add(hit)
        for thing in things(mine):
            kind_rules = rules.of(thing[0].kind)
            near = neighbours(source, thing, kind_rules)
            if near:  # alone, a thing starts nothing, and a kept pattern holding it gains nothing
                settle(book, thing, near, kind_rules, now)
    return book


def recompute(session: Session, rules: PatternRules, actor: str, now: datetime) -> dict[str, int]:
    """Delete the open patterns and find them again from the whole index; returns counts by kind."""
    kept = session.scalars(select(Pattern).where(Pattern.status != "open")).all()
    hits = _all_hits(session)
    by_id = {h.id: h for h in hits}
    book = MemoryBook()
    kept_ids: dict[int, list[int]] = defaultdict(list)  # all the kept patterns' members in one read
    m = PatternMember
    for pattern_id, feature_id in session.execute(
            select(m.pattern_id, m.feature_id).join(Pattern, Pattern.id == m.pattern_id)
            .where(Pattern.status != "open").order_by(m.pattern_id, m.feature_id)):
        kept_ids[pattern_id].append(feature_id)
    for pattern in kept:
        book.keep(pattern, [by_id[i] for i in kept_ids[pattern.id] if i in by_id])
    kept_members = [set(f) for f in book.features]
    session.execute(delete(Pattern).where(Pattern.status == "open"))
    rebuild(hits, rules, book, now)
    counts = _write(session, book, kept_members, now)
    session.execute(delete(PatternCheck).where(PatternCheck.referral_id.in_(select(PatternFeature.referral_id))))
    # Every indexed referral is now checked: one statement in the database, not a row sent per referral.
    table, f = PatternCheck.__table__, PatternFeature.__table__.c
    referrals = select(f.referral_id).distinct().subquery()
    checked = select(referrals.c.referral_id, literal_column("'checked'"),
                     bindparam("now", now, type_=table.c.checked_at.type))
    session.execute(insert(table).from_select(["referral_id", "status", "checked_at"], checked))
    audit.record(session, at=now, actor=actor, action="patterns_recomputed", subject_type="pattern", subject_id="-",
                 **counts)
    return counts


def _write(session: Session, book: MemoryBook, kept_members: list[set[int]], now: datetime) -> dict[str, int]:
    """Write the new patterns and their members in bulk (a few statements, not one per pattern)."""
    counts: dict[str, int] = defaultdict(int)
    new = [f for f in book.found if f.kept_id is None]
    rows = [{"kind": f.kind, "label": f.label or label_of(f.members), "status": "open", "found_at": now,
             "changed_at": now, **_dates(f.members)} for f in new]
    table = Pattern.__table__
    returning = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids = list(session.scalars(returning, rows)) if rows else []
    for found, pattern_id in zip(new, ids, strict=True):
        found.kept_id = pattern_id
        counts[found.kind] += 1
    members, kept = [], []
    for index, found in enumerate(book.found):
        old = kept_members[index] if index < len(kept_members) else set()
        if index < len(kept_members):
            kept.append({"pattern_id": found.kept_id, **_dates(found.members)})
        members += [{"pattern_id": found.kept_id, "feature_id": h.id, "referral_id": h.referral_id, "joined_at": now}
                    for h in found.members if h.id not in old]
    if kept:
        session.execute(update(table).where(table.c.id == bindparam("pattern_id"))
                        .values(first_at=bindparam("first_at"), last_at=bindparam("last_at"),
                                children=bindparam("children")), kept)
    for start in range(0, len(members), 5000):
        session.execute(insert(PatternMember.__table__), members[start:start + 5000])
    return dict(counts)


def _dates(members: Sequence[Hit]) -> dict[str, object]:
    return {"first_at": min(h.at for h in members), "last_at": max(h.at for h in members),
            "children": len({h.case_id for h in members if h.subject_type == "child"})}

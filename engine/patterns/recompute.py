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

from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.matching import METRES_PER_DEGREE
from engine.patterns.finder import COLUMNS
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
    rows = session.execute(select(*COLUMNS).order_by(PatternFeature.referral_id, PatternFeature.id))
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
            settle(book, thing, neighbours(source, thing, kind_rules), kind_rules, now)
    return book


def recompute(session: Session, rules: PatternRules, actor: str, now: datetime) -> dict[str, int]:
    """Delete the open patterns and find them again from the whole index; returns counts by kind."""
    kept = session.scalars(select(Pattern).where(Pattern.status != "open")).all()
    hits = _all_hits(session)
    by_id = {h.id: h for h in hits}
    book = MemoryBook()
    for pattern in kept:
        ids = session.scalars(select(PatternMember.feature_id).where(PatternMember.pattern_id == pattern.id))
        book.keep(pattern, [by_id[i] for i in ids if i in by_id])
    kept_members = [set(f) for f in book.features]
    session.execute(delete(Pattern).where(Pattern.status == "open"))
    rebuild(hits, rules, book, now)
    counts = _write(session, book, kept_members, now)
    session.execute(delete(PatternCheck).where(PatternCheck.referral_id.in_(select(PatternFeature.referral_id))))
    checks = [{"referral_id": r, "status": "checked", "checked_at": now} for r in sorted({h.referral_id for h in hits})]
    for start in range(0, len(checks), 5000):
        session.execute(insert(PatternCheck), checks[start:start + 5000])
    audit.record(session, at=now, actor=actor, action="patterns_recomputed", subject_type="pattern", subject_id="-",
                 **counts)
    return counts


def _write(session: Session, book: MemoryBook, kept_members: list[set[int]], now: datetime) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    members = []
    for index, found in enumerate(book.found):
        first, last = min(h.at for h in found.members), max(h.at for h in found.members)
        children = len({h.case_id for h in found.members if h.subject_type == "child"})
        if found.kept_id is None:
            pattern = Pattern(kind=found.kind, label=found.label or label_of(found.members), status="open",
                              first_at=first, last_at=last, found_at=now, changed_at=now, children=children)
            session.add(pattern)
            session.flush()
            pattern_id, old = pattern.id, set()
            counts[found.kind] += 1
        else:
            pattern_id, old = found.kept_id, kept_members[index]
            pattern = session.get(Pattern, pattern_id)
            pattern.first_at, pattern.last_at, pattern.children = first, last, children
        members += [{"pattern_id": pattern_id, "feature_id": h.id, "referral_id": h.referral_id, "joined_at": now}
                    for h in found.members if h.id not in old]
    for start in range(0, len(members), 5000):
        session.execute(insert(PatternMember), members[start:start + 5000])
    return dict(counts)

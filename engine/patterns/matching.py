"""The rule itself, in one place for the check on arrival and the bulk recompute.

A referral's feature finds its neighbours (``Source``), the neighbours that really share it are kept
(``shares``), and the group joins the pattern its neighbours are already in or, with enough
different children, becomes a new one (``settle``, over a ``Book`` of patterns). The check on arrival
runs this over the database, the recompute over memory; both give the same patterns.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from engine.cases.matching import distance_m
from engine.patterns.names import same_person
from engine.patterns.rules import KindRules


@dataclass(frozen=True)
class Hit:
    """One indexed feature as the rule needs it."""

    id: int
    referral_id: int
    case_id: int
    subject_type: str
    kind: str
    key: str
    label: str
    postcode: str | None
    uprn: str | None
    latitude: float | None
    longitude: float | None
    age: int | None
    at: datetime
    efh: bool
    harms: list[str] = field(default_factory=list, compare=False)  # the referral's types of harm (EFH codes)


HIT_COLUMNS = tuple(Hit.__dataclass_fields__)
NOT_A_HARM = ("", "EFH-OTH", "other")  # as engine/patterns/features.py names_harm: not a harm outside the home


def share_harm(mine: Hit, other: Hit) -> bool:
    """True when the two referrals name a common type of harm outside the home."""
    return bool(set(mine.harms or ()) & set(other.harms or ()) - set(NOT_A_HARM))


class Source(Protocol):
    """Where neighbours come from: the index in the database, or in memory."""

    def candidates(self, thing: Sequence[Hit], rules: KindRules, since: datetime, until: datetime) -> list[Hit]: ...


class Book(Protocol):
    """The patterns found so far, in the database or in memory."""

    def patterns_of(self, kind: str, feature_ids: Sequence[int]) -> dict[int, int]: ...
    def member_features(self, pattern_id: int) -> set[int]: ...
    def has_referral(self, pattern_id: int, referral_id: int) -> bool: ...
    def add(self, pattern_id: int, hits: Sequence[Hit], now: datetime, new_evidence: bool) -> None: ...
    def create(self, kind: str, label: str, hits: Sequence[Hit], now: datetime) -> int: ...


def shares(mine: Hit, other: Hit, rules: KindRules) -> bool:
    """True when ``other`` shares ``mine``: the same school or platform, place or (likely) person."""
    if other.kind != mine.kind or other.referral_id == mine.referral_id:
        return False
    if mine.kind in ("school", "platform"):
        return other.key == mine.key
    if mine.kind == "place":
        if (mine.uprn and other.uprn == mine.uprn) or (mine.postcode and other.postcode == mine.postcode):
            return True
        points = (mine.latitude, mine.longitude, other.latitude, other.longitude)
        return None not in points and distance_m(*points) <= rules.radius_m
    return same_person(mine.label, mine.age, mine.at, other.label, other.age, other.at, rules.name_similarity,
                       rules.age_tolerance_years)


def things(features: Iterable[Hit]) -> list[list[Hit]]:
    """A referral's features as the things it names: one per place, school and platform; an associate's
    several index keys together."""
    grouped: dict[tuple, list[Hit]] = {}
    for hit in features:
        ident = (hit.kind, hit.label, hit.age) if hit.kind == "associate" else (hit.kind, hit.id)
        grouped.setdefault(ident, []).append(hit)
    return list(grouped.values())


def neighbours(source: Source, thing: Sequence[Hit], rules: KindRules) -> list[Hit]:
    """The other referrals' features that share this thing within the window (one per referral)."""
    mine, window = thing[0], timedelta(days=rules.window_days)
    found: dict[int, Hit] = {}
    for hit in source.candidates(thing, rules, mine.at - window, mine.at + window):
        if hit.referral_id in found or not (hit.efh or not rules.harm_required):
            continue
        if (not rules.same_harm or share_harm(mine, hit)) and shares(mine, hit, rules):
            found[hit.referral_id] = hit
    return list(found.values())


def children_in(hits: Iterable[Hit]) -> int:
    """How many different children the features' referrals are about."""
    return len({h.case_id for h in hits if h.subject_type == "child"})


def label_of(hits: Sequence[Hit]) -> str:
    """What a new pattern is called: the label most referrals used, the earliest on a tie."""
    earliest = sorted(hits, key=lambda h: h.at)
    counts: dict[str, int] = {}
    for hit in earliest:
        counts[hit.label] = counts.get(hit.label, 0) + 1
    return max(counts, key=lambda label: (counts[label], -[h.label for h in earliest].index(label)))


def settle(book: Book, thing: Sequence[Hit], near: Sequence[Hit], rules: KindRules, now: datetime) -> int | None:
    """Join the pattern the neighbours are in, or start one with enough children; the pattern's id or None."""
    mine = thing[0]
    if (rules.harm_required or rules.same_harm) and not mine.efh:
        return None
    group = [mine, *near]
    counts = book.patterns_of(mine.kind, [h.id for h in group] + [h.id for h in thing[1:]])
    if counts:
        pattern_id = max(counts, key=lambda p: (counts[p], p))
        known = book.member_features(pattern_id)
        fresh = [h for h in group if h.id not in known and not (h is mine and known & {t.id for t in thing})]
        new_evidence = not book.has_referral(pattern_id, mine.referral_id)
        book.add(pattern_id, fresh, now, new_evidence)
        return pattern_id
    if children_in(group) >= rules.min_children:
        return book.create(mine.kind, label_of(group), group, now)
    return None

"""The check for one referral: read its neighbours in the index, join or start patterns. No full scan.

Neighbours are found by index only: the same school URN, platform or associate name key, the same
UPRN or postcode, or a latitude/longitude box around a place, each within the time window.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, union_all, update
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.matching import METRES_PER_DEGREE
from engine.patterns.features import index_referral
from engine.patterns.matching import HIT_COLUMNS, Hit, neighbours, settle, things
from engine.patterns.rules import KindRules, PatternRules
from engine.store.cases import Case, Referral
from engine.store.patterns import Pattern, PatternCheck, PatternFeature, PatternMember

log = logging.getLogger("frontdoor.patterns")
COLUMNS = [getattr(PatternFeature, name) for name in HIT_COLUMNS]


def _hits(session: Session, where: Any) -> list[Hit]:
    return [Hit(*row) for row in session.execute(select(*COLUMNS).where(where))]


class SqlSource:
    """Neighbours from the index in the database, by index look-ups only."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def candidates(self, thing: Sequence[Hit], rules: KindRules, since: datetime, until: datetime) -> list[Hit]:
        """Features that may share ``thing`` in the window (checked exactly by the caller)."""
        mine, f = thing[0], PatternFeature
        window = and_(f.at >= since, f.at <= until, f.referral_id != mine.referral_id)
        if mine.kind != "place":
            return _hits(self.session, and_(f.kind == mine.kind, f.key.in_({t.key for t in thing}), window))
        # Only places have a UPRN, postcode or point, so no test of the kind (which would steer the
        # planner to the kind's index and a scan of every place).
        # One statement, a part per test so each reads its own index (an OR lets SQLite pick the time index).
        tests = [f.uprn == mine.uprn] if mine.uprn else []
        tests += [f.postcode == mine.postcode] if mine.postcode else []
        if mine.latitude is not None and mine.longitude is not None:
            tests.append(_box(mine.latitude, mine.longitude, rules.radius_m))
        if not tests:
            return []
        parts = [select(*COLUMNS).where(and_(test, window)) for test in tests]
        rows = self.session.execute(union_all(*parts) if len(parts) > 1 else parts[0])
        return list({hit.id: hit for hit in (Hit(*row) for row in rows)}.values())


def _box(lat: float, lon: float, radius_m: float) -> Any:
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(0.01, math.cos(math.radians(lat))))
    f = PatternFeature
    return and_(f.latitude.between(lat - dlat, lat + dlat), f.longitude.between(lon - dlon, lon + dlon))


class SqlBook:
    """Patterns in the database; every change is audited."""

    def __init__(self, session: Session, actor: str, reopen: bool = True) -> None:
        self.session, self.actor, self.reopen = session, actor, reopen

    def patterns_of(self, kind: str, feature_ids: Sequence[int]) -> dict[int, int]:
        """Patterns of this kind holding any of the features, with how many of them each holds."""
        rows = self.session.execute(
            select(PatternMember.pattern_id, func.count()).join(Pattern, Pattern.id == PatternMember.pattern_id)
            .where(PatternMember.feature_id.in_(feature_ids), Pattern.kind == kind).group_by(PatternMember.pattern_id))
        return dict(rows.all())

    def member_features(self, pattern_id: int) -> set[int]:
        """The features already in the pattern."""
        return set(self.session.scalars(select(PatternMember.feature_id).where(PatternMember.pattern_id == pattern_id)))

    def has_referral(self, pattern_id: int, referral_id: int) -> bool:
        """True when the referral is already in the pattern."""
        return self.session.scalar(select(PatternMember.referral_id).where(
            PatternMember.pattern_id == pattern_id, PatternMember.referral_id == referral_id).limit(1)) is not None

    def add(self, pattern_id: int, hits: Sequence[Hit], now: datetime, new_evidence: bool) -> None:
        """Add features to a pattern; a new referral brings a dismissed or actioned pattern back."""
        self._members(pattern_id, hits, now)
        pattern = self.session.get(Pattern, pattern_id)
        self._dates(pattern)
        if new_evidence:
            pattern.changed_at = now
            audit.record(self.session, at=now, actor=self.actor, action="pattern_joined", subject_type="pattern",
                         subject_id=pattern_id, referral_ids=sorted({h.referral_id for h in hits}))
            if pattern.status != "open" and self.reopen:
                pattern.status = "open"
                audit.record(self.session, at=now, actor=self.actor, action="pattern_reopened",
                             subject_type="pattern", subject_id=pattern_id, reason="new evidence joined it")

    def create(self, kind: str, label: str, hits: Sequence[Hit], now: datetime) -> int:
        """Start a pattern from these features; audited."""
        pattern = Pattern(kind=kind, label=label, status="open", first_at=now, last_at=now, found_at=now,
                          changed_at=now, children=0)
        self.session.add(pattern)
        self.session.flush()
        self._members(pattern.id, hits, now)
        self._dates(pattern)
        audit.record(self.session, at=now, actor=self.actor, action="pattern_found", subject_type="pattern",
                     subject_id=pattern.id, kind=kind, referral_ids=sorted({h.referral_id for h in hits}))
        return pattern.id

    def _members(self, pattern_id: int, hits: Sequence[Hit], now: datetime) -> None:
        for hit in hits:
            self.session.add(PatternMember(pattern_id=pattern_id, feature_id=hit.id, referral_id=hit.referral_id,
                                           joined_at=now))
        self.session.flush()

    def _dates(self, pattern: Pattern) -> None:
        first, last, children = self.session.execute(
            select(func.min(PatternFeature.at), func.max(PatternFeature.at),
                   func.count(func.distinct(PatternFeature.case_id)).filter(PatternFeature.subject_type == "child"))
            .join(PatternMember, PatternMember.feature_id == PatternFeature.id)
            .where(PatternMember.pattern_id == pattern.id)).one()
        pattern.first_at, pattern.last_at, pattern.children = first, last, children


def check_referral(session: Session, referral_id: int, rules: PatternRules, actor: str, now: datetime,
                   reopen: bool = True, fresh: bool = False) -> list[int]:
    """Check one indexed referral against its neighbours; the ids of the patterns it is in. Marks it checked.

    ``fresh``: the features were indexed just now, so they are in no pattern yet.
    """
    source, book, joined = SqlSource(session), SqlBook(session, actor, reopen), []
    for thing in things(_hits(session, PatternFeature.referral_id == referral_id)):
        kind_rules = rules.of(thing[0].kind)
        near = neighbours(source, thing, kind_rules)
        pattern_id = settle(book, thing, near, kind_rules, now) if near or not fresh else None
        if pattern_id is not None and pattern_id not in joined:
            joined.append(pattern_id)
    mark_checked(session, referral_id, now)
    return joined


def mark_checked(session: Session, referral_id: int, now: datetime) -> None:
    """Record that the referral has been checked (inserting the row when it has none)."""
    done = session.execute(update(PatternCheck).where(PatternCheck.referral_id == referral_id)
                           .values(status="checked", checked_at=now).execution_options(synchronize_session=False))
    if done.rowcount == 0:
        session.add(PatternCheck(referral_id=referral_id, status="checked", checked_at=now))
        session.flush()


def index_for_sweep(session: Session, referral: Referral, case: Case, data: Mapping[str, Any],
                    rules: PatternRules) -> None:
    """Index a referral a route recorded and leave its check to the scheduler's sweep."""
    index_referral(session, referral, case, data, rules)
    session.add(PatternCheck(referral_id=referral.id, status="pending"))


def check_on_arrival(session: Session, referral: Referral, case: Case, data: Mapping[str, Any], rules: PatternRules,
                     actor: str, now: datetime) -> list[int]:
    """Index and check a front-door referral inside its transaction; the ids of the patterns it joined.

    A referral must never fail because of the pattern finder: each part runs in a savepoint; if the
    check fails it is rolled back and left pending for the scheduler's sweep (and logged).
    """
    try:
        with session.begin_nested():
            index_referral(session, referral, case, data, rules)
    except Exception:  # noqa: BLE001 - a referral is never lost to the pattern finder
        log.exception("indexing referral %s for patterns failed", referral.id)
        return []
    try:
        with session.begin_nested():
            return check_referral(session, referral.id, rules, actor, now, fresh=True)
    except Exception:  # noqa: BLE001 - as above: the sweep checks it later
        log.exception("pattern check failed for referral %s; the scheduler will check it", referral.id)
        session.add(PatternCheck(referral_id=referral.id, status="pending"))
        return []

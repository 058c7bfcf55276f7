"""The check for one referral: read its neighbours in the index, join or start patterns. No full scan.

Neighbours are found by index only: the same school URN, platform or associate name key, the same
UPRN or postcode, or a latitude/longitude box around a place, each within the time window. The check
is a handful of statements whatever the referral names (docs/patterns.md, Speed): one reads the
referral's features, one reads the neighbours of all of them, and each pattern it joins or starts
costs three or four more. The statements are built once and reused with new values, because building
SQL expressions cost more than running them.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, func, insert, select, union_all, update
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.matching import METRES_PER_DEGREE
from engine.patterns.features import index_referral
from engine.patterns.matching import HIT_COLUMNS, Hit, children_in, neighbours, settle, things
from engine.patterns.rules import KindRules, PatternRules
from engine.store.cases import Case, Referral
from engine.store.patterns import Pattern, PatternCheck, PatternFeature, PatternMember

log = logging.getLogger("frontdoor.patterns")
FEATURES, PATTERNS, MEMBERS, CHECKS = (PatternFeature.__table__, Pattern.__table__, PatternMember.__table__,
                                       PatternCheck.__table__)
REFERRALS = Referral.__table__
# Table columns rather than mapped attributes: the rows come back as plain tuples, without the ORM's work.
# A feature's types of harm are its referral's (read by the referral's key, so never out of step).
COLUMNS = [FEATURES.c[name] for name in HIT_COLUMNS if name != "harms"] + [REFERRALS.c.harm_types]
WITH_HARMS = FEATURES.join(REFERRALS, REFERRALS.c.id == FEATURES.c.referral_id)
OWN_FEATURES = (select(*COLUMNS).select_from(WITH_HARMS).where(FEATURES.c.referral_id == bindparam("referral_id"))
                .order_by(FEATURES.c.id))


def _part(n: int, test: str) -> Any:
    """One part of the neighbours' statement: one test, read through its own index, within a window."""
    f, p = FEATURES.c, (lambda name: bindparam(f"{name}{n}"))
    where = {"key": lambda: and_(f.kind == p("kind"), f.key.in_(bindparam(f"keys{n}", expanding=True))),
             "uprn": lambda: f.uprn == p("uprn"), "postcode": lambda: f.postcode == p("postcode"),
             "box": lambda: and_(f.latitude.between(p("lat_lo"), p("lat_hi")),
                                 f.longitude.between(p("lon_lo"), p("lon_hi")))}[test]()
    return select(*COLUMNS).select_from(WITH_HARMS).where(where, f.at >= p("since"), f.at <= p("until"),
                                  f.referral_id != bindparam("referral_id"))


@lru_cache(maxsize=256)
def _neighbours_statement(tests: tuple[str, ...]) -> Any:
    """One statement for every part (a union, so each part keeps its own index: an OR would not)."""
    parts = [_part(n, test) for n, test in enumerate(tests)]
    return union_all(*parts) if len(parts) > 1 else parts[0]


def _box(lat: float, lon: float, radius_m: float) -> dict[str, float]:
    dlat = radius_m / METRES_PER_DEGREE
    dlon = radius_m / (METRES_PER_DEGREE * max(0.01, math.cos(math.radians(lat))))
    return {"lat_lo": lat - dlat, "lat_hi": lat + dlat, "lon_lo": lon - dlon, "lon_hi": lon + dlon}


def _tests_of(thing: Sequence[Hit], rules: KindRules) -> list[tuple[str, dict[str, Any]]]:
    """The index look-ups that find what may share ``thing``, with their values."""
    mine = thing[0]
    if mine.kind != "place":
        return [("key", {"kind": mine.kind, "keys": sorted({t.key for t in thing})})]
    # Only places have a UPRN, postcode or point, so no test of the kind (which would steer the
    # planner to the kind's index and a scan of every place).
    tests = [("uprn", {"uprn": mine.uprn})] if mine.uprn else []
    tests += [("postcode", {"postcode": mine.postcode})] if mine.postcode else []
    if mine.latitude is not None and mine.longitude is not None:
        tests.append(("box", _box(mine.latitude, mine.longitude, rules.radius_m)))
    return tests


class SqlSource:
    """Neighbours from the index in the database: every thing's look-ups in one statement, read once."""

    def __init__(self, session: Session, referral_id: int, features: Sequence[list[Hit]], rules: PatternRules) -> None:
        tests, params = [], {"referral_id": referral_id}
        for thing in features:
            kind_rules = rules.of(thing[0].kind)
            window = timedelta(days=kind_rules.window_days)
            for test, values in _tests_of(thing, kind_rules):
                n = len(tests)
                tests.append(test)
                params |= {f"{k}{n}": v for k, v in values.items()}
                params |= {f"since{n}": thing[0].at - window, f"until{n}": thing[0].at + window}
        rows = session.execute(_neighbours_statement(tuple(tests)), params) if tests else []
        self.hits = list({hit.id: hit for hit in (Hit(*row) for row in rows)}.values())

    def candidates(self, thing: Sequence[Hit], rules: KindRules, since: datetime, until: datetime) -> list[Hit]:
        """Features that may share ``thing`` in the window (checked exactly by the caller)."""
        mine, keys = thing[0], {t.key for t in thing}
        return [h for h in self.hits if h.kind == mine.kind and since <= h.at <= until
                and (mine.kind == "place" or h.key in keys)]


M = MEMBERS.c
PATTERNS_OF = (select(M.pattern_id, func.count(), PATTERNS.c.status).join(PATTERNS, PATTERNS.c.id == M.pattern_id)
               .where(M.feature_id.in_(bindparam("ids", expanding=True)), PATTERNS.c.kind == bindparam("kind"))
               .group_by(M.pattern_id, PATTERNS.c.status))
MEMBERS_OF = select(M.feature_id, M.referral_id).where(M.pattern_id == bindparam("pattern_id"))


def _member_dates() -> dict[str, Any]:
    """The pattern's period and children, from its members, computed in the statement that changes it."""
    f = FEATURES.c
    base = (select().select_from(FEATURES.join(MEMBERS, M.feature_id == f.id))
            .where(M.pattern_id == PATTERNS.c.id).correlate(PATTERNS))
    children = func.count(func.distinct(f.case_id)).filter(f.subject_type == "child")
    return {"first_at": base.add_columns(func.min(f.at)).scalar_subquery(),
            "last_at": base.add_columns(func.max(f.at)).scalar_subquery(),
            "children": base.add_columns(children).scalar_subquery()}


UPDATE_DATES = update(PATTERNS).where(PATTERNS.c.id == bindparam("pattern_id")).values(**_member_dates())


class SqlBook:
    """Patterns in the database; every change is audited."""

    def __init__(self, session: Session, actor: str, reopen: bool = True) -> None:
        self.session, self.actor, self.reopen = session, actor, reopen
        self.status: dict[int, str] = {}
        self.members: dict[int, list[tuple[int, int]]] = {}

    def patterns_of(self, kind: str, feature_ids: Sequence[int]) -> dict[int, int]:
        """Patterns of this kind holding any of the features, with how many of them each holds."""
        rows = self.session.execute(PATTERNS_OF, {"ids": sorted(set(feature_ids)), "kind": kind}).all()
        self.status.update({pattern_id: status for pattern_id, _n, status in rows})
        return {pattern_id: n for pattern_id, n, _status in rows}

    def _members_of(self, pattern_id: int) -> list[tuple[int, int]]:
        if pattern_id not in self.members:
            self.members[pattern_id] = [tuple(r) for r in self.session.execute(MEMBERS_OF, {"pattern_id": pattern_id})]
        return self.members[pattern_id]

    def member_features(self, pattern_id: int) -> set[int]:
        """The features already in the pattern."""
        return {feature_id for feature_id, _r in self._members_of(pattern_id)}

    def has_referral(self, pattern_id: int, referral_id: int) -> bool:
        """True when the referral is already in the pattern."""
        return any(r == referral_id for _f, r in self._members_of(pattern_id))

    def add(self, pattern_id: int, hits: Sequence[Hit], now: datetime, new_evidence: bool) -> None:
        """Add features to a pattern; a new referral brings a dismissed or actioned pattern back."""
        self._insert_members(pattern_id, hits, now)
        changes: dict[str, Any] = {}
        rows = []
        if new_evidence:
            changes["changed_at"] = now
            rows.append(audit.row(at=now, actor=self.actor, action="pattern_joined", subject_type="pattern",
                                  subject_id=pattern_id, referral_ids=sorted({h.referral_id for h in hits})))
            if self.status.get(pattern_id, "open") != "open" and self.reopen:
                changes["status"] = self.status[pattern_id] = "open"
                rows.append(audit.row(at=now, actor=self.actor, action="pattern_reopened", subject_type="pattern",
                                      subject_id=pattern_id, reason="new evidence joined it"))
        self.session.execute(UPDATE_DATES.values(**changes) if changes else UPDATE_DATES, {"pattern_id": pattern_id},
                             execution_options={"synchronize_session": False})
        audit.record_many(self.session, rows)

    def create(self, kind: str, label: str, hits: Sequence[Hit], now: datetime) -> int:
        """Start a pattern from these features; audited."""
        pattern_id = self.session.execute(insert(PATTERNS).returning(PATTERNS.c.id), {
            "kind": kind, "label": label, "status": "open", "first_at": min(h.at for h in hits),
            "last_at": max(h.at for h in hits), "found_at": now, "changed_at": now,
            "children": children_in(hits)}).scalar_one()
        self.status[pattern_id] = "open"
        self._insert_members(pattern_id, hits, now)
        audit.record(self.session, at=now, actor=self.actor, action="pattern_found", subject_type="pattern",
                     subject_id=pattern_id, kind=kind, referral_ids=sorted({h.referral_id for h in hits}))
        return pattern_id

    def _insert_members(self, pattern_id: int, hits: Sequence[Hit], now: datetime) -> None:
        if hits:
            self.session.execute(insert(MEMBERS), [{"pattern_id": pattern_id, "feature_id": h.id,
                                                    "referral_id": h.referral_id, "joined_at": now} for h in hits])
        self.members.pop(pattern_id, None)


def check_referral(session: Session, referral_id: int, rules: PatternRules, actor: str, now: datetime,
                   reopen: bool = True, fresh: bool = False) -> list[int]:
    """Check one indexed referral against its neighbours; the ids of the patterns it is in. Marks it checked.

    ``fresh``: the features were indexed just now, so they are in no pattern yet and have no check row.
    """
    mine = things(Hit(*row) for row in session.execute(OWN_FEATURES, {"referral_id": referral_id}))
    source, book, joined = SqlSource(session, referral_id, mine, rules), SqlBook(session, actor, reopen), []
    for thing in mine:
        kind_rules = rules.of(thing[0].kind)
        near = neighbours(source, thing, kind_rules)
        pattern_id = settle(book, thing, near, kind_rules, now) if near or not fresh else None
        if pattern_id is not None and pattern_id not in joined:
            joined.append(pattern_id)
    if fresh:
        session.execute(insert(CHECKS), {"referral_id": referral_id, "status": "checked", "checked_at": now})
    else:
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

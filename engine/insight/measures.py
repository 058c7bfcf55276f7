"""The measures over a period and an area, each beside the previous period of the same length.

Every figure is a sum over ``insight_daily`` (engine/store/insight.py), refreshed incrementally first,
so a page or ``frontdoor metrics`` answers from a few thousand rows whatever the size of the history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import InvalidFormData
from engine.insight.catalogue import BY_KEY, MEASURES, Measure
from engine.insight.readers import INSIGHT_ROLES, audit_insight, require_reader
from engine.insight.refresh import needs_refresh, refresh_insight
from engine.runtime.services import Services
from engine.store.insight import ALL_AREAS, InsightDaily


@dataclass(frozen=True)
class Period:
    """Days from ``start`` up to but not including ``end`` (UK office dates)."""

    start: date
    end: date

    def previous(self) -> Period:
        """The period of the same length just before this one."""
        return Period(self.start - (self.end - self.start), self.start)

    def label(self) -> str:
        """e.g. "1 Mar 2026 to 31 Mar 2026" (the last day included)."""
        last = self.end - timedelta(days=1)
        return f"{self.start.day} {self.start:%b %Y} to {last.day} {last:%b %Y}"


@dataclass(frozen=True)
class Figures:
    """One period's figures: how many, how many met the test, the share, and working-day percentiles."""

    n: int
    yes: int
    percent: float | None
    median_days: float | None
    p90_days: float | None


@dataclass(frozen=True)
class Breakdown:
    """One label (and detail) within a measure, for the current and previous period."""

    label: str
    detail: str
    current: Figures
    previous: Figures


@dataclass(frozen=True)
class MeasureResult:
    """A measure with its figures now and in the previous period, broken down by label."""

    key: str
    title: str
    kind: str
    how: str
    yes_means: str
    label_name: str
    detail_name: str
    current: Figures
    previous: Figures
    rows: list[Breakdown] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def default_period(svc: Services, days: int = 28) -> Period:
    """The last ``days`` days up to and including today."""
    today = svc.timescales.calendar.to_local(svc.now()).date()
    return Period(today - timedelta(days=days - 1), today + timedelta(days=1))


def refresh_if_needed(svc: Services) -> None:
    """Bring the daily counts up to date (nothing written when nothing happened)."""
    if needs_refresh(svc):
        refresh_insight(svc)


def outcome_measures(svc: Services, viewer: str, period: Period, area: str | None = None,
                     version_id: int | None = None) -> list[MeasureResult]:
    """Every measure for ``period`` and its previous period (one area, one process version if given).

    Raises NotPermitted unless the viewer is a manager, the CS lead or an administrator; audited.
    """
    with svc.db.transaction() as session:
        require_reader(session, viewer, INSIGHT_ROLES)
        audit_insight(session, svc.now(), viewer, "measures", start=period.start.isoformat(),
                      end=period.end.isoformat(), area=area, version_id=version_id)
    return compute_measures(svc, period, area, version_id)


def compute_measures(svc: Services, period: Period, area: str | None = None,
                     version_id: int | None = None) -> list[MeasureResult]:
    """Every measure, with no reader check: for ``frontdoor metrics`` (whoever runs it holds the database)."""
    refresh_if_needed(svc)
    with svc.db.read() as session:
        return [measure_result(session, m, period, area, version_id) for m in MEASURES]


def measure_result(session: Session, measure: Measure, period: Period, area: str | None = None,
                   version_id: int | None = None) -> MeasureResult:
    """One measure's figures for a period and the one before it."""
    now_rows = daily_rows(session, measure.key, period, area, version_id)
    before_rows = daily_rows(session, measure.key, period.previous(), area, version_id)
    labels = sorted({(r[0], r[1]) for r in now_rows + before_rows})
    rows = [Breakdown(label, detail, figures([r for r in now_rows if (r[0], r[1]) == (label, detail)]),
                      figures([r for r in before_rows if (r[0], r[1]) == (label, detail)]))
            for label, detail in labels]
    return MeasureResult(measure.key, measure.title, measure.kind, measure.how, measure.yes_means,
                         measure.label_name, measure.detail_name, figures(now_rows), figures(before_rows), rows)


def daily_rows(session: Session, measure: str, period: Period, area: str | None = None,
               version_id: int | None = None, by_version: bool = False) -> list[tuple]:
    """(label, detail, days, n, yes[, version_id]) summed over the period: whole months, then the days at its edges."""
    columns = [InsightDaily.label, InsightDaily.detail, InsightDaily.days, InsightDaily.version_id]
    totals: dict[tuple, list[int]] = {}
    for grain, start, end in spans(period):
        query = (select(*columns, func.sum(InsightDaily.n), func.sum(InsightDaily.n_yes))
                 .where(InsightDaily.measure == measure, InsightDaily.area == (area or ALL_AREAS),
                        InsightDaily.grain == grain, InsightDaily.day >= start, InsightDaily.day < end)
                 .group_by(*columns))
        if version_id is not None:
            query = query.where(InsightDaily.version_id == version_id)
        for label, detail, days, version, n, yes in session.execute(query):
            key = (label, detail, days, version if by_version else None)
            found = totals.setdefault(key, [0, 0])
            found[0] += int(n)
            found[1] += int(yes)
    if by_version:
        return [(k[0], k[1], k[2], n, yes, k[3]) for k, (n, yes) in totals.items()]
    merged: dict[tuple, list[int]] = {}
    for (label, detail, days, _v), (n, yes) in totals.items():
        found = merged.setdefault((label, detail, days), [0, 0])
        found[0] += n
        found[1] += yes
    return [(*k, n, yes) for k, (n, yes) in merged.items()]


def spans(period: Period) -> list[tuple[str, date, date]]:
    """The period as whole months ("m") and the days before and after them ("d"), none of them empty."""
    first_month = period.start if period.start.day == 1 else _next_month(period.start)
    last_month = period.end.replace(day=1)
    if first_month >= last_month:
        return [("d", period.start, period.end)]
    parts = [("d", period.start, first_month), ("m", first_month, last_month), ("d", last_month, period.end)]
    return [(grain, a, b) for grain, a, b in parts if a < b]


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def figures(rows: list[tuple]) -> Figures:
    """Totals, share meeting the test and exact working-day percentiles from (label, detail, days, n, yes) rows."""
    n = sum(r[3] for r in rows)
    yes = sum(r[4] for r in rows)
    histogram: dict[int, int] = defaultdict(int)
    for r in rows:
        if r[2] >= 0:
            histogram[r[2]] += r[3]
    return Figures(n, yes, round(100 * yes / n, 1) if n else None, percentile(histogram, 50),
                   percentile(histogram, 90))


def percentile(histogram: dict[int, int], pct: int) -> float | None:
    """The nearest-rank percentile of whole working days held as {days: count}; None when empty."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = max(1, -(-pct * total // 100))  # ceil(pct% of total): the nearest-rank method
    seen = 0
    for days in sorted(histogram):
        seen += histogram[days]
        if seen >= rank:
            return float(days)
    return None


def known_areas(svc: Services) -> list[str]:
    """The postcode districts that have counts, for the area filter."""
    with svc.db.read() as session:
        rows = session.scalars(select(InsightDaily.area).distinct().where(
            InsightDaily.measure.in_(("referral_decision", "context_referrals")))).all()
    return sorted(a for a in rows if a != ALL_AREAS)


def measure_by_key(key: str) -> Measure:
    """A measure from the catalogue by its key (KeyError when unknown)."""
    return BY_KEY[key]


def parse_period(start: str | None, end: str | None, today_period: Period) -> Period:
    """A period from ISO dates (``end`` excluded); missing ends default to the last 28 days."""
    try:
        first = date.fromisoformat(start) if start else None
        stop = date.fromisoformat(end) if end else None
    except ValueError:
        raise InvalidFormData({"period": ["Give dates as YYYY-MM-DD"]}) from None
    stop = stop or (first + (today_period.end - today_period.start) if first else today_period.end)
    first = first or stop - (today_period.end - today_period.start)
    if first >= stop:
        raise InvalidFormData({"period": ["The start must be before the end"]})
    return Period(first, stop)

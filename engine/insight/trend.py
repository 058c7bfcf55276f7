"""The RAG trend: successive system reviews side by side, per domain x stage x tier, with the direction of
travel, a chart's figures and a table for CSV, so a partnership can show its board whether ratings move.

Computed from the reviews' own results (engine/insight/system_review.py): each review's rating of a cell is
its lowest rating there, as the review's grid shows it. The direction of travel compares a cell's latest
rating with the rating it had in the review before that rated it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from engine.access.rules import can_read_programme
from engine.errors import NotPermitted
from engine.insight.readers import SYSTEM_REVIEW_ROLES, audit_insight
from engine.insight.system_review import DOMAINS, SCORE, STAGES, TIERS, Review, reviews_in
from engine.insight.tables import Table
from engine.programme.readers import viewer as programme_viewer
from engine.runtime.services import Services

TYPES = {"baseline": "Baseline", "interim": "Interim", "annual": "Annual"}
DIRECTIONS = {"better": "Better", "worse": "Worse", "same": "No change", "new": "Rated for the first time",
              "dropped": "Not rated in the latest review"}
RAG = ("red", "amber", "green")


@dataclass(frozen=True)
class Column:
    """One review in the trend: its words, whether it was approved, and how many cells it rated each colour."""

    instance_id: int
    label: str
    approved: bool
    counts: dict[str, int]
    domain_scores: dict[str, float | None]

    @property
    def rated(self) -> int:
        """Cells rated in this review."""
        return sum(self.counts.values())


@dataclass(frozen=True)
class Row:
    """One domain x stage x tier: its rating in each review (None: not rated) and its direction of travel."""

    domain: str
    stage: str
    tier: str
    ratings: list[str | None]
    direction: str

    @property
    def direction_words(self) -> str:
        """The direction in words."""
        return DIRECTIONS[self.direction]


@dataclass(frozen=True)
class Trend:
    """Every rated review, oldest first, and every cell any of them rated."""

    columns: list[Column]
    rows: list[Row]
    directions: dict[str, int] = field(default_factory=dict)


def rag_trend(svc: Services, viewer: str) -> Trend:
    """The trend across every review that rated the system; raises NotPermitted; audited.

    Read by whoever reads the system review's results and by whoever reads the change programme (the
    partnership shows its board whether its ratings move).
    """
    today = svc.timescales.calendar.to_local(svc.now()).date()
    with svc.db.transaction() as session:
        seen = programme_viewer(session, viewer)
        if seen.role not in SYSTEM_REVIEW_ROLES and not can_read_programme(seen):
            raise NotPermitted("Only the partnership, managers, the CS lead, administrators and critical friends "
                               "may read the system reviews")
        audit_insight(session, svc.now(), viewer, "rag_trend")
        return trend_of([r for r in reviews_in(session, today) if r.cells])


def trend_of(reviews: list[Review]) -> Trend:
    """The trend of these reviews (oldest first)."""
    columns = [_column(r) for r in reviews]
    grids = [{(c.domain, c.stage, c.tier): c.rating for c in r.cells} for r in reviews]
    rows = []
    for key in [(d, s, t) for d in DOMAINS for s in STAGES for t in TIERS]:
        ratings = [grid.get(key) for grid in grids]
        if any(ratings):
            rows.append(Row(*key, ratings, direction(ratings)))
    counts = {d: sum(1 for r in rows if r.direction == d) for d in DIRECTIONS}
    return Trend(columns, rows, counts)


def direction(ratings: list[str | None]) -> str:
    """The latest rating against the one before it (reviews that did not rate the cell are skipped)."""
    given = [r for r in ratings if r]
    if ratings and ratings[-1] is None:
        return "dropped"
    if len(given) < 2:
        return "new"
    before, now = SCORE[given[-2]], SCORE[given[-1]]
    return "better" if now > before else "worse" if now < before else "same"


def trend_table(trend: Trend) -> Table:
    """The trend as a table: a row per cell, a column per review, then the direction of travel."""
    headers = ["Domain", "Stage", "Tier", *[c.label for c in trend.columns], "Direction of travel"]
    rows = [[r.domain.capitalize(), r.stage.replace("_", " ").capitalize(), r.tier.capitalize(),
             *[(x or "").capitalize() for x in r.ratings], r.direction_words] for r in trend.rows]
    return headers, rows


def chart(trend: Trend, width: int = 420) -> list[dict[str, Any]]:
    """For each review, its red, amber and green cells as bar segments (x and width in pixels, on ``width``)."""
    widest = max([c.rated for c in trend.columns] + [1])
    bars = []
    for c in trend.columns:
        x, segments = 0.0, []
        for colour in RAG:
            w = round(width * c.counts[colour] / widest, 1)
            segments.append({"colour": colour, "count": c.counts[colour], "x": round(x, 1), "width": w})
            x += w
        bars.append({"label": c.label, "segments": segments, "rated": c.rated})
    return bars


def _column(review: Review) -> Column:
    kind = TYPES.get(review.review_type, "Review")
    label = f"{kind} ({review.period})" if review.period else f"{kind} ({review.started_at:%B %Y})"
    counts = {colour: sum(1 for c in review.cells if c.rating == colour) for colour in RAG}
    scores = {}
    for domain in DOMAINS:
        mine = [SCORE[c.rating] for c in review.cells if c.domain == domain and c.rating]
        scores[domain] = round(sum(mine) / len(mine), 2) if mine else None
    return Column(review.instance_id, label, bool(review.approved), counts, scores)

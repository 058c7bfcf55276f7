"""Tables behind the insight pages: daily pre-aggregated measures and how far the refresh has read.

A measure over any period is a sum of whole months (``grain`` "m", ``day`` the 1st) and the days at its
edges (``grain`` "d"), so every page answers from a few thousand rows even with 100,000 cases.
Rows are keyed by measure, area (``*`` is every area), grain, local day, process version, a label (an
outcome, an agency, an element id), a detail and a whole number of working days (``-1`` when the measure
has no duration), so medians and 90th percentiles are exact.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base

ALL_AREAS = "*"


class InsightDaily(Base):
    """How many things one measure counted on one day, and how many of them met its test."""

    __tablename__ = "insight_daily"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[str] = mapped_column(String(40))
    area: Mapped[str] = mapped_column(String(20))
    grain: Mapped[str] = mapped_column(String(1))
    day: Mapped[date] = mapped_column(Date)
    version_id: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(120))
    detail: Mapped[str] = mapped_column(String(200))
    days: Mapped[int] = mapped_column(Integer)
    n: Mapped[int] = mapped_column(Integer)
    n_yes: Mapped[int] = mapped_column(Integer)
    __table_args__ = (
        UniqueConstraint("measure", "area", "grain", "day", "version_id", "label", "detail", "days",
                         name="uq_insight_daily_key"),
        # covering: a period's sums are read from the index alone
        Index("ix_insight_daily_read", "measure", "area", "grain", "day", "version_id", "label", "detail", "days",
              "n", "n_yes"),
    )


class InsightProgress(Base):
    """How far the incremental refresh has read (one row, id 1)."""

    __tablename__ = "insight_progress"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    audit_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    referral_id: Mapped[int] = mapped_column(Integer, default=0)
    # Cancelled work items leave no audit row; they are read by their closing time (the engine's clock).
    cancelled_until: Mapped[datetime | None] = mapped_column(nullable=True)
    refreshed_at: Mapped[datetime | None] = mapped_column(nullable=True)

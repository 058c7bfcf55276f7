"""SQLAlchemy tables for patterns across referrals: the feature index, patterns, members and checks.

Each referral's places, school, online platforms and named associates are written to
``pattern_features`` when it arrives, keyed so that the check for a new referral reads only its
neighbours (docs/decisions.md, patterns found incrementally). A pattern groups referrals about
different children that share a feature; ``pattern_members`` says which features joined it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Float, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base

FEATURE_KINDS = ("place", "school", "platform", "associate")
PATTERN_STATUSES = ("open", "dismissed", "actioned")
CHECK_STATUSES = ("pending", "claimed", "checked")


class PatternFeature(Base):
    """One thing a referral names that other referrals may share: a place, a school, a platform, an associate."""

    __tablename__ = "pattern_features"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    subject_type: Mapped[str] = mapped_column(String(10))
    kind: Mapped[str] = mapped_column(String(12))
    # The look-up key: a school URN, a platform's plain name, an associate's name key; "" for a place.
    key: Mapped[str] = mapped_column(String(120), default="")
    label: Mapped[str] = mapped_column(String(200), default="")
    postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    uprn: Mapped[str | None] = mapped_column(String(12), nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    age: Mapped[int | None] = mapped_column(Integer, nullable=True)
    detail: Mapped[str] = mapped_column(String(200), default="")  # a place's "when", as the referrer said it
    efh: Mapped[bool] = mapped_column(Boolean, default=False)  # the referral names a harm outside the home
    at: Mapped[datetime]  # when the referral was received: the time window reads this
    __table_args__ = (
        Index("ix_pattern_features_key", "kind", "key", "at"),
        Index("ix_pattern_features_postcode", "postcode", "at"),
        Index("ix_pattern_features_uprn", "uprn", "at"),
        Index("ix_pattern_features_point", "latitude", "longitude"),
        Index("ix_pattern_features_referral", "referral_id"),
        Index("ix_pattern_features_at", "at"),
    )


class Pattern(Base):
    """Referrals about different children sharing a place, school, platform or associate within the window."""

    __tablename__ = "patterns"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(12))
    label: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(10), default="open")
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    found_at: Mapped[datetime]
    changed_at: Mapped[datetime]
    children: Mapped[int] = mapped_column(Integer, default=0)
    context_case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    closed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    __table_args__ = (Index("ix_patterns_status", "status", "last_at"),)


class PatternMember(Base):
    """A referral's feature in a pattern, and when it joined (a later join is new evidence)."""

    __tablename__ = "pattern_members"
    pattern_id: Mapped[int] = mapped_column(ForeignKey("patterns.id", ondelete="CASCADE"), primary_key=True)
    feature_id: Mapped[int] = mapped_column(ForeignKey("pattern_features.id", ondelete="CASCADE"), primary_key=True)
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"))
    joined_at: Mapped[datetime]
    __table_args__ = (Index("ix_pattern_members_feature", "feature_id"),
                      Index("ix_pattern_members_referral", "referral_id"))


class PatternCheck(Base):
    """Whether a referral has been checked for patterns; the scheduler claims the pending ones."""

    __tablename__ = "pattern_checks"
    referral_id: Mapped[int] = mapped_column(ForeignKey("referrals.id", ondelete="CASCADE"), primary_key=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    checked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (Index("ix_pattern_checks_status", "status", "referral_id"),)


def as_row(feature: PatternFeature) -> dict[str, Any]:
    """A feature as plain values (for bulk inserts in the recompute and the bench)."""
    return {c.name: getattr(feature, c.name) for c in PatternFeature.__table__.columns}

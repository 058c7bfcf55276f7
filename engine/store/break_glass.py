"""SQLAlchemy table for break-glass grants: time-limited access to one case, with the reason given."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base


class BreakGlassGrant(Base):
    """One person's time-limited access to one case they had no need-to-know for (docs/domain.md, data protection)."""

    __tablename__ = "break_glass_grants"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    granted_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    __table_args__ = (Index("ix_break_glass_user_case", "username", "case_id", "expires_at"),)

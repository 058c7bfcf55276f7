"""Tables for context safety plans: each agreed action, its owning agency, due date, status and updates."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base

ACTION_STATUSES = ("open", "done", "partly_done", "not_done", "carried_over")


class PlanAction(Base):
    """One action of a Context Safety Plan, owned by one agency's group, with a due date."""

    __tablename__ = "plan_actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    cycle: Mapped[int] = mapped_column(Integer, default=1)  # 1: the plan agreed at conference; 2+: revised plans
    number: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(Text)
    owner_group: Mapped[str] = mapped_column(String(80))
    goal: Mapped[str] = mapped_column(Text, default="")
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    __table_args__ = (Index("ix_plan_actions_case", "case_id", "cycle", "number"),)


class PlanActionUpdate(Base):
    """What an agency recorded against one action (its history on the plan page)."""

    __tablename__ = "plan_action_updates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    action_id: Mapped[int] = mapped_column(ForeignKey("plan_actions.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20))
    progress: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_plan_action_updates_action", "action_id", "id"),)

"""Tables for statutory and local clocks, their history, notifications and work-item reminder progress."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base

CLOCK_STATUSES = ("running", "paused", "stopped", "breached")
NOTIFICATION_KINDS = ("due_soon", "overdue", "escalation", "digest", "exceed_reason_needed")


class Clock(Base):
    """A named deadline on a case, counted from an anchor event under one configured timescale."""

    __tablename__ = "clocks"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(80))
    timescale: Mapped[str] = mapped_column(String(80))
    anchor_event: Mapped[str] = mapped_column(String(80))
    anchor_at: Mapped[datetime]
    limit_amount: Mapped[int] = mapped_column(Integer)
    limit_unit: Mapped[str] = mapped_column(String(20))
    source: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="running")
    due_at: Mapped[datetime]
    paused_at: Mapped[datetime | None] = mapped_column(nullable=True)
    pause_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Pauses extend the clock: whole days in the clock's own unit (working or calendar days) and,
    # for hour clocks, elapsed seconds.
    paused_days: Mapped[int] = mapped_column(Integer, default=0)
    total_paused_seconds: Mapped[int] = mapped_column(Integer, default=0)
    breached_at: Mapped[datetime | None] = mapped_column(nullable=True)
    exceed_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    exceed_reason_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    exceed_reason_at: Mapped[datetime | None] = mapped_column(nullable=True)
    owner_user: Mapped[str | None] = mapped_column(String(80), nullable=True)
    owner_group: Mapped[str | None] = mapped_column(String(80), nullable=True)
    started_by: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # A subject access clock extended under UK GDPR Article 12(3): months added and why (docs/governance.md).
    extended_months: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    extension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The route instance that started it (a BPMN clock declaration); None for a clock started by hand.
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (Index("ix_clocks_status_due", "status", "due_at"), Index("ix_clocks_instance", "instance_id"),
                      Index("ix_clocks_case", "case_ref", "name"))


class ClockEvent(Base):
    """One change to a clock (started, paused, resumed, stopped, breached, exceed_reason_recorded)."""

    __tablename__ = "clock_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    clock_id: Mapped[int] = mapped_column(ForeignKey("clocks.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (Index("ix_clock_events_clock", "clock_id", "id"),)


class Notification(Base):
    """An in-app message to one person, optionally emailed; ``dedupe_key`` makes raising it idempotent."""

    __tablename__ = "notifications"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(30))
    subject_type: Mapped[str] = mapped_column(String(40), default="")
    subject_id: Mapped[str] = mapped_column(String(80), default="")
    case_ref: Mapped[str | None] = mapped_column(String(40), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None] = mapped_column(nullable=True)
    email_status: Mapped[str] = mapped_column(String(20), default="pending")
    emailed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    alert_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # engine/store/alerts.py
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (Index("ix_notifications_recipient", "recipient", "read_at", "id"),
                      Index("ix_notifications_email", "email_status", "id"))


class WorkItemReminder(Base):
    """How far reminders for one open work item have got, and when the next stage is due."""

    __tablename__ = "work_item_reminders"
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"),
                                              primary_key=True)
    stage: Mapped[str] = mapped_column(String(20))  # due_soon, overdue, escalated
    next_at: Mapped[datetime | None] = mapped_column(nullable=True)
    updated_at: Mapped[datetime]
    __table_args__ = (Index("ix_work_item_reminders_next", "stage", "next_at"),)

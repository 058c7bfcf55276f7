"""Tables for alerts raised by routes and the e-mail outbox that delivers every message frontdoor sends.

An alert is one event (immediate danger, persons of concern, a linked worker's summary) told to people
and groups; each person gets a notification row (in-app) and, when they have an address, an outbox row
(e-mail). The outbox is written in the transaction that raises the message and delivered by the
scheduler, which retries with back-off; nothing is sent from inside a step (docs/decisions.md, D45).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base

MAIL_STATUSES = ("pending", "sent", "failed", "cancelled")


class Alert(Base):
    """One alert a route raised: the case, the reason, what to do, and how far it has escalated."""

    __tablename__ = "alerts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    urgent: Mapped[bool] = mapped_column(Boolean, default=False)
    case_ref: Mapped[str | None] = mapped_column(String(40), nullable=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    todo: Mapped[str] = mapped_column(Text, default="")
    raised_by: Mapped[str] = mapped_column(String(80))
    raised_at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    element_id: Mapped[str] = mapped_column(String(120), default="")
    level: Mapped[int] = mapped_column(Integer, default=0)  # 0: first recipients; n: the n-th escalation step
    escalate_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(nullable=True)
    acknowledged_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    __table_args__ = (Index("ix_alerts_escalate", "escalate_at"), Index("ix_alerts_case", "case_ref"))


class MailOutbox(Base):
    """One e-mail to send: to a person (``recipient``) or to an address with no account (a referrer)."""

    __tablename__ = "mail_outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    recipient: Mapped[str | None] = mapped_column(String(80), nullable=True)
    to_address: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    notification_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    alert_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at", "id"),)

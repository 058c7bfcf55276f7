"""SQLAlchemy tables for cases: children and contexts, their links, referrals and who is involved.

A case's subject is a child or a context (docs/domain.md: the context itself is the case at level 2).
Context rows never hold children's names: children are reached only through ``ChildContextLink``,
which the need-to-know rule (engine/access/need_to_know.py) guards.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, func
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base

SUBJECT_TYPES = ("child", "context")
CONTEXT_TYPES = ("peer_group", "school", "public_space", "neighbourhood", "online", "premises")
PUBLIC_SPACE_TYPES = ("park", "estate", "shopping_centre", "transport_hub", "transport_route", "takeaway")
LINK_ROLES = ("harmed_at", "at_risk_at", "associated_with", "member_of")
CONSENT = ("given", "refused", "not_sought")
INVOLVEMENT_REASONS = ("allocated", "held_work", "manager")


class Case(Base):
    """A child's or a context's case; ``ref`` (CH-000123, CX-000045) is what people and processes use."""

    __tablename__ = "cases"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)
    subject_type: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(10), default="open")
    opened_at: Mapped[datetime]
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    manager: Mapped[str | None] = mapped_column(String(80), nullable=True)
    allocated_worker: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_by: Mapped[str] = mapped_column(String(80))
    # Where the case is on its route (a stage declared in the BPMN), and where a mistaken duplicate went.
    stage: Mapped[str | None] = mapped_column(String(40), nullable=True)
    stage_at: Mapped[datetime | None] = mapped_column(nullable=True)
    merged_into: Mapped[str | None] = mapped_column(String(40), nullable=True)
    __table_args__ = (Index("ix_cases_subject_status", "subject_type", "status"),)


class Child(Base):
    """The child a child case is about (one per case)."""

    __tablename__ = "children"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    dob: Mapped[date | None] = mapped_column(Date, nullable=True)
    nhs_number: Mapped[str | None] = mapped_column(String(20), nullable=True)
    upn: Mapped[str | None] = mapped_column(String(20), nullable=True)
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    school: Mapped[str] = mapped_column(String(200), default="")
    # docs/domain.md, data protection: a protected address is hidden everywhere the child appears.
    protected_address: Mapped[bool] = mapped_column(Boolean, default=False)
    __table_args__ = (
        Index("ix_children_nhs_number", "nhs_number"),
        Index("ix_children_upn", "upn"),
        Index("ix_children_name_dob", func.lower(last_name), func.lower(first_name), "dob"),
    )


class Context(Base):
    """The place, group or space a context case is about (one per case); it never names a child."""

    __tablename__ = "contexts"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    type: Mapped[str] = mapped_column(String(20))
    public_space_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str] = mapped_column(Text, default="")
    postcode: Mapped[str | None] = mapped_column(String(10), nullable=True)
    uprn: Mapped[str | None] = mapped_column(String(12), nullable=True)
    latitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    longitude: Mapped[float | None] = mapped_column(Float, nullable=True)
    school_urn: Mapped[str | None] = mapped_column(String(10), nullable=True)
    online_platform: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="referred")
    watch_until: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (
        Index("ix_contexts_school_urn", "school_urn"),
        Index("ix_contexts_uprn", "uprn"),
        Index("ix_contexts_postcode", "postcode"),
        Index("ix_contexts_lower_name", func.lower(name)),
        Index("ix_contexts_lat_lon", "latitude", "longitude"),
    )


class ChildContextLink(Base):
    """A child linked to a context with a role, dates and where the link came from."""

    __tablename__ = "child_context_links"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    child_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    context_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(20))
    started_on: Mapped[date] = mapped_column(Date)
    ended_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(120), default="")
    created_by: Mapped[str] = mapped_column(String(80), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    ended_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    ended_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    __table_args__ = (
        Index("ix_links_context", "context_case_id", "role"),
        Index("ix_links_child", "child_case_id"),
    )


class Referral(Base):
    """One referral into a case: who referred, which harms, consent and the lawful basis for sharing."""

    __tablename__ = "referrals"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    received_at: Mapped[datetime]
    referrer_name: Mapped[str] = mapped_column(String(200), default="")
    referrer_role: Mapped[str] = mapped_column(String(200), default="")
    referrer_agency: Mapped[str] = mapped_column(String(200), default="")
    referrer_contact: Mapped[str] = mapped_column(String(400), default="")
    harm_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    consent: Mapped[str] = mapped_column(String(20), default="not_sought")
    lawful_basis: Mapped[str] = mapped_column(String(80), default="")
    is_repeat: Mapped[bool] = mapped_column(Boolean, default=False)
    source: Mapped[str] = mapped_column(String(40), default="front_door")
    process_instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_by: Mapped[str] = mapped_column(String(80), default="")
    __table_args__ = (Index("ix_referrals_case", "case_id", "received_at"),
                      Index("ix_referrals_instance", "process_instance_id"))


class CaseInvolvement(Base):
    """Why a person is involved in a case (need-to-know, docs/domain.md); ``until`` ends it."""

    __tablename__ = "case_involvements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(20))
    since: Mapped[datetime]
    until: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (Index("ix_involvements_user_case", "username", "case_id"),)


class CaseNotice(Base):
    """A message a route sent or must send: referrer told, police alerted, worker summary shared."""

    __tablename__ = "case_notices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), nullable=True)
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(400), default="")
    body: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    __table_args__ = (Index("ix_case_notices_case", "case_id", "kind"),)


class PendingStart(Base):
    """Outbox: a process a service task asked to start; started after the asking step commits."""

    __tablename__ = "pending_starts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(120))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    case_ref: Mapped[str | None] = mapped_column(String(40), nullable=True)
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[datetime]
    source_instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")
    started_instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    error: Mapped[str] = mapped_column(Text, default="")
    __table_args__ = (Index("ix_pending_starts_status", "status", "id"),)

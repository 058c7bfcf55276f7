"""SQLAlchemy tables: process versions, instances, work items, timers, directory and audit."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on both SQLite (which drops tzinfo) and PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        """Refuse naive datetimes: every time in frontdoor is UTC-aware (docs/decisions.md, D8)."""
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value

    def process_result_value(self, value, dialect):
        """SQLite returns naive values; they were written as UTC."""
        from datetime import timezone

        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    """Declarative base with stable constraint names (Alembic needs them)."""

    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON}


class User(Base):
    """A person (or service account) in the minimal directory."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str] = mapped_column(String(200), default="")
    role: Mapped[str] = mapped_column(String(40), default="practitioner")
    agency: Mapped[str] = mapped_column(String(80), default="")
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class Group(Base):
    """An agency or team; work items are offered to groups (candidate groups or lanes)."""

    __tablename__ = "groups"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    # Groups with the same service are managed together (engine/access/rules.py); blank is one service too.
    service: Mapped[str] = mapped_column(String(80), default="")


class Membership(Base):
    """A user's membership of a group."""

    __tablename__ = "memberships"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True)
    __table_args__ = (Index("ix_memberships_group", "group_id"),)


class ProcessVersion(Base):
    """An immutable deployed version of one process (docs/decisions.md, D6)."""

    __tablename__ = "process_versions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200), default="")
    number: Mapped[int] = mapped_column(Integer)
    content_hash: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(80))
    deployed_at: Mapped[datetime]
    pilot_rule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    note: Mapped[str] = mapped_column(Text, default="")
    # Governance (docs/decisions.md, D55): the highest current_order is the version new cases start on,
    # unless an active pilot's rule matches; a pilot stays active until promoted, withdrawn or replaced.
    current_order: Mapped[int | None] = mapped_column(Integer, nullable=True)
    base_number: Mapped[int | None] = mapped_column(Integer, nullable=True)
    pilot_ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    pilot_ended_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    pilot_outcome: Mapped[str | None] = mapped_column(String(20), nullable=True)
    pilot_successor: Mapped[int | None] = mapped_column(Integer, nullable=True)
    __table_args__ = (
        UniqueConstraint("process_id", "number", name="uq_process_versions_number"),
        UniqueConstraint("process_id", "content_hash", name="uq_process_versions_hash"),
    )


class VersionFile(Base):
    """One BPMN, DMN or form file of a version (the version's closure: its calls, decisions and forms)."""

    __tablename__ = "version_files"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id", ondelete="CASCADE"))
    filename: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    __table_args__ = (UniqueConstraint("version_id", "filename", name="uq_version_files_name"),)


class Instance(Base):
    """A running or finished process instance: state-only JSON plus an optimistic-lock counter."""

    __tablename__ = "instances"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    process_id: Mapped[str] = mapped_column(String(120))
    case_ref: Mapped[str | None] = mapped_column(String(40), nullable=True)
    status: Mapped[str] = mapped_column(String(20))
    state: Mapped[str] = mapped_column(Text)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    failed_element: Mapped[str | None] = mapped_column(String(120), nullable=True)
    failure_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_by: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # copies of what the timers and message_waits tables hold, so a step touches them only on change
    next_timer_at: Mapped[datetime | None] = mapped_column(nullable=True)
    waiting_for: Mapped[str] = mapped_column(String(400), default="")
    __table_args__ = (
        Index("ix_instances_case", "case_ref"),
        Index("ix_instances_version_status", "version_id", "status"),
    )


class WorkItem(Base):
    """An open or finished human task: the inbox's projection of the workflow state."""

    __tablename__ = "work_items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    task_id: Mapped[str] = mapped_column(String(36))
    element_id: Mapped[str] = mapped_column(String(120))
    name: Mapped[str] = mapped_column(String(200))
    process_id: Mapped[str] = mapped_column(String(120))
    case_ref: Mapped[str | None] = mapped_column(String(40), nullable=True)
    form_ref: Mapped[str | None] = mapped_column(String(120), nullable=True)
    groups: Mapped[str] = mapped_column(String(400), default="")
    assignee: Mapped[str | None] = mapped_column(String(80), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="open")
    priority: Mapped[int] = mapped_column(Integer, default=50)
    due_at: Mapped[datetime | None] = mapped_column(nullable=True)
    due_reason: Mapped[str] = mapped_column(String(400), default="")
    documentation: Mapped[str] = mapped_column(Text, default="")
    draft: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    created_at: Mapped[datetime]
    completed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    completed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (
        UniqueConstraint("instance_id", "task_id", name="uq_work_items_task"),
        Index("ix_work_items_assignee_status", "assignee", "status", "due_at"),
        Index("ix_work_items_status_due_id", "status", "due_at", "id"),
        Index("ix_work_items_case", "case_ref", "status"),
        Index("ix_work_items_instance", "instance_id", "status"),
    )


class WorkItemGroup(Base):
    """Which groups a work item is offered to (indexed for the inbox query)."""

    __tablename__ = "work_item_groups"
    work_item_id: Mapped[int] = mapped_column(ForeignKey("work_items.id", ondelete="CASCADE"),
                                              primary_key=True)
    group_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    open: Mapped[bool] = mapped_column(Boolean, default=True)
    __table_args__ = (Index("ix_work_item_groups_group_open", "group_id", "open", "work_item_id"),)


class Timer(Base):
    """The next due time of an instance's armed BPMN timers; claimed and fired by the scheduler."""

    __tablename__ = "timers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(20), default="armed")
    claimed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    claimed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    fired_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (Index("ix_timers_status_due_id", "status", "due_at", "id"),
                      Index("ix_timers_instance", "instance_id"))


class MessageWait(Base):
    """A message an instance waits for, so correlation is a query, not a scan of blobs."""

    __tablename__ = "message_waits"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("instances.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(String(120))
    case_ref: Mapped[str | None] = mapped_column(String(40), nullable=True)
    __table_args__ = (Index("ix_message_waits_message", "message", "case_ref"),)


class AuditEvent(Base):
    """Append-only audit log: who did or saw what, to which subject, when (UTC)."""

    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(60))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[str] = mapped_column(String(80))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    __table_args__ = (Index("ix_audit_subject", "subject_type", "subject_id", "at"),
                      Index("ix_audit_actor", "actor", "at"))


class LibraryForm(Base):
    """One saved version of a form made or edited in the form editor, kept while no process uses it.

    A form a process uses also lives in that process's versions (VersionFile); this table is what lets
    a brand-new form exist before any process names it. Deleting marks every version of the form.
    """

    __tablename__ = "library_forms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    form_id: Mapped[str] = mapped_column(String(120))
    number: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    saved_by: Mapped[str] = mapped_column(String(80))
    saved_at: Mapped[datetime]
    deleted_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    deleted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (UniqueConstraint("form_id", "number", name="uq_library_forms_number"),)

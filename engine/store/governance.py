"""SQLAlchemy tables for information governance: the audit chain's head, legal holds, disposal runs
(each with its certificate) and the cases they disposed of.

The audit rows themselves stay in ``audit_events`` (engine/store/models.py); sealing adds their place in
the chain (``seq``) and hashes there. A disposal run is proposed by one person and carried out when a
manager approves it; its certificate says what went, under which schedule, who approved and when.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base

RUN_STATUSES = ("proposed", "done", "withdrawn")


class AuditChain(Base):
    """The head of the audit hash chain: the last sealed row's place and hash, and where the chain starts
    (after audit rows are disposed of under their schedule the chain starts from the last one removed)."""

    __tablename__ = "audit_chain"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    head_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    head_hash: Mapped[str] = mapped_column(String(64))
    base_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)
    base_hash: Mapped[str] = mapped_column(String(64))
    sealed_at: Mapped[datetime | None] = mapped_column(nullable=True)


class LegalHold(Base):
    """A legal hold on a case: while it stands (not released, ``until`` not passed) nothing of the case
    is disposed of."""

    __tablename__ = "legal_holds"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    placed_by: Mapped[str] = mapped_column(String(80))
    placed_at: Mapped[datetime]
    until: Mapped[datetime | None] = mapped_column(nullable=True)
    released_at: Mapped[datetime | None] = mapped_column(nullable=True)
    released_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    __table_args__ = (Index("ix_legal_holds_case", "case_id", "released_at"),)


class DisposalRun(Base):
    """One disposal: what was due when proposed, and once a manager approved it, the certificate."""

    __tablename__ = "disposal_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    status: Mapped[str] = mapped_column(String(20), default="proposed")
    proposed_by: Mapped[str] = mapped_column(String(80))
    proposed_at: Mapped[datetime]
    items: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    approved_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    certificate: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)


class DisposedCase(Base):
    """A case whose personal data was erased (its counts kept for insight), and by which run."""

    __tablename__ = "disposed_cases"
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("disposal_runs.id"))
    schedule: Mapped[str] = mapped_column(String(40))
    disposed_at: Mapped[datetime]


class SubjectAccessBundle(Base):
    """The bundle a subject access request's route prepared once approved: the redacted record as JSON in
    the document store (``sha256``), who redacted and who approved it, and how and when it was sent."""

    __tablename__ = "subject_access_bundles"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(40))
    instance_id: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    withheld: Mapped[list[Any]] = mapped_column(JSON, default=list)  # [{"item": "Note 2", "reason": "..."}]
    redacted_by: Mapped[str] = mapped_column(String(80))
    approved_by: Mapped[str] = mapped_column(String(80))
    prepared_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)
    sent_how: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sent_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    __table_args__ = (Index("ix_subject_access_bundles_case", "case_ref"),
                      Index("ix_subject_access_bundles_instance", "instance_id", unique=True))

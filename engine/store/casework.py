"""SQLAlchemy tables for daily casework: case notes (kept in versions), documents, search keys, kept answers,
merges.

Documents live outside the database, addressed by their content hash (engine/cases/documents.py);
the table holds what people need to find and trust them: name, type, size, who added it, the scan
result and, for a deleted one, who deleted it and why (it is kept for retention, never erased).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base

NOTE_KINDS = ("note", "phone_call", "visit", "meeting", "email", "other")
SCAN_STATUSES = ("clean", "not_scanned")
KEPT_KINDS = ("draft", "signed_out")


class CaseNote(Base):
    """One version of a note or contact record on a case; a correction adds a version, never overwrites.

    ``note_key`` is the id of the note's first version, shared by all its versions; the current version
    has no ``superseded_at``.
    """

    __tablename__ = "case_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    note_key: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    kind: Mapped[str] = mapped_column(String(20))
    text: Mapped[str] = mapped_column(Text)
    with_whom: Mapped[str] = mapped_column(String(200), default="")
    occurred_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    recorded_by: Mapped[str] = mapped_column(String(80))
    correction_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    superseded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (Index("ix_case_notes_case", "case_id", "superseded_at"),
                      Index("ix_case_notes_key", "note_key", "version"))


class Document(Base):
    """A file attached to a case (and perhaps to a note or a task); its bytes live in the document store."""

    __tablename__ = "documents"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    note_key: Mapped[int | None] = mapped_column(Integer, nullable=True)
    work_item_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    content_type: Mapped[str] = mapped_column(String(120))
    file_name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(String(500), default="")
    store: Mapped[str] = mapped_column(String(10))
    scan_status: Mapped[str] = mapped_column(String(20))
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str] = mapped_column(String(80))
    deleted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    deleted_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    delete_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    __table_args__ = (Index("ix_documents_case", "case_id", "deleted_at"),
                      Index("ix_documents_sha256", "sha256"))


class SearchKey(Base):
    """A phonetic key of one word of a child's or a context's name, so search tolerates spelling variants."""

    __tablename__ = "search_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(40))
    __table_args__ = (Index("ix_search_keys_key", "key", "case_id"), Index("ix_search_keys_case", "case_id"))


class KeptAnswers(Base):
    """Answers kept for one person: a front-door draft, or a post that arrived after their session expired."""

    __tablename__ = "kept_answers"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(20))
    path: Mapped[str] = mapped_column(String(200))
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    saved_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("username", "kind", "path", name="uq_kept_answers_user_kind_path"),
                      Index("ix_kept_answers_expires", "expires_at"))


class CaseMerge(Base):
    """Two records opened for one child or context by mistake, merged: who, when, why, what agreed, what moved.

    The merged case stays (its ``merged_into`` names the kept case, so its reference leads there); everything
    recorded on it moved to the kept case, and ``moved`` counts what, by kind.
    """

    __tablename__ = "case_merges"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kept_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    merged_case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    merged_at: Mapped[datetime]
    merged_by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    agreed: Mapped[list[str]] = mapped_column(JSON, default=list)
    moved: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    __table_args__ = (UniqueConstraint("merged_case_id", name="uq_case_merges_merged_case_id"),
                      Index("ix_case_merges_kept", "kept_case_id"))

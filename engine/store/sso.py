"""Tables for single sign-on: who each provider's account is here, sign-ins under way, and SSO sessions."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base


class SsoIdentity(Base):
    """An account at an identity provider (issuer and subject, never reused) and the person it signs in as.

    ``approved_at`` is empty while an admin has still to approve a person the provider created.
    """

    __tablename__ = "sso_identities"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer: Mapped[str] = mapped_column(String(300))
    subject: Mapped[str] = mapped_column(String(255))
    provider: Mapped[str] = mapped_column(String(40))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), unique=True)
    created_at: Mapped[datetime]
    last_sign_in_at: Mapped[datetime | None] = mapped_column(nullable=True)
    approved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    approved_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    __table_args__ = (UniqueConstraint("issuer", "subject", name="uq_sso_identities_issuer_subject"),)


class SsoRequest(Base):
    """A sign-in sent to a provider: the SHA-256 of its state, its nonce and PKCE verifier; used once."""

    __tablename__ = "sso_requests"
    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    nonce: Mapped[str] = mapped_column(String(100))
    code_verifier: Mapped[str] = mapped_column(String(128))
    next_path: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class SsoSession(Base):
    """A session opened through a provider: its ID token, the hint single sign-out sends back."""

    __tablename__ = "sso_sessions"
    session_id: Mapped[int] = mapped_column(ForeignKey("account_sessions.id", ondelete="CASCADE"),
                                            primary_key=True)
    provider: Mapped[str] = mapped_column(String(40))
    id_token: Mapped[str] = mapped_column(Text)

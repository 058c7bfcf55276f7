"""SQLAlchemy tables for multi-factor sign-in: a person's TOTP secret and their hashed recovery codes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base


class MfaFactor(Base):
    """A person's authenticator (RFC 6238 TOTP): usable once confirmed with a first code."""

    __tablename__ = "mfa_factors"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
    confirmed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # The last 30-second step a code was accepted for: the same code is never accepted twice.
    last_step: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), default=0)


class MfaRecoveryCode(Base):
    """One single-use recovery code, kept only as its SHA-256."""

    __tablename__ = "mfa_recovery_codes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    used_at: Mapped[datetime | None] = mapped_column(nullable=True)


class MfaRememberedDevice(Base):
    """A browser that may skip the security code until ``expires_at``: only the SHA-256 of its cookie is kept."""

    __tablename__ = "mfa_remembered_devices"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    description: Mapped[str] = mapped_column(String(120))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime]
    expires_at: Mapped[datetime]

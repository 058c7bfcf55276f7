"""Tables for sign-in: server-side sessions and sign-in attempts (for throttling), on the shared Base."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base


class AccountSession(Base):
    """A signed-in browser. Only a hash of the cookie's token is stored, so a database leak signs nobody in."""

    __tablename__ = "account_sessions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (Index("ix_account_sessions_user", "user_id", "revoked_at"),)


class SignInAttempt(Base):
    """One sign-in attempt, kept to slow guessing per user name, per address and per device (ASVS 5.0 6.3.1).

    ``device`` names the browser's trusted-device cookie when it carried a valid one for this user name
    (engine/people/throttle.py); ``lifted_at`` is set when an administrator lifted the wait it caused.
    """

    __tablename__ = "sign_in_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    address: Mapped[str] = mapped_column(String(64), default="")
    at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(default=False)
    device: Mapped[str] = mapped_column(String(32), default="", server_default="")
    lifted_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (Index("ix_sign_in_attempts_user", "username", "at"),
                      Index("ix_sign_in_attempts_address", "address", "at"))

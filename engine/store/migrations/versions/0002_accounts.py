"""accounts: server-side sessions and sign-in attempts

Revision ID: 0002_accounts
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_accounts"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "account_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_account_sessions_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_account_sessions_token_hash")),
    )
    op.create_index("ix_account_sessions_user", "account_sessions", ["user_id", "revoked_at"])
    op.create_table(
        "sign_in_attempts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=80), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("succeeded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_attempts")),
    )
    op.create_index("ix_sign_in_attempts_user", "sign_in_attempts", ["username", "at"])
    op.create_index("ix_sign_in_attempts_address", "sign_in_attempts", ["address", "at"])


def downgrade() -> None:
    op.drop_index("ix_sign_in_attempts_address", table_name="sign_in_attempts")
    op.drop_index("ix_sign_in_attempts_user", table_name="sign_in_attempts")
    op.drop_table("sign_in_attempts")
    op.drop_index("ix_account_sessions_user", table_name="account_sessions")
    op.drop_table("account_sessions")

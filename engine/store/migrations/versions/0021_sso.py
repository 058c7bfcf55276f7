"""single sign-on: identities at providers, sign-in requests (state, nonce, PKCE), SSO sessions

Revision ID: 0021_sso
Revises: 0020_golive
"""

import sqlalchemy as sa
from alembic import op

revision = "0021_sso"
down_revision = "0020_golive"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sso_identities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(300), nullable=False),
        sa.Column("subject", sa.String(255), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_sign_in_at", UTC, nullable=True),
        sa.Column("approved_at", UTC, nullable=True),
        sa.Column("approved_by", sa.String(80), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sso_identities_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sso_identities")),
        sa.UniqueConstraint("issuer", "subject", name="uq_sso_identities_issuer_subject"),
        sa.UniqueConstraint("user_id", name=op.f("uq_sso_identities_user_id")),
    )
    op.create_table(
        "sso_requests",
        sa.Column("state_hash", sa.String(64), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("nonce", sa.String(100), nullable=False),
        sa.Column("code_verifier", sa.String(128), nullable=False),
        sa.Column("next_path", sa.String(500), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("state_hash", name=op.f("pk_sso_requests")),
    )
    op.create_table(
        "sso_sessions",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(40), nullable=False),
        sa.Column("id_token", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["session_id"], ["account_sessions.id"],
                                name=op.f("fk_sso_sessions_session_id_account_sessions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_sso_sessions")),
    )


def downgrade() -> None:
    op.drop_table("sso_sessions")
    op.drop_table("sso_requests")
    op.drop_table("sso_identities")

"""remembered devices for two-step verification: a browser that may skip the security code for a while

Revision ID: 0022_mfa
Revises: 0021_sso
"""

import sqlalchemy as sa
from alembic import op

revision = "0022_mfa"
down_revision = "0021_sso"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "mfa_remembered_devices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("description", sa.String(120), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("last_used_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mfa_remembered_devices_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_remembered_devices")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_mfa_remembered_devices_token_hash")),
    )
    op.create_index(op.f("ix_mfa_remembered_devices_user_id"), "mfa_remembered_devices", ["user_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_mfa_remembered_devices_user_id"), table_name="mfa_remembered_devices")
    op.drop_table("mfa_remembered_devices")

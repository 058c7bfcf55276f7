"""subject access: the bundles the route prepares and sends; clock extensions

Revision ID: 0023_sar
Revises: 0022_mfa
"""

import sqlalchemy as sa
from alembic import op

revision = "0023_sar"
down_revision = "0022_mfa"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subject_access_bundles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(40), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("withheld", sa.JSON(), nullable=False),
        sa.Column("redacted_by", sa.String(80), nullable=False),
        sa.Column("approved_by", sa.String(80), nullable=False),
        sa.Column("prepared_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("sent_how", sa.String(40), nullable=True),
        sa.Column("sent_by", sa.String(80), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_access_bundles")),
    )
    op.create_index("ix_subject_access_bundles_case", "subject_access_bundles", ["case_ref"])
    op.create_index("ix_subject_access_bundles_instance", "subject_access_bundles", ["instance_id"], unique=True)
    op.add_column("clocks", sa.Column("extended_months", sa.Integer(), nullable=False, server_default="0"))
    op.add_column("clocks", sa.Column("extension_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("clocks", "extension_reason")
    op.drop_column("clocks", "extended_months")
    op.drop_index("ix_subject_access_bundles_instance", table_name="subject_access_bundles")
    op.drop_index("ix_subject_access_bundles_case", table_name="subject_access_bundles")
    op.drop_table("subject_access_bundles")

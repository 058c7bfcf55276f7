"""daily casework, continued: a record of each merge of two cases opened for one child or context by mistake

Revision ID: 0019_casework_more
Revises: 0012_alerts
"""

import sqlalchemy as sa
from alembic import op

revision = "0019_casework_more"
down_revision = "0012_alerts"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_merges",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kept_case_id", sa.Integer(), nullable=False),
        sa.Column("merged_case_id", sa.Integer(), nullable=False),
        sa.Column("merged_at", UTC, nullable=False),
        sa.Column("merged_by", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("agreed", sa.JSON(), nullable=False),
        sa.Column("moved", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["kept_case_id"], ["cases.id"], name=op.f("fk_case_merges_kept_case_id_cases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["merged_case_id"], ["cases.id"], name=op.f("fk_case_merges_merged_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_merges")),
        sa.UniqueConstraint("merged_case_id", name="uq_case_merges_merged_case_id"),
    )
    op.create_index("ix_case_merges_kept", "case_merges", ["kept_case_id"])


def downgrade() -> None:
    op.drop_index("ix_case_merges_kept", table_name="case_merges")
    op.drop_table("case_merges")

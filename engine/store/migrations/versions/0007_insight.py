"""insight: daily and monthly pre-aggregated measures, refresh progress and indexes for where cases wait

Revision ID: 0007_insight
Revises: 0003_cases
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_insight"
down_revision = "0003_cases"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "insight_daily",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("measure", sa.String(40), nullable=False),
        sa.Column("area", sa.String(20), nullable=False),
        sa.Column("grain", sa.String(1), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(120), nullable=False),
        sa.Column("detail", sa.String(200), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("n_yes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_daily")),
        sa.UniqueConstraint("measure", "area", "grain", "day", "version_id", "label", "detail", "days",
                            name="uq_insight_daily_key"),
    )
    op.create_index("ix_insight_daily_read", "insight_daily",
                    ["measure", "area", "grain", "day", "version_id", "label", "detail", "days", "n", "n_yes"])
    op.create_table(
        "insight_progress",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("audit_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("cancelled_until", UTC, nullable=True),
        sa.Column("refreshed_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insight_progress")),
    )
    # Where cases wait: open work items per element (covering, so counting reads only the index), and
    # the items of one element; cancelled plan actions by when they closed.
    op.create_index("ix_work_items_status_element", "work_items", ["status", "element_id", "instance_id", "due_at"])
    op.create_index("ix_work_items_status_completed", "work_items", ["status", "completed_at"])


def downgrade() -> None:
    op.drop_index("ix_work_items_status_completed", table_name="work_items")
    op.drop_index("ix_work_items_status_element", table_name="work_items")
    op.drop_table("insight_progress")
    op.drop_index("ix_insight_daily_read", table_name="insight_daily")
    op.drop_table("insight_daily")

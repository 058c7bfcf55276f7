"""clocks, clock events, notifications and work-item reminders

Revision ID: 0004_clocks
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_clocks"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "clocks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_ref", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("timescale", sa.String(length=80), nullable=False),
        sa.Column("anchor_event", sa.String(length=80), nullable=False),
        sa.Column("anchor_at", UTC, nullable=False),
        sa.Column("limit_amount", sa.Integer(), nullable=False),
        sa.Column("limit_unit", sa.String(length=20), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("paused_at", UTC, nullable=True),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column("paused_days", sa.Integer(), nullable=False),
        sa.Column("total_paused_seconds", sa.Integer(), nullable=False),
        sa.Column("breached_at", UTC, nullable=True),
        sa.Column("exceed_reason", sa.Text(), nullable=True),
        sa.Column("exceed_reason_by", sa.String(length=80), nullable=True),
        sa.Column("exceed_reason_at", UTC, nullable=True),
        sa.Column("owner_user", sa.String(length=80), nullable=True),
        sa.Column("owner_group", sa.String(length=80), nullable=True),
        sa.Column("started_by", sa.String(length=80), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("stopped_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clocks")),
    )
    op.create_index("ix_clocks_status_due", "clocks", ["status", "due_at"])
    op.create_index("ix_clocks_case", "clocks", ["case_ref", "name"])
    op.create_table(
        "clock_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("clock_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("actor", sa.String(length=80), nullable=False),
        sa.Column("action", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("due_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["clock_id"], ["clocks.id"], name=op.f("fk_clock_events_clock_id_clocks"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clock_events")),
    )
    op.create_index("ix_clock_events_clock", "clock_events", ["clock_id", "id"])
    op.create_table(
        "notifications",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(length=80), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("subject_type", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column("case_ref", sa.String(length=40), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("read_at", UTC, nullable=True),
        sa.Column("email_status", sa.String(length=20), nullable=False),
        sa.Column("emailed_at", UTC, nullable=True),
        sa.Column("dedupe_key", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notifications")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_notifications_dedupe_key")),
    )
    op.create_index("ix_notifications_recipient", "notifications", ["recipient", "read_at", "id"])
    op.create_index("ix_notifications_email", "notifications", ["email_status", "id"])
    op.create_table(
        "work_item_reminders",
        sa.Column("work_item_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("next_at", UTC, nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["work_item_id"], ["work_items.id"],
                                name=op.f("fk_work_item_reminders_work_item_id_work_items"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("work_item_id", name=op.f("pk_work_item_reminders")),
    )
    op.create_index("ix_work_item_reminders_next", "work_item_reminders", ["stage", "next_at"])


def downgrade() -> None:
    op.drop_table("work_item_reminders")
    op.drop_table("notifications")
    op.drop_table("clock_events")
    op.drop_table("clocks")

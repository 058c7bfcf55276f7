"""alerts, the e-mail outbox, services of groups, acknowledgements, and context safety plan actions

Revision ID: 0012_alerts
Revises: 0013_casework
"""

import sqlalchemy as sa
from alembic import op

revision = "0012_alerts"
down_revision = "0013_casework"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    _alerts_and_outbox()
    _plans()
    with op.batch_alter_table("groups") as batch:
        batch.add_column(sa.Column("service", sa.String(80), nullable=False, server_default=""))
    with op.batch_alter_table("notifications") as batch:
        batch.add_column(sa.Column("alert_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("acknowledged_at", UTC, nullable=True))
    # E-mail that notifications were still waiting to send moves to the outbox, so none is lost.
    op.execute("""
        INSERT INTO mail_outbox (recipient, to_address, subject, body, notification_id, status, attempts,
                                 next_attempt_at, last_error, created_at, dedupe_key)
        SELECT n.recipient, u.email, 'frontdoor: ' || n.kind, n.text, n.id, 'pending', 0, n.created_at, '',
               n.created_at, 'notification:' || n.id
        FROM notifications n JOIN users u ON u.username = n.recipient
        WHERE n.email_status = 'pending' AND u.email <> '' AND u.active
    """)
    op.execute("UPDATE notifications SET email_status = 'queued' WHERE email_status = 'pending'")
    _release_stranded_items()


def _release_stranded_items() -> None:
    """Items held by a disabled or unknown account (a reassignment typo used to allow one) go back to their
    groups, each with an audit row, so a manager can see and move them."""
    held_by_nobody = ("status = 'open' AND assignee IS NOT NULL AND assignee NOT IN "
                      "(SELECT username FROM users WHERE active)")
    op.execute(f"""
        INSERT INTO audit_events (at, actor, action, subject_type, subject_id, details)
        SELECT CURRENT_TIMESTAMP, 'system', 'task_handed_back', 'work_item', CAST(id AS VARCHAR(80)),
               '{{"reason": "its holder could not act on it (unknown or disabled account)"}}'
        FROM work_items WHERE {held_by_nobody}
    """)
    op.execute(f"UPDATE work_items SET assignee = NULL WHERE {held_by_nobody}")


def _alerts_and_outbox() -> None:
    op.create_table(
        "alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("case_ref", sa.String(40), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("todo", sa.Text(), nullable=False),
        sa.Column("raised_by", sa.String(80), nullable=False),
        sa.Column("raised_at", UTC, nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("element_id", sa.String(120), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("escalate_at", UTC, nullable=True),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("acknowledged_by", sa.String(80), nullable=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_alerts_dedupe_key")),
    )
    op.create_index("ix_alerts_escalate", "alerts", ["escalate_at"])
    op.create_index("ix_alerts_case", "alerts", ["case_ref"])
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipient", sa.String(80), nullable=True),
        sa.Column("to_address", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("notification_id", sa.Integer(), nullable=True),
        sa.Column("alert_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UTC, nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("sent_at", UTC, nullable=True),
        sa.Column("dedupe_key", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("dedupe_key", name=op.f("uq_mail_outbox_dedupe_key")),
    )
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["status", "next_attempt_at", "id"])


def _plans() -> None:
    op.create_table(
        "plan_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("cycle", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("owner_group", sa.String(80), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_plan_actions_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_actions")),
    )
    op.create_index("ix_plan_actions_case", "plan_actions", ["case_id", "cycle", "number"])
    op.create_table(
        "plan_action_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("actor", sa.String(80), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["plan_actions.id"],
                                name=op.f("fk_plan_action_updates_action_id_plan_actions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_action_updates")),
    )
    op.create_index("ix_plan_action_updates_action", "plan_action_updates", ["action_id", "id"])


def downgrade() -> None:
    with op.batch_alter_table("notifications") as batch:
        batch.drop_column("acknowledged_at")
        batch.drop_column("alert_id")
    with op.batch_alter_table("groups") as batch:
        batch.drop_column("service")
    for index, table in (("ix_plan_action_updates_action", "plan_action_updates"),
                         ("ix_plan_actions_case", "plan_actions"), ("ix_mail_outbox_due", "mail_outbox"),
                         ("ix_alerts_case", "alerts"), ("ix_alerts_escalate", "alerts")):
        op.drop_index(index, table_name=table)
    for table in ("plan_action_updates", "plan_actions", "mail_outbox", "alerts"):
        op.drop_table(table)

"""work_items: the list's indexes, so a page costs what it returns

``ix_work_items_status_due_id`` (status, due_at, id) replaces (status, due_at): the API's list walks open
items in due order and, among items due at the same time or with no due date, by id; with id in the index
PostgreSQL reads them in that order instead of sorting every undated open item (SQLite's indexes end in the
row id already). ``ix_work_items_case`` (case_ref, status) lets a one-case lookup read that case's items
only, on both databases.

Revision ID: 0016_speed
Revises: 0018_programme
"""

from alembic import op

revision = "0016_speed"
down_revision = "0018_programme"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("work_items") as batch_op:
        batch_op.drop_index("ix_work_items_status_due")
        batch_op.create_index("ix_work_items_status_due_id", ["status", "due_at", "id"], unique=False)
        batch_op.create_index("ix_work_items_case", ["case_ref", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("work_items") as batch_op:
        batch_op.drop_index("ix_work_items_case")
        batch_op.drop_index("ix_work_items_status_due_id")
        batch_op.create_index("ix_work_items_status_due", ["status", "due_at"], unique=False)

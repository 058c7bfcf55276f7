"""form library: forms made in the form editor, versioned, before (or after) any process uses them

Revision ID: 0008_form_library
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_form_library"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "library_forms",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("form_id", sa.String(length=120), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("saved_by", sa.String(length=80), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_by", sa.String(length=80), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_library_forms")),
        sa.UniqueConstraint("form_id", "number", name="uq_library_forms_number"),
    )


def downgrade() -> None:
    op.drop_table("library_forms")

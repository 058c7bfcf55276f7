"""break-glass grants: time-limited access to one case with a reason

Revision ID: 0005_break_glass
Revises: 0003_cases
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_break_glass"
down_revision = "0003_cases"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "break_glass_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("granted_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_break_glass_grants_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_break_glass_grants")),
    )
    op.create_index("ix_break_glass_user_case", "break_glass_grants", ["username", "case_id", "expires_at"])


def downgrade() -> None:
    op.drop_index("ix_break_glass_user_case", table_name="break_glass_grants")
    op.drop_table("break_glass_grants")

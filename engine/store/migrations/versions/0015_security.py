"""security: sign-in attempts remember the trusted device they came from and when an administrator lifted them

Revision ID: 0015_security
Revises: 0019_casework_more
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_security"
down_revision = "0019_casework_more"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.add_column(sa.Column("device", sa.String(length=32), nullable=False, server_default=""))
        batch.add_column(sa.Column("lifted_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sign_in_attempts") as batch:
        batch.drop_column("lifted_at")
        batch.drop_column("device")

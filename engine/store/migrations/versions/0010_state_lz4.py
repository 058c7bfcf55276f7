"""instances.state: LZ4 compression on PostgreSQL (a no-op elsewhere, or where the server lacks LZ4)

The state JSON of an instance is a few kilobytes, so PostgreSQL compresses it on every save and
decompresses it on every load. LZ4 does both several times faster than the default pglz: the scheduler's
bench measured ~60 us less server CPU a fired timer (0.53 -> 0.47 ms). Rows keep the method they were
written with until their next save.

Revision ID: 0010_state_lz4
Revises: 0009_timer_lease_order
"""

from alembic import op

revision = "0010_state_lz4"
down_revision = "0009_timer_lease_order"
branch_labels = None
depends_on = None

_SET = """
DO $$
BEGIN
    ALTER TABLE instances ALTER COLUMN state SET COMPRESSION {method};
EXCEPTION WHEN feature_not_supported THEN
    RAISE NOTICE 'this PostgreSQL has no LZ4: instances.state keeps pglz';
END $$
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET.format(method="lz4"))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_SET.format(method="pglz"))

"""versions: which version is current, what each was built from, and how a pilot ended

Before this revision a pilot stopped taking cases, silently, as soon as any newer ordinary version was
deployed, and the current version was simply the newest ordinary one. From here a version's
``current_order`` says which is current and a pilot stays active until it is promoted, withdrawn or
replaced (docs/decisions.md, D55). Existing rows keep their meaning: ordinary versions become current
in number order, and a pilot an ordinary version already superseded is recorded as ended by it.

Revision ID: 0014_versions
Revises: 0015_security
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0014_versions"
down_revision = "0015_security"
branch_labels = None
depends_on = None

COLUMNS = ("current_order", "base_number", "pilot_ended_at", "pilot_ended_by", "pilot_outcome", "pilot_successor")


def upgrade() -> None:
    with op.batch_alter_table("process_versions") as batch:
        batch.add_column(sa.Column("current_order", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("base_number", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("pilot_ended_at", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("pilot_ended_by", sa.String(length=80), nullable=True))
        batch.add_column(sa.Column("pilot_outcome", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("pilot_successor", sa.Integer(), nullable=True))
    _carry_over(op.get_bind())


def _carry_over(conn) -> None:
    """Ordinary versions become current in number order; superseded pilots are marked ended."""
    rows = conn.execute(sa.text("SELECT id, process_id, number, pilot_rule, deployed_at, deployed_by "
                                "FROM process_versions ORDER BY process_id, number")).all()
    by_process: dict[str, list] = {}
    for row in rows:
        by_process.setdefault(row.process_id, []).append(row)
    for versions in by_process.values():
        ordinary = [v for v in versions if not _rule(v.pilot_rule)]
        for v in ordinary:
            conn.execute(sa.text("UPDATE process_versions SET current_order = :n WHERE id = :id"),
                         {"n": v.number, "id": v.id})
        for pilot in (v for v in versions if _rule(v.pilot_rule)):
            later = next((v for v in ordinary if v.number > pilot.number), None)
            if later is not None:
                conn.execute(sa.text("UPDATE process_versions SET pilot_outcome = 'superseded', pilot_ended_at = :at, "
                                     "pilot_ended_by = :by, pilot_successor = :n WHERE id = :id"),
                             {"at": later.deployed_at, "by": later.deployed_by, "n": later.number, "id": pilot.id})


def _rule(raw) -> bool:
    value = json.loads(raw) if isinstance(raw, (str, bytes)) else raw
    return bool(value)


def downgrade() -> None:
    with op.batch_alter_table("process_versions") as batch:
        for column in reversed(COLUMNS):
            batch.drop_column(column)

"""go-live governance: the audit hash chain, legal holds, disposal runs and disposed cases; TOTP factors
and recovery codes

Revision ID: 0020_golive
Revises: 0016_speed
"""

import sqlalchemy as sa
from alembic import op

revision = "0020_golive"
down_revision = "0016_speed"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)
BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
GENESIS = "0" * 64


def upgrade() -> None:
    op.add_column("audit_events", sa.Column("seq", BIG, nullable=True))
    op.add_column("audit_events", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_events", sa.Column("row_hash", sa.String(64), nullable=True))
    op.create_index("ix_audit_events_seq", "audit_events", ["seq"], unique=True)
    chain = op.create_table(
        "audit_chain",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("head_seq", BIG, nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("base_seq", BIG, nullable=False),
        sa.Column("base_hash", sa.String(64), nullable=False),
        sa.Column("sealed_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain")),
    )
    op.bulk_insert(chain, [{"id": 1, "head_seq": 0, "head_hash": GENESIS, "base_seq": 0, "base_hash": GENESIS}])
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("placed_by", sa.String(80), nullable=False),
        sa.Column("placed_at", UTC, nullable=False),
        sa.Column("until", UTC, nullable=True),
        sa.Column("released_at", UTC, nullable=True),
        sa.Column("released_by", sa.String(80), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_legal_holds_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_legal_holds")),
    )
    op.create_index("ix_legal_holds_case", "legal_holds", ["case_id", "released_at"])
    op.create_table(
        "disposal_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("proposed_by", sa.String(80), nullable=False),
        sa.Column("proposed_at", UTC, nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("approved_by", sa.String(80), nullable=True),
        sa.Column("approved_at", UTC, nullable=True),
        sa.Column("certificate", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_disposal_runs")),
    )
    op.create_table(
        "disposed_cases",
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("schedule", sa.String(40), nullable=False),
        sa.Column("disposed_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_disposed_cases_case_id_cases"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["run_id"], ["disposal_runs.id"], name=op.f("fk_disposed_cases_run_id_disposal_runs")),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_disposed_cases")),
    )

    op.create_table(
        "mfa_factors",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("secret", sa.String(64), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("confirmed_at", UTC, nullable=True),
        sa.Column("last_step", BIG, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mfa_factors_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_mfa_factors")),
    )
    op.create_table(
        "mfa_recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("used_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_mfa_recovery_codes_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mfa_recovery_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_mfa_recovery_codes_code_hash")),
    )


def downgrade() -> None:
    op.drop_table("mfa_recovery_codes")
    op.drop_table("mfa_factors")
    op.drop_table("disposed_cases")
    op.drop_table("disposal_runs")
    op.drop_index("ix_legal_holds_case", table_name="legal_holds")
    op.drop_table("legal_holds")
    op.drop_table("audit_chain")
    op.drop_index("ix_audit_events_seq", table_name="audit_events")
    for column in ("row_hash", "prev_hash", "seq"):
        op.drop_column("audit_events", column)

"""daily casework: notes in versions, documents, search keys, kept answers; link reasons, case stage and
merges, the instance that started a clock

Revision ID: 0013_casework
Revises: 0010_one_head
"""

import sqlalchemy as sa
from alembic import op

from engine.cases.fuzzy import name_keys

revision = "0013_casework"
down_revision = "0010_one_head"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def _case_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f(f"fk_{table}_case_id_cases"),
                                   ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "case_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("note_key", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("with_whom", sa.String(200), nullable=False),
        sa.Column("occurred_at", UTC, nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("correction_reason", sa.Text(), nullable=True),
        sa.Column("superseded_at", UTC, nullable=True),
        _case_fk("case_notes"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notes")),
    )
    op.create_index("ix_case_notes_case", "case_notes", ["case_id", "superseded_at"])
    op.create_index("ix_case_notes_key", "case_notes", ["note_key", "version"])
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("note_key", sa.Integer(), nullable=True),
        sa.Column("work_item_id", sa.Integer(), nullable=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(120), nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("description", sa.String(500), nullable=False),
        sa.Column("store", sa.String(10), nullable=False),
        sa.Column("scan_status", sa.String(20), nullable=False),
        sa.Column("uploaded_at", UTC, nullable=False),
        sa.Column("uploaded_by", sa.String(80), nullable=False),
        sa.Column("deleted_at", UTC, nullable=True),
        sa.Column("deleted_by", sa.String(80), nullable=True),
        sa.Column("delete_reason", sa.Text(), nullable=True),
        _case_fk("documents"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_documents")),
    )
    op.create_index("ix_documents_case", "documents", ["case_id", "deleted_at"])
    op.create_index("ix_documents_sha256", "documents", ["sha256"])
    op.create_table(
        "search_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(40), nullable=False),
        _case_fk("search_keys"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_keys")),
    )
    op.create_index("ix_search_keys_key", "search_keys", ["key", "case_id"])
    op.create_index("ix_search_keys_case", "search_keys", ["case_id"])
    op.create_table(
        "kept_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("path", sa.String(200), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("saved_at", UTC, nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_answers")),
        sa.UniqueConstraint("username", "kind", "path", name="uq_kept_answers_user_kind_path"),
    )
    op.create_index("ix_kept_answers_expires", "kept_answers", ["expires_at"])
    op.add_column("cases", sa.Column("stage", sa.String(40), nullable=True))
    op.add_column("cases", sa.Column("stage_at", UTC, nullable=True))
    op.add_column("cases", sa.Column("merged_into", sa.String(40), nullable=True))
    op.add_column("child_context_links", sa.Column("reason", sa.Text(), nullable=False, server_default=""))
    op.add_column("child_context_links", sa.Column("ended_reason", sa.Text(), nullable=True))
    op.add_column("child_context_links", sa.Column("ended_by", sa.String(80), nullable=True))
    op.add_column("clocks", sa.Column("instance_id", sa.Integer(), nullable=True))
    op.create_index("ix_clocks_instance", "clocks", ["instance_id"])
    _backfill_search_keys()


def _backfill_search_keys() -> None:
    """Phonetic keys for the names already recorded (later cases get theirs when opened)."""
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT case_id, first_name || ' ' || last_name FROM children "
                                "UNION ALL SELECT case_id, name FROM contexts")).all()
    keys = [{"case_id": case_id, "key": k} for case_id, name in rows for k in sorted(name_keys(name))]
    if keys:
        conn.execute(sa.text("INSERT INTO search_keys (case_id, key) VALUES (:case_id, :key)"), keys)


def downgrade() -> None:
    op.drop_index("ix_clocks_instance", table_name="clocks")
    op.drop_column("clocks", "instance_id")
    for column in ("ended_by", "ended_reason", "reason"):
        op.drop_column("child_context_links", column)
    for column in ("merged_into", "stage_at", "stage"):
        op.drop_column("cases", column)
    op.drop_table("kept_answers")
    op.drop_table("search_keys")
    op.drop_table("documents")
    op.drop_table("case_notes")

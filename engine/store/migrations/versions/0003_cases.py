"""cases: children and contexts, their links, referrals, involvement, notices and the start outbox

Revision ID: 0003_cases
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_cases"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def _case_fk(column: str, table: str, nullable: bool = False) -> list:
    return [sa.Column(column, sa.Integer(), nullable=nullable),
            sa.ForeignKeyConstraint([column], ["cases.id"], name=op.f(f"fk_{table}_{column}_cases"),
                                    ondelete="CASCADE")]


def upgrade() -> None:
    op.create_table(
        "cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(40), nullable=False),
        sa.Column("subject_type", sa.String(10), nullable=False),
        sa.Column("status", sa.String(10), nullable=False),
        sa.Column("opened_at", UTC, nullable=False),
        sa.Column("closed_at", UTC, nullable=True),
        sa.Column("manager", sa.String(80), nullable=True),
        sa.Column("allocated_worker", sa.String(80), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cases")),
        sa.UniqueConstraint("ref", name=op.f("uq_cases_ref")),
    )
    op.create_index("ix_cases_subject_status", "cases", ["subject_type", "status"])
    op.create_table(
        "children",
        *_case_fk("case_id", "children"),
        sa.Column("first_name", sa.String(100), nullable=False),
        sa.Column("last_name", sa.String(100), nullable=False),
        sa.Column("dob", sa.Date(), nullable=True),
        sa.Column("nhs_number", sa.String(20), nullable=True),
        sa.Column("upn", sa.String(20), nullable=True),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(10), nullable=True),
        sa.Column("school", sa.String(200), nullable=False),
        sa.Column("protected_address", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_children")),
    )
    op.create_index("ix_children_nhs_number", "children", ["nhs_number"])
    op.create_index("ix_children_upn", "children", ["upn"])
    op.create_index("ix_children_name_dob", "children",
                    [sa.text("lower(last_name)"), sa.text("lower(first_name)"), "dob"])
    op.create_table(
        "contexts",
        *_case_fk("case_id", "contexts"),
        sa.Column("type", sa.String(20), nullable=False),
        sa.Column("public_space_type", sa.String(20), nullable=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("address", sa.Text(), nullable=False),
        sa.Column("postcode", sa.String(10), nullable=True),
        sa.Column("uprn", sa.String(12), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("school_urn", sa.String(10), nullable=True),
        sa.Column("online_platform", sa.String(200), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("watch_until", UTC, nullable=True),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_contexts")),
    )
    op.create_index("ix_contexts_school_urn", "contexts", ["school_urn"])
    op.create_index("ix_contexts_uprn", "contexts", ["uprn"])
    op.create_index("ix_contexts_postcode", "contexts", ["postcode"])
    op.create_index("ix_contexts_lower_name", "contexts", [sa.text("lower(name)")])
    op.create_index("ix_contexts_lat_lon", "contexts", ["latitude", "longitude"])
    _create_links_and_referrals()
    _create_involvement_notices_outbox()


def _create_links_and_referrals() -> None:
    op.create_table(
        "child_context_links",
        sa.Column("id", sa.Integer(), nullable=False),
        *_case_fk("child_case_id", "child_context_links"),
        *_case_fk("context_case_id", "child_context_links"),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("source", sa.String(120), nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_child_context_links")),
    )
    op.create_index("ix_links_context", "child_context_links", ["context_case_id", "role"])
    op.create_index("ix_links_child", "child_context_links", ["child_case_id"])
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        *_case_fk("case_id", "referrals"),
        sa.Column("received_at", UTC, nullable=False),
        sa.Column("referrer_name", sa.String(200), nullable=False),
        sa.Column("referrer_role", sa.String(200), nullable=False),
        sa.Column("referrer_agency", sa.String(200), nullable=False),
        sa.Column("referrer_contact", sa.String(400), nullable=False),
        sa.Column("harm_types", sa.JSON(), nullable=False),
        sa.Column("consent", sa.String(20), nullable=False),
        sa.Column("lawful_basis", sa.String(80), nullable=False),
        sa.Column("is_repeat", sa.Boolean(), nullable=False),
        sa.Column("source", sa.String(40), nullable=False),
        sa.Column("process_instance_id", sa.Integer(), nullable=True),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index("ix_referrals_case", "referrals", ["case_id", "received_at"])
    op.create_index("ix_referrals_instance", "referrals", ["process_instance_id"])


def _create_involvement_notices_outbox() -> None:
    op.create_table(
        "case_involvements",
        sa.Column("id", sa.Integer(), nullable=False),
        *_case_fk("case_id", "case_involvements"),
        sa.Column("username", sa.String(80), nullable=False),
        sa.Column("reason", sa.String(20), nullable=False),
        sa.Column("since", UTC, nullable=False),
        sa.Column("until", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_involvements")),
    )
    op.create_index("ix_involvements_user_case", "case_involvements", ["username", "case_id"])
    op.create_table(
        "case_notices",
        sa.Column("id", sa.Integer(), nullable=False),
        *_case_fk("case_id", "case_notices", nullable=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("recipient", sa.String(400), nullable=False),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(80), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_notices")),
    )
    op.create_index("ix_case_notices_case", "case_notices", ["case_id", "kind"])
    op.create_table(
        "pending_starts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("process_id", sa.String(120), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("case_ref", sa.String(40), nullable=True),
        sa.Column("requested_by", sa.String(80), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("source_instance_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("started_instance_id", sa.Integer(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pending_starts")),
    )
    op.create_index("ix_pending_starts_status", "pending_starts", ["status", "id"])


def downgrade() -> None:
    for table in ("pending_starts", "case_notices", "case_involvements", "referrals", "child_context_links",
                  "contexts", "children", "cases"):
        op.drop_table(table)

"""patterns across referrals: the feature index, patterns, their members and the checks the scheduler sweeps

Revision ID: 0017_patterns
Revises: 0014_versions
"""

import sqlalchemy as sa
from alembic import op

UTCDateTime = lambda: sa.DateTime(timezone=True)  # noqa: E731 - as the models store times

revision = "0017_patterns"
down_revision = "0014_versions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pattern_features",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("subject_type", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("key", sa.String(length=120), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=10), nullable=True),
        sa.Column("uprn", sa.String(length=12), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("age", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("efh", sa.Boolean(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_pattern_features_referral_id_referrals"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], name=op.f("fk_pattern_features_case_id_cases"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pattern_features")),
    )
    op.create_index("ix_pattern_features_key", "pattern_features", ["kind", "key", "at"])
    op.create_index("ix_pattern_features_postcode", "pattern_features", ["postcode", "at"])
    op.create_index("ix_pattern_features_uprn", "pattern_features", ["uprn", "at"])
    op.create_index("ix_pattern_features_point", "pattern_features", ["latitude", "longitude"])
    op.create_index("ix_pattern_features_referral", "pattern_features", ["referral_id"])
    op.create_index("ix_pattern_features_at", "pattern_features", ["at"])
    op.create_table(
        "patterns",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("first_at", UTCDateTime(), nullable=False),
        sa.Column("last_at", UTCDateTime(), nullable=False),
        sa.Column("found_at", UTCDateTime(), nullable=False),
        sa.Column("changed_at", UTCDateTime(), nullable=False),
        sa.Column("children", sa.Integer(), nullable=False),
        sa.Column("context_case_id", sa.Integer(), nullable=True),
        sa.Column("closed_by", sa.String(length=80), nullable=True),
        sa.Column("closed_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["context_case_id"], ["cases.id"], name=op.f("fk_patterns_context_case_id_cases"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patterns")),
    )
    op.create_index("ix_patterns_status", "patterns", ["status", "last_at"])
    op.create_table(
        "pattern_members",
        sa.Column("pattern_id", sa.Integer(), nullable=False),
        sa.Column("feature_id", sa.Integer(), nullable=False),
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("joined_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["pattern_id"], ["patterns.id"], name=op.f("fk_pattern_members_pattern_id_patterns"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["feature_id"], ["pattern_features.id"],
                                name=op.f("fk_pattern_members_feature_id_pattern_features"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_pattern_members_referral_id_referrals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("pattern_id", "feature_id", name=op.f("pk_pattern_members")),
    )
    op.create_index("ix_pattern_members_feature", "pattern_members", ["feature_id"])
    op.create_index("ix_pattern_members_referral", "pattern_members", ["referral_id"])
    op.create_table(
        "pattern_checks",
        sa.Column("referral_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("claimed_by", sa.String(length=80), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("checked_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["referral_id"], ["referrals.id"], name=op.f("fk_pattern_checks_referral_id_referrals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("referral_id", name=op.f("pk_pattern_checks")),
    )
    op.create_index("ix_pattern_checks_status", "pattern_checks", ["status", "referral_id"])


def downgrade() -> None:
    op.drop_table("pattern_checks")
    op.drop_table("pattern_members")
    op.drop_table("patterns")
    op.drop_table("pattern_features")

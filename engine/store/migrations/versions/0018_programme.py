"""the change programme: roadmap steps, governance group, champions and training, values agreement,
critical friends' questions, programme actions and pilot reflections

Revision ID: 0018_programme
Revises: 0017_patterns
"""

import sqlalchemy as sa
from alembic import op

revision = "0018_programme"
down_revision = "0017_patterns"
branch_labels = None
depends_on = None

UTC = sa.DateTime(timezone=True)


def _id() -> sa.Column:
    return sa.Column("id", sa.Integer(), nullable=False)


def upgrade() -> None:
    op.create_table(
        "programme_steps",
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("owner", sa.String(120), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(80), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("step", name=op.f("pk_programme_steps")),
    )
    op.create_table(
        "governance_members",
        _id(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("job_title", sa.String(120), nullable=False),
        sa.Column("is_chair", sa.Boolean(), nullable=False),
        sa.Column("username", sa.String(80), nullable=True),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("added_by", sa.String(80), nullable=False),
        sa.Column("added_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_members")),
    )
    op.create_table(
        "governance_terms",
        _id(),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("agreed_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_terms")),
    )
    op.create_table(
        "governance_meetings",
        _id(),
        sa.Column("instance_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=True),
        sa.Column("agenda", sa.Text(), nullable=False),
        sa.Column("agencies", sa.JSON(), nullable=False),
        sa.Column("decisions", sa.JSON(), nullable=False),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_governance_meetings")),
        sa.UniqueConstraint("instance_id", name=op.f("uq_governance_meetings_instance_id")),
    )
    op.create_table(
        "programme_actions",
        _id(),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("source_instance_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("owner_group", sa.String(80), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=True),
        sa.Column("pilot", sa.Boolean(), nullable=False),
        sa.Column("pending_start_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("closed_on", sa.Date(), nullable=True),
        sa.Column("closed_by", sa.String(80), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_actions")),
    )
    op.create_index("ix_programme_actions_source", "programme_actions", ["source", "source_instance_id"])
    op.create_index("ix_programme_actions_status", "programme_actions", ["status"])
    op.create_table(
        "champions",
        _id(),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("username", sa.String(80), nullable=True),
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("team", sa.String(120), nullable=False),
        sa.Column("supports", sa.Text(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("added_by", sa.String(80), nullable=False),
        sa.Column("added_at", UTC, nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_champions")),
    )
    op.create_table(
        "champion_trainings",
        _id(),
        sa.Column("champion_id", sa.Integer(), nullable=False),
        sa.Column("course", sa.String(200), nullable=False),
        sa.Column("completed_on", sa.Date(), nullable=False),
        sa.Column("renew_by", sa.Date(), nullable=False),
        sa.Column("reminded_at", UTC, nullable=True),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["champion_id"], ["champions.id"],
                                name=op.f("fk_champion_trainings_champion_id_champions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_champion_trainings")),
    )
    op.create_index("ix_champion_trainings_renewal", "champion_trainings", ["reminded_at", "renew_by"])
    op.create_index("ix_champion_trainings_champion", "champion_trainings", ["champion_id"])
    op.create_table(
        "values_agreements",
        _id(),
        sa.Column("statement", sa.Text(), nullable=False),
        sa.Column("agencies", sa.JSON(), nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("started_by", sa.String(80), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_values_agreements")),
    )
    op.create_table(
        "values_responses",
        _id(),
        sa.Column("agreement_id", sa.Integer(), nullable=False),
        sa.Column("agency", sa.String(40), nullable=False),
        sa.Column("response", sa.String(40), nullable=False),
        sa.Column("leader_name", sa.String(120), nullable=False),
        sa.Column("leader_role", sa.String(120), nullable=False),
        sa.Column("comments", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.String(80), nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["agreement_id"], ["values_agreements.id"],
                                name=op.f("fk_values_responses_agreement_id_values_agreements"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_values_responses")),
        sa.UniqueConstraint("agreement_id", "agency", name="uq_values_responses_agency"),
    )
    op.create_table(
        "critical_questions",
        _id(),
        sa.Column("topic", sa.String(40), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_by", sa.String(80), nullable=False),
        sa.Column("asked_at", UTC, nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("answered_by", sa.String(80), nullable=True),
        sa.Column("answered_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_critical_questions")),
    )
    op.create_table(
        "pilot_reflections",
        _id(),
        sa.Column("process_id", sa.String(120), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("pilot_rule", sa.JSON(), nullable=True),
        sa.Column("pilot_since", UTC, nullable=False),
        sa.Column("asked_at", UTC, nullable=False),
        sa.Column("instance_id", sa.Integer(), nullable=True),
        sa.Column("what_worked", sa.Text(), nullable=False),
        sa.Column("barriers", sa.Text(), nullable=False),
        sa.Column("resources_needed", sa.Text(), nullable=False),
        sa.Column("decision", sa.String(20), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=False),
        sa.Column("adaptation", sa.Text(), nullable=False),
        sa.Column("decided_by", sa.String(80), nullable=True),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("outcome_status", sa.String(20), nullable=False),
        sa.Column("outcome_note", sa.Text(), nullable=False),
        sa.Column("carried_out_at", UTC, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pilot_reflections")),
        sa.UniqueConstraint("process_id", "version", name="uq_pilot_reflections_version"),
    )
    op.create_index("ix_pilot_reflections_outcome", "pilot_reflections", ["outcome_status"])


def downgrade() -> None:
    op.drop_index("ix_pilot_reflections_outcome", table_name="pilot_reflections")
    op.drop_table("pilot_reflections")
    op.drop_table("critical_questions")
    op.drop_table("values_responses")
    op.drop_table("values_agreements")
    op.drop_index("ix_champion_trainings_champion", table_name="champion_trainings")
    op.drop_index("ix_champion_trainings_renewal", table_name="champion_trainings")
    op.drop_table("champion_trainings")
    op.drop_table("champions")
    op.drop_index("ix_programme_actions_status", table_name="programme_actions")
    op.drop_index("ix_programme_actions_source", table_name="programme_actions")
    op.drop_table("programme_actions")
    op.drop_table("governance_meetings")
    op.drop_table("governance_terms")
    op.drop_table("governance_members")
    op.drop_table("programme_steps")

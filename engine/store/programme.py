"""Tables of the partnership's change programme: roadmap steps, the governance group, champions and their
training, the values agreement, critical friends' questions, programme actions and pilot reflections.

None of these hold case data: they are about the system, not about children (docs/domain.md).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.models import Base


class ProgrammeStep(Base):
    """Who owns a step of the roadmap, by when, and its state when set by hand ('auto': from the records)."""

    __tablename__ = "programme_steps"
    step: Mapped[str] = mapped_column(String(40), primary_key=True)
    owner: Mapped[str] = mapped_column(String(120), default="")
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="auto")
    note: Mapped[str] = mapped_column(Text, default="")
    updated_by: Mapped[str] = mapped_column(String(80))
    updated_at: Mapped[datetime]


class GovernanceMember(Base):
    """A member of the multi-agency governance group; ``left_on`` set when they leave (history is kept)."""

    __tablename__ = "governance_members"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    agency: Mapped[str] = mapped_column(String(40))
    job_title: Mapped[str] = mapped_column(String(120), default="")
    is_chair: Mapped[bool] = mapped_column(Boolean, default=False)
    username: Mapped[str | None] = mapped_column(String(80), nullable=True)
    joined_on: Mapped[date] = mapped_column(Date)
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime]


class GovernanceTerms(Base):
    """One agreed version of the group's terms of reference (the newest is current; older ones are kept)."""

    __tablename__ = "governance_terms"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(Text)
    agreed_on: Mapped[date] = mapped_column(Date)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime]


class GovernanceMeeting(Base):
    """A meeting recorded by the ``governance_meeting`` route: date, agenda, who came and the decisions."""

    __tablename__ = "governance_meetings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, unique=True)
    held_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    agenda: Mapped[str] = mapped_column(Text, default="")
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    decisions: Mapped[list[str]] = mapped_column(JSON, default=list)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime]


class ProgrammeAction(Base):
    """An action owned by a group, from a meeting's troubleshooting log or a review's action plan, tracked
    to done by its own ``programme_action`` route."""

    __tablename__ = "programme_actions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(20))  # "meeting" or "review"
    source_instance_id: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    owner_group: Mapped[str] = mapped_column(String(80))
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    pilot: Mapped[bool] = mapped_column(Boolean, default=False)
    pending_start_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # its route, once started
    status: Mapped[str] = mapped_column(String(20), default="open")  # open, done, dropped
    outcome: Mapped[str] = mapped_column(Text, default="")
    closed_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    created_at: Mapped[datetime]
    __table_args__ = (Index("ix_programme_actions_source", "source", "source_instance_id"),
                      Index("ix_programme_actions_status", "status"))


class Champion(Base):
    """A Contextual Safeguarding champion in an agency and team, and who they support."""

    __tablename__ = "champions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    username: Mapped[str | None] = mapped_column(String(80), nullable=True)
    agency: Mapped[str] = mapped_column(String(40))
    team: Mapped[str] = mapped_column(String(120))
    supports: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime]
    left_on: Mapped[date | None] = mapped_column(Date, nullable=True)


class ChampionTraining(Base):
    """A course a champion completed, when it runs out, and when its renewal reminder was raised."""

    __tablename__ = "champion_trainings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    champion_id: Mapped[int] = mapped_column(ForeignKey("champions.id", ondelete="CASCADE"))
    course: Mapped[str] = mapped_column(String(200))
    completed_on: Mapped[date] = mapped_column(Date)
    renew_by: Mapped[date] = mapped_column(Date)
    reminded_at: Mapped[datetime | None] = mapped_column(nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime]
    __table_args__ = (Index("ix_champion_trainings_renewal", "reminded_at", "renew_by"),
                      Index("ix_champion_trainings_champion", "champion_id"))


class ValuesAgreement(Base):
    """The statement of values and approach put to the agencies' senior leaders by a ``values_agreement`` route."""

    __tablename__ = "values_agreements"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    statement: Mapped[str] = mapped_column(Text)
    agencies: Mapped[list[str]] = mapped_column(JSON, default=list)
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    started_by: Mapped[str] = mapped_column(String(80))
    started_at: Mapped[datetime]


class ValuesResponse(Base):
    """One agency's answer to a values agreement (the latest answer of an agency counts)."""

    __tablename__ = "values_responses"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("values_agreements.id", ondelete="CASCADE"))
    agency: Mapped[str] = mapped_column(String(40))
    response: Mapped[str] = mapped_column(String(40))
    leader_name: Mapped[str] = mapped_column(String(120))
    leader_role: Mapped[str] = mapped_column(String(120), default="")
    comments: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[str] = mapped_column(String(80))
    recorded_at: Mapped[datetime]
    __table_args__ = (UniqueConstraint("agreement_id", "agency", name="uq_values_responses_agency"),)


class CriticalQuestion(Base):
    """A critical friend's question and the CS lead's answer (answered through a ``critical_friend_question``)."""

    __tablename__ = "critical_questions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    topic: Mapped[str] = mapped_column(String(40))
    question: Mapped[str] = mapped_column(Text)
    asked_by: Mapped[str] = mapped_column(String(80))
    asked_at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)


class PilotReflection(Base):
    """A pilot version's reflection and decision, and whether the decision's version change was carried out."""

    __tablename__ = "pilot_reflections"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    process_id: Mapped[str] = mapped_column(String(120))
    version: Mapped[int] = mapped_column(Integer)
    pilot_rule: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    pilot_since: Mapped[datetime]
    asked_at: Mapped[datetime]
    instance_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    what_worked: Mapped[str] = mapped_column(Text, default="")
    barriers: Mapped[str] = mapped_column(Text, default="")
    resources_needed: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str | None] = mapped_column(String(20), nullable=True)  # embed, adapt, stop
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    adaptation: Mapped[str] = mapped_column(Text, default="")
    decided_by: Mapped[str | None] = mapped_column(String(80), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # "none" until decided; then "pending" until carried out, "carried_out" or "failed" (with the reason)
    outcome_status: Mapped[str] = mapped_column(String(20), default="none")
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    carried_out_at: Mapped[datetime | None] = mapped_column(nullable=True)
    __table_args__ = (UniqueConstraint("process_id", "version", name="uq_pilot_reflections_version"),
                      Index("ix_pilot_reflections_outcome", "outcome_status"))

"""The governance group: members by agency, its chair, terms of reference and meetings (with their actions).

Members and terms are records the CS lead keeps; meetings run on the ``governance_meeting`` route, whose
last step writes the meeting and raises each troubleshooting item as a programme action for its owner.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select, update

from engine import audit
from engine.errors import Conflict, NotFound
from engine.programme.actions import ActionView, list_actions
from engine.programme.agencies import AGENCIES, agency_name
from engine.programme.inputs import Answers
from engine.programme.readers import local_today, require_runner
from engine.runtime.instances import start_process
from engine.runtime.services import Services
from engine.store.models import Instance, User, WorkItem
from engine.store.programme import GovernanceMeeting, GovernanceMember, GovernanceTerms

TERMS_MAX = 8000


@dataclass(frozen=True)
class Member:
    """A current member of the group."""

    id: int
    name: str
    agency: str
    agency_name: str
    job_title: str
    is_chair: bool
    joined_on: date


@dataclass(frozen=True)
class Meeting:
    """A meeting: planned (its route still waiting for the record) or recorded, with its actions."""

    instance_id: int
    status: str
    held_on: date | None
    agenda: str
    agencies: list[str]
    decisions: list[str]
    actions: list[ActionView]
    work_item_id: int | None
    work_item_name: str


@dataclass(frozen=True)
class Governance:
    """The group as the programme pages show it."""

    members: list[Member]
    chair: Member | None
    agencies_missing: list[str]
    terms: str
    terms_agreed_on: date | None
    terms_versions: int
    meetings: list[Meeting] = field(default_factory=list)


def add_member(svc: Services, actor: str, posted: dict[str, Any]) -> int:
    """Add a member (name, agency, job title, optional user name, joined on); raises InvalidFormData; audited."""
    answers = Answers(posted)
    name = answers.text("name", "the member's name", 120)
    agency = answers.choice("agency", "the member's agency", AGENCIES)
    job_title = answers.text("job_title", "their job title", 120, required=False)
    username = answers.text("username", "their user name", 80, required=False) or None
    joined_on = answers.day("joined_on", "the date they joined", required=False)
    with svc.db.transaction() as session:
        require_runner(session, actor)
        if username and session.scalar(select(User.id).where(User.username == username)) is None:
            answers.errors["username"] = ["There is no one with that user name: leave it blank if they have none"]
        answers.done()
        member = GovernanceMember(name=name, agency=agency, job_title=job_title, username=username,
                                  is_chair=False, joined_on=joined_on or local_today(svc), added_by=actor,
                                  added_at=svc.now())
        session.add(member)
        session.flush()
        audit.record(session, at=svc.now(), actor=actor, action="governance_member_added",
                     subject_type="governance_member", subject_id=member.id, agency=agency)
        return member.id


def member_leaves(svc: Services, actor: str, member_id: int) -> None:
    """Record that a member left the group (kept in the history); raises NotFound or Conflict; audited."""
    with svc.db.transaction() as session:
        require_runner(session, actor)
        member = _current(session, member_id)
        member.left_on, member.is_chair = local_today(svc), False
        audit.record(session, at=svc.now(), actor=actor, action="governance_member_left",
                     subject_type="governance_member", subject_id=member.id)


def make_chair(svc: Services, actor: str, member_id: int) -> None:
    """Make a current member the chair (the previous chair stays a member); audited."""
    with svc.db.transaction() as session:
        require_runner(session, actor)
        member = _current(session, member_id)
        if member.is_chair:
            raise Conflict(f"{member.name} already chairs the group")
        session.execute(update(GovernanceMember).where(GovernanceMember.is_chair.is_(True)).values(is_chair=False))
        member.is_chair = True
        audit.record(session, at=svc.now(), actor=actor, action="governance_chair_changed",
                     subject_type="governance_member", subject_id=member.id)


def record_terms(svc: Services, actor: str, posted: dict[str, Any]) -> None:
    """Record a newly agreed version of the terms of reference (older versions are kept); audited."""
    answers = Answers(posted)
    text = answers.text("terms", "the terms of reference", TERMS_MAX)
    agreed_on = answers.day("agreed_on", "the date they were agreed")
    answers.done()
    with svc.db.transaction() as session:
        require_runner(session, actor)
        terms = GovernanceTerms(text=text, agreed_on=agreed_on, recorded_by=actor, recorded_at=svc.now())
        session.add(terms)
        session.flush()
        audit.record(session, at=svc.now(), actor=actor, action="governance_terms_recorded",
                     subject_type="governance_terms", subject_id=terms.id)


def call_meeting(svc: Services, actor: str) -> int:
    """Start a governance meeting's route (plan it, then record it); returns its first task's id."""
    with svc.db.read() as session:
        require_runner(session, actor)
    started = start_process(svc, "governance_meeting", {}, actor)
    return started.open_work_items[0]["id"]


def governance(session: Any, today: date) -> Governance:
    """The group now: current members by agency, chair, terms and meetings (newest first)."""
    rows = session.scalars(select(GovernanceMember).where(GovernanceMember.left_on.is_(None))
                           .order_by(GovernanceMember.agency, GovernanceMember.name)).all()
    members = [Member(m.id, m.name, m.agency, agency_name(m.agency), m.job_title, m.is_chair, m.joined_on)
               for m in rows]
    terms = session.scalars(select(GovernanceTerms).order_by(GovernanceTerms.id.desc())).all()
    missing = [name for key, name in AGENCIES.items() if key not in {m.agency for m in members}]
    return Governance(members, next((m for m in members if m.is_chair), None), missing,
                      terms[0].text if terms else "", terms[0].agreed_on if terms else None, len(terms),
                      meetings(session, today))


def meetings(session: Any, today: date) -> list[Meeting]:
    """Every meeting route, newest first, with what it recorded and the actions it raised."""
    instances = session.scalars(select(Instance).where(Instance.process_id == "governance_meeting")
                                .order_by(Instance.started_at.desc(), Instance.id.desc())).all()
    recorded = {m.instance_id: m for m in session.scalars(select(GovernanceMeeting).where(
        GovernanceMeeting.instance_id.in_([i.id for i in instances])))}
    actions = list_actions(session, today, source="meeting", source_instance_ids=list(recorded))
    waiting = {w.instance_id: w for w in session.scalars(select(WorkItem).where(
        WorkItem.instance_id.in_([i.id for i in instances]), WorkItem.status == "open"))}
    out = []
    for instance in instances:
        found, task = recorded.get(instance.id), waiting.get(instance.id)
        out.append(Meeting(instance.id, "recorded" if found else "planned", found.held_on if found else None,
                           found.agenda if found else "", [agency_name(a) for a in (found.agencies if found else [])],
                           list(found.decisions) if found else [],
                           [a for a in actions if a.source_instance_id == instance.id],
                           task.id if task else None, task.name if task else ""))
    return out


def _current(session: Any, member_id: int) -> GovernanceMember:
    member = session.get(GovernanceMember, member_id)
    if member is None:
        raise NotFound(f"There is no member {member_id}")
    if member.left_on is not None:
        raise Conflict(f"{member.name} has already left the group")
    return member

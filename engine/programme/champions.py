"""Champions: who they are, their agency and team, their training and who they support; coverage by agency
and team; and a reminder when training is due for renewal (raised by the scheduler's tick).

Training lasts ``FRONTDOOR_CHAMPION_TRAINING_MONTHS`` (its renewal date is fixed when it is recorded); the
champion (when they have an account) and the CS lead are reminded ``FRONTDOOR_CHAMPION_RENEWAL_NOTICE_DAYS``
before it runs out, once per training record.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import Select, select, update

from engine import audit
from engine.alerts.notifications import active_members, notify
from engine.errors import Conflict, NotFound
from engine.programme.agencies import AGENCIES, agency_name
from engine.programme.inputs import Answers
from engine.programme.readers import local_today, require_runner
from engine.runtime.services import Services
from engine.store.models import User
from engine.store.programme import Champion, ChampionTraining

TRAINING_STATES = {"in_date": "Trained", "renewal_due": "Renewal due", "lapsed": "Training lapsed",
                   "untrained": "Not trained yet"}


@dataclass(frozen=True)
class ChampionView:
    """A current champion with their latest training and its state."""

    id: int
    name: str
    agency: str
    agency_name: str
    team: str
    supports: str
    course: str
    completed_on: date | None
    renew_by: date | None
    training: str


@dataclass(frozen=True)
class Coverage:
    """How many champions an agency has, how many are trained, and in which teams."""

    agency: str
    agency_name: str
    champions: int
    trained: int
    teams: list[str]


def add_champion(svc: Services, actor: str, posted: dict[str, Any]) -> int:
    """Add a champion (name, agency, team, who they support, optional user name); raises InvalidFormData."""
    answers = Answers(posted)
    name = answers.text("name", "the champion's name", 120)
    agency = answers.choice("agency", "the champion's agency", AGENCIES)
    team = answers.text("team", "their team", 120)
    supports = answers.text("supports", "who they support", 1000, required=False)
    username = answers.text("username", "their user name", 80, required=False) or None
    with svc.db.transaction() as session:
        require_runner(session, actor)
        if username and session.scalar(select(User.id).where(User.username == username)) is None:
            answers.errors["username"] = ["There is no one with that user name: leave it blank if they have none"]
        answers.done()
        champion = Champion(name=name, agency=agency, team=team, supports=supports, username=username, active=True,
                            added_by=actor, added_at=svc.now())
        session.add(champion)
        session.flush()
        audit.record(session, at=svc.now(), actor=actor, action="champion_added", subject_type="champion",
                     subject_id=champion.id, agency=agency, team=team)
        return champion.id


def record_training(svc: Services, actor: str, champion_id: int, posted: dict[str, Any]) -> date:
    """Record a completed course; returns the date it is due for renewal. Raises InvalidFormData, NotFound."""
    answers = Answers(posted)
    course = answers.text("course", "the course", 200)
    completed_on = answers.day("completed_on", "the date it was completed")
    if completed_on and completed_on > local_today(svc):
        answers.errors["completed_on"] = ["The date it was completed must be today or in the past"]
    answers.done()
    renew_by = add_months(completed_on, svc.settings.programme.training_months)
    with svc.db.transaction() as session:
        require_runner(session, actor)
        champion = _active(session, champion_id)
        training = ChampionTraining(champion_id=champion.id, course=course, completed_on=completed_on,
                                    renew_by=renew_by, recorded_by=actor, recorded_at=svc.now())
        session.add(training)
        session.flush()
        audit.record(session, at=svc.now(), actor=actor, action="champion_training_recorded",
                     subject_type="champion", subject_id=champion.id, course=course,
                     completed_on=completed_on.isoformat(), renew_by=renew_by.isoformat())
    return renew_by


def champion_leaves(svc: Services, actor: str, champion_id: int) -> None:
    """A champion stands down (kept in the history, no more reminders); raises NotFound or Conflict."""
    with svc.db.transaction() as session:
        require_runner(session, actor)
        champion = _active(session, champion_id)
        champion.active, champion.left_on = False, local_today(svc)
        audit.record(session, at=svc.now(), actor=actor, action="champion_left", subject_type="champion",
                     subject_id=champion.id)


def champions(session: Any, today: date, notice_days: int) -> list[ChampionView]:
    """Current champions by agency and team, each with their latest training."""
    rows = session.scalars(select(Champion).where(Champion.active.is_(True))
                           .order_by(Champion.agency, Champion.team, Champion.name)).all()
    latest: dict[int, ChampionTraining] = {}
    for t in session.scalars(select(ChampionTraining).where(ChampionTraining.champion_id.in_([c.id for c in rows]))
                             .order_by(ChampionTraining.completed_on, ChampionTraining.id)):
        latest[t.champion_id] = t
    out = []
    for c in rows:
        t = latest.get(c.id)
        out.append(ChampionView(c.id, c.name, c.agency, agency_name(c.agency), c.team, c.supports,
                                t.course if t else "", t.completed_on if t else None, t.renew_by if t else None,
                                training_state(t.renew_by if t else None, today, notice_days)))
    return out


def coverage(register: list[ChampionView]) -> list[Coverage]:
    """Champions and trained champions per agency (every agency listed, so gaps show), with their teams."""
    return [Coverage(key, name, len(mine := [c for c in register if c.agency == key]),
                     sum(1 for c in mine if c.training in ("in_date", "renewal_due")),
                     sorted({c.team for c in mine})) for key, name in AGENCIES.items()]


def training_state(renew_by: date | None, today: date, notice_days: int) -> str:
    """in_date, renewal_due (within the notice period), lapsed, or untrained."""
    if renew_by is None:
        return "untrained"
    if renew_by < today:
        return "lapsed"
    return "renewal_due" if renew_by <= today + timedelta(days=notice_days) else "in_date"


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later (the month's last day when it is shorter)."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)


def renewals_due_query(svc: Services) -> Select:
    """Trainings of active champions within the notice period and not yet reminded (the tick's due check)."""
    horizon = local_today(svc) + timedelta(days=svc.settings.programme.renewal_notice_days)
    return (select(ChampionTraining.id).join(Champion, Champion.id == ChampionTraining.champion_id)
            .where(ChampionTraining.reminded_at.is_(None), ChampionTraining.renew_by <= horizon,
                   Champion.active.is_(True)))


def raise_renewal_reminders(svc: Services, limit: int = 100) -> int:
    """Remind each champion whose training is due for renewal, and the CS lead, once; returns how many.

    Each reminder is claimed by a conditional update (``reminded_at IS NULL``) in the transaction that
    raises its notifications, and the notifications are keyed, so two schedulers never remind twice.
    """
    with svc.db.read() as session:
        due = session.scalars(renewals_due_query(svc).order_by(ChampionTraining.renew_by).limit(limit)).all()
    done = 0
    for training_id in due:
        with svc.db.transaction() as session:
            claimed = session.execute(update(ChampionTraining).where(
                ChampionTraining.id == training_id, ChampionTraining.reminded_at.is_(None))
                .values(reminded_at=svc.now())).rowcount
            if claimed:
                _remind(svc, session, session.get(ChampionTraining, training_id))
                done += 1
    return done


def _remind(svc: Services, session: Any, training: ChampionTraining) -> None:
    champion = session.get(Champion, training.champion_id)
    when = f"{training.renew_by.day} {training.renew_by:%B %Y}"
    text = (f"{champion.name}'s Contextual Safeguarding champion training ({training.course}) is due for renewal "
            f"by {when}.")
    people = set(active_members(session, ["cs_lead"]))
    if champion.username:
        people.add(champion.username)
    for person in sorted(people):
        notify(session, recipient=person, kind="training_renewal", text=text, at=svc.now(),
               dedupe_key=f"training_renewal:{training.id}:{person}", subject_type="champion",
               subject_id=champion.id)
    audit.record(session, at=svc.now(), actor="system", action="champion_training_reminder",
                 subject_type="champion", subject_id=champion.id, training_id=training.id,
                 renew_by=training.renew_by.isoformat(), recipients=sorted(people))


def _active(session: Any, champion_id: int) -> Champion:
    champion = session.get(Champion, champion_id)
    if champion is None:
        raise NotFound(f"There is no champion {champion_id}")
    if not champion.active:
        raise Conflict(f"{champion.name} is no longer a champion")
    return champion

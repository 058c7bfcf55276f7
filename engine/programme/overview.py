"""The programme page's picture: where the partnership stands on each roadmap step, with the evidence, and
the governance group, champions, values agreement, questions, actions, reviews and pilots behind it."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select

from engine.programme.actions import ActionView, list_actions
from engine.programme.champions import ChampionView, Coverage, champions, coverage
from engine.programme.governance import Governance, governance
from engine.programme.questions import Question, list_questions
from engine.programme.readers import audit_view, local_today, require_reader
from engine.programme.reflections import Reflection, list_reflections
from engine.programme.reviews import ReviewSummary, review_summaries
from engine.programme.roadmap import Step, roadmap
from engine.programme.values import Agreement, latest_agreement
from engine.runtime.services import Services
from engine.store.models import ProcessVersion, User


@dataclass(frozen=True)
class Pilot:
    """A version deployed as a pilot, and since when."""

    process_id: str
    name: str
    version: int
    since: datetime


@dataclass(frozen=True)
class Programme:
    """Everything the programme page shows, read in one transaction."""

    today: date
    steps: list[Step]
    governance: Governance
    champions: list[ChampionView]
    coverage: list[Coverage]
    values: Agreement | None
    questions: list[Question]
    actions: list[ActionView]
    reviews: list[ReviewSummary]
    pilots: list[Pilot]
    reflections: list[Reflection]
    critical_friends: int


def programme_overview(svc: Services, viewer: str, page: str = "programme") -> Programme:
    """The whole programme as ``viewer`` may read it; raises NotPermitted; audited (``page`` names the view)."""
    today = local_today(svc)
    with svc.db.transaction() as session:
        require_reader(session, viewer)
        audit_view(session, svc.now(), viewer, page)
        group, register = governance(session, today), champions(session, today,
                                                                svc.settings.programme.renewal_notice_days)
        friends = session.scalar(select(func.count()).select_from(User).where(
            User.role == "reviewer", User.active.is_(True))) or 0
        facts = Programme(today, [], group, register, coverage(register), latest_agreement(session),
                          list_questions(session), list_actions(session, today), review_summaries(session),
                          pilot_versions(session), list_reflections(session), friends)
        return replace(facts, steps=roadmap(session, work_out(facts)))


def pilot_versions(session: Any) -> list[Pilot]:
    """Every version ever deployed as a pilot, newest first."""
    rows = session.scalars(select(ProcessVersion).order_by(ProcessVersion.deployed_at.desc())).all()
    return [Pilot(r.process_id, r.name, r.number, r.deployed_at) for r in rows if r.pilot_rule]


def work_out(p: Programme) -> dict[str, tuple[str, list[str]]]:
    """Each step's state and evidence from the records (docs/decisions.md, D69)."""
    return {"governance": _governance(p), "champions": _champions(p), "values": _values(p),
            "critical_friends": _friends(p), "map": _map(p), "rate": _rate(p), "plan": _plan(p),
            "pilot": _pilot(p), "rate_again": _rate_again(p)}


def _governance(p: Programme) -> tuple[str, list[str]]:
    g = p.governance
    if not g.members:
        return "not_started", []
    agencies = len({m.agency for m in g.members})
    held = [m for m in g.meetings if m.status == "recorded"]
    evidence = [f"{_n(len(g.members), 'member')} from {_n(agencies, 'agency', 'agencies')}",
                f"Chair: {g.chair.name}" if g.chair else "No chair yet",
                f"Terms of reference agreed on {_day(g.terms_agreed_on)}" if g.terms else "No terms of reference yet",
                f"{_n(len(held), 'meeting')} recorded" + (f", the last on {_day(held[0].held_on)}" if held else "")]
    return ("done" if g.chair and g.terms and held else "in_progress"), evidence


def _champions(p: Programme) -> tuple[str, list[str]]:
    if not p.champions:
        return "not_started", []
    covered = [c for c in p.coverage if c.trained]
    due = sum(1 for c in p.champions if c.training in ("renewal_due", "lapsed"))
    evidence = [f"{_n(len(p.champions), 'champion')}; trained champions in {len(covered)} of "
                f"{len(p.coverage)} agencies"]
    if due:
        evidence.append(f"{due} due for renewal or lapsed")
    return ("done" if len(covered) == len(p.coverage) else "in_progress"), evidence


def _values(p: Programme) -> tuple[str, list[str]]:
    v = p.values
    if v is None:
        return "not_started", []
    evidence = [f"{v.agreed} of {len(v.answers)} agencies agreed (asked on {_day(v.started_at)})"]
    return ("done" if v.status == "complete" and v.agreed == len(v.answers) else "in_progress"), evidence


def _friends(p: Programme) -> tuple[str, list[str]]:
    if not p.critical_friends:
        return "not_started", []
    answered = sum(1 for q in p.questions if q.answered_at)
    evidence = [f"{_n(p.critical_friends, 'critical friend')}",
                f"{_n(len(p.questions), 'question')} asked, {answered} answered"]
    return ("done" if answered else "in_progress"), evidence


def _map(p: Programme) -> tuple[str, list[str]]:
    mapped = [r for r in p.reviews if r.mapped_at]
    if mapped:
        return "done", [f"Mapped in the system review started on {_day(mapped[0].started_at)}"]
    return ("in_progress", ["A system review has started"]) if p.reviews else ("not_started", [])


def _rate(p: Programme) -> tuple[str, list[str]]:
    published = [r for r in p.reviews if r.published_at]
    if published:
        return "done", [f"First review published on {_day(published[0].published_at)}"]
    return ("in_progress", ["A system review is under way"]) if p.reviews else ("not_started", [])


def _plan(p: Programme) -> tuple[str, list[str]]:
    planned = [a for a in p.actions if a.source == "review"]
    if not planned:
        return "not_started", []
    done = sum(1 for a in planned if a.status != "open")
    return "done", [f"{_n(len(planned), 'action')} from system reviews: {done} closed, {len(planned) - done} open"]


def _pilot(p: Programme) -> tuple[str, list[str]]:
    if not p.pilots:
        return "not_started", []
    evidence = [f"Pilot of {x.name} (version {x.version}) since {_day(x.since)}" for x in p.pilots[:3]]
    carried = [r for r in p.reflections if r.outcome_status == "carried_out"]
    evidence += [f"Decision on {r.name} version {r.version}: {r.decision_words}" for r in carried[:3]]
    return ("done" if carried else "in_progress"), evidence


def _rate_again(p: Programme) -> tuple[str, list[str]]:
    published = [r for r in p.reviews if r.published_at]
    if len(published) >= 2:
        return "done", [f"{len(published)} reviews published, the latest on {_day(published[-1].published_at)}"]
    if published and len(p.reviews) > len(published):
        return "in_progress", ["A further system review is under way"]
    return "not_started", []


def _n(count: int, word: str, plural: str | None = None) -> str:
    return f"{count} {word if count == 1 else plural or word + 's'}"


def _day(value: date | datetime | None) -> str:
    return f"{value.day} {value:%B %Y}" if value else ""

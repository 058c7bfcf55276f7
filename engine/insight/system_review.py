"""System review results: the RAG ratings recorded by ``system_review`` as a grid, with change over time.

Items are rated by domain x stage x tier (docs/domain.md), Red/Amber/Green, with evidence, owner and due date,
plus a values check; reviews repeat (baseline, interim, annual). The reviewer (critical friend) may read
these results: they hold no case data.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.need_to_know import active_role
from engine.errors import NotFound, NotPermitted
from engine.insight.readers import SYSTEM_REVIEW_ROLES, audit_insight, require_reader
from engine.insight.recorded import task_answers
from engine.runtime.instances import start_process
from engine.runtime.services import Services
from engine.store.models import Instance, ProcessVersion, WorkItem
from engine.store.programme import ProgrammeAction

DOMAINS = ("target", "legislative", "partnerships", "outcomes")
STAGES = ("referral_screening", "assessment", "planning_review", "intervention", "monitoring_evaluation",
          "policy_strategy")
TIERS = ("child", "context")
SCORE = {"red": 1, "amber": 2, "green": 3}
ANSWERED = ("ut_review_scope", "ut_review_rate_items", "ut_review_moderate", "ut_review_results",
            "ut_review_approve")


@dataclass(frozen=True)
class Cell:
    """The ratings given to one domain x stage x tier, and the change since the previous review."""

    domain: str
    stage: str
    tier: str
    ratings: list[str]
    rating: str | None
    previous: str | None
    change: str


@dataclass(frozen=True)
class Review:
    """One system review: its type, period, grid, values check and actions."""

    instance_id: int
    status: str
    started_at: datetime
    review_type: str
    period: str
    moderation: str
    approved: str
    items: list[dict[str, Any]]
    cells: list[Cell]
    values_check: list[dict[str, Any]]
    actions: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def system_review_results(svc: Services, viewer: str) -> list[Review]:
    """Every system review, newest first, each compared with the one before; raises NotPermitted; audited."""
    today = svc.timescales.calendar.to_local(svc.now()).date()
    with svc.db.transaction() as session:
        require_reader(session, viewer, SYSTEM_REVIEW_ROLES)
        audit_insight(session, svc.now(), viewer, "system_review")
        return list(reversed(reviews_in(session, today)))


def reviews_in(session: Session, today: date) -> list[Review]:
    """Every system review, oldest first, each compared with the one before (no access check, no audit row)."""
    reviews, previous = [], None
    # by version: instances are indexed by version, not by process id
    versions = select(ProcessVersion.id).where(ProcessVersion.process_id == "system_review")
    for instance in session.scalars(select(Instance).where(Instance.version_id.in_(versions))
                                    .order_by(Instance.started_at, Instance.id)):
        review = _review(session, instance, previous, today)
        if review.items:
            previous = review
        reviews.append(review)
    return reviews


def _answers(session: Session, instance: Instance) -> dict[str, dict[str, Any]]:
    """The latest answers given at each review task (a disputed round is rated again: the last one counts)."""
    items = session.scalars(select(WorkItem).where(WorkItem.instance_id == instance.id,
                                                   WorkItem.element_id.in_(ANSWERED), WorkItem.status == "completed")
                            .order_by(WorkItem.completed_at, WorkItem.id)).all()
    saved = json.loads(instance.state)
    return {item.element_id: task_answers(saved, item.task_id) for item in items}


def _review(session: Session, instance: Instance, previous: Review | None, today: date) -> Review:
    answers = _answers(session, instance)
    scope, rated = answers.get("ut_review_scope", {}), answers.get("ut_review_rate_items", {})
    results, approval = answers.get("ut_review_results", {}), answers.get("ut_review_approve", {})
    items = [dict(row) for row in rated.get("rag_items") or [] if isinstance(row, dict)]
    period = " to ".join(str(scope[k]) for k in ("period_start", "period_end") if scope.get(k))
    return Review(instance.id, instance.status, instance.started_at, str(scope.get("review_type") or ""), period,
                  str(answers.get("ut_review_moderate", {}).get("moderation_outcome") or ""),
                  str(approval.get("review_approved") or ""), items, _grid(items, previous),
                  [dict(v) for v in scope.get("values_check") or [] if isinstance(v, dict)],
                  _tracked(session, instance.id, _actions(items, results, today)))


def _grid(items: list[dict[str, Any]], previous: Review | None) -> list[Cell]:
    """One cell per rated domain x stage x tier: its lowest rating, beside the previous review's."""
    before = {(c.domain, c.stage, c.tier): c.rating for c in previous.cells} if previous else {}
    cells = []
    for domain in DOMAINS:
        for stage in STAGES:
            for tier in TIERS:
                ratings = [str(i.get("rating")) for i in items if (i.get("domain"), i.get("stage"), i.get("tier"))
                           == (domain, stage, tier) and i.get("rating") in SCORE]
                if not ratings:
                    continue
                rating = min(ratings, key=SCORE.__getitem__)
                old = before.get((domain, stage, tier))
                cells.append(Cell(domain, stage, tier, ratings, rating, old, _change(old, rating)))
    return cells


def _change(old: str | None, new: str) -> str:
    if old is None:
        return "new"
    return "better" if SCORE[new] > SCORE[old] else "worse" if SCORE[new] < SCORE[old] else "same"


def _actions(items: list[dict[str, Any]], results: dict[str, Any], today: date) -> list[dict[str, Any]]:
    """The action plan (from the results) and each rated item's next step, with owner, due date and status."""
    out = [{"action": a.get("action"), "owner": a.get("owner_group"), "due_date": a.get("due_date"),
            "pilot": bool(a.get("process_change_pilot")), "from": "action plan"}
           for a in results.get("review_actions") or [] if isinstance(a, dict)]
    out += [{"action": i.get("next_step"), "owner": i.get("owner"), "due_date": i.get("due_date"), "pilot": False,
             "from": f"{i.get('domain')} / {i.get('stage')} / {i.get('tier')}"} for i in items if i.get("next_step")]
    for action in out:
        action["status"] = _status(action.get("due_date"), today)
    return out


def _tracked(session: Session, instance_id: int, actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The action plan's status as its programme actions (tasks for their owners) record it, once published."""
    closed = {(a.text, a.owner_group): a.status for a in session.scalars(select(ProgrammeAction).where(
        ProgrammeAction.source == "review", ProgrammeAction.source_instance_id == instance_id,
        ProgrammeAction.status != "open"))}
    for action in actions:
        if action["from"] == "action plan":
            action["status"] = closed.get((str(action["action"] or "").strip(), action["owner"]), action["status"])
    return actions


def _status(due: Any, today: date) -> str:
    """"overdue", "due" or "no due date" by the date alone (``_tracked`` adds done and dropped)."""
    try:
        when = date.fromisoformat(str(due)[:10])
    except ValueError:
        return "no due date"
    return "overdue" if when < today else "due"


ROLES_STARTING_REVIEWS = frozenset({"cs_lead"})  # the partnership's lead runs its self-assessment


def start_system_review(svc: Services, actor: str) -> int:
    """Start a system review (the CS lead only); returns the new instance's id. Raises NotPermitted or NotFound."""
    with svc.db.read() as session:
        if active_role(session, actor) not in ROLES_STARTING_REVIEWS:
            raise NotPermitted("Only the Contextual Safeguarding lead can start a system review")
        if session.scalar(select(ProcessVersion.id).where(ProcessVersion.process_id == "system_review")
                          .limit(1)) is None:
            raise NotFound("The system review process is not deployed")
    return start_process(svc, "system_review", {}, actor).id

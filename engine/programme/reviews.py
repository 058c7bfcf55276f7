"""System reviews as the programme sees them: which have mapped the system, rated it and been published, and
starting the next one with the programme's outstanding actions offered to it as evidence.

The ratings themselves are read by the insight layer (engine/insight/system_review.py, the RAG trend).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.programme.actions import outstanding_actions
from engine.programme.readers import local_today, require_runner
from engine.runtime.instances import start_process
from engine.runtime.services import Services
from engine.store.models import Instance, WorkItem

MILESTONES = {"ut_review_map_system": "mapped_at", "ut_review_rate_items": "rated_at",
              "ut_review_approve": "published_at"}


@dataclass(frozen=True)
class ReviewSummary:
    """One system review: when it started and when it mapped, rated and published the system."""

    instance_id: int
    started_at: datetime
    status: str
    mapped_at: datetime | None
    rated_at: datetime | None
    published_at: datetime | None


def review_summaries(session: Any) -> list[ReviewSummary]:
    """Every system review, oldest first."""
    instances = session.scalars(select(Instance).where(Instance.process_id == "system_review")
                                .order_by(Instance.started_at, Instance.id)).all()
    done: dict[int, dict[str, datetime]] = {i.id: {} for i in instances}
    for item in session.scalars(select(WorkItem).where(WorkItem.instance_id.in_(list(done)),
                                                       WorkItem.element_id.in_(list(MILESTONES)),
                                                       WorkItem.status == "completed")
                                .order_by(WorkItem.completed_at)):
        done[item.instance_id][MILESTONES[item.element_id]] = item.completed_at
    return [ReviewSummary(i.id, i.started_at, i.status, **{k: done[i.id].get(k) for k in MILESTONES.values()})
            for i in instances]


def start_system_review(svc: Services, actor: str) -> int:
    """Start the next system review with the outstanding actions as evidence; returns its first task's id."""
    with svc.db.read() as session:
        require_runner(session, actor)
        evidence = [{"action": a.text, "owner_group": a.owner_group, "owner": a.owner,
                     "due_date": a.due_on.isoformat() if a.due_on else None, "from": a.source_words}
                    for a in outstanding_actions(session, local_today(svc))]
    started = start_process(svc, "system_review", {"outstanding_actions": evidence}, actor)
    return started.open_work_items[0]["id"]

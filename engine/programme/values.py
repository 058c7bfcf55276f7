"""The values agreement: the partnership's statement of values and approach, put to each agency's senior
leaders on the ``values_agreement`` route (one task per agency, in parallel), and who has agreed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import audit
from engine.errors import Conflict
from engine.programme.agencies import AGENCIES, agency_name
from engine.programme.inputs import Answers
from engine.programme.readers import require_runner
from engine.runtime.instances import start_in_session
from engine.runtime.services import Services
from engine.store.models import Instance, WorkItem
from engine.store.programme import ValuesAgreement, ValuesResponse

STATEMENT_MAX = 8000
RESPONSES = {"agree": "Agreed", "agree_with_comments": "Agreed, with comments", "not_yet": "Not yet"}


@dataclass(frozen=True)
class AgencyAnswer:
    """One agency asked: its answer (if given), by which senior leader, and its open task."""

    agency: str
    agency_name: str
    response: str
    response_words: str
    leader: str
    comments: str
    recorded_at: datetime | None
    work_item_id: int | None


@dataclass(frozen=True)
class Agreement:
    """A values agreement and each agency's answer."""

    id: int
    statement: str
    started_at: datetime
    status: str
    answers: list[AgencyAnswer] = field(default_factory=list)

    @property
    def agreed(self) -> int:
        """How many agencies agreed (with or without comments)."""
        return sum(1 for a in self.answers if a.response in ("agree", "agree_with_comments"))


def start_values_agreement(svc: Services, actor: str, posted: dict[str, Any]) -> int:
    """Put a statement of values and approach to the chosen agencies; returns the agreement's id.

    Raises InvalidFormData (no statement, no agency), Conflict (an agreement is still running) or NotPermitted.
    The agreement row and its route start in one transaction.
    """
    answers = Answers(posted)
    statement = answers.text("statement", "the statement of values and approach", STATEMENT_MAX)
    chosen = [a for a in AGENCIES if a in set(posted.get("agencies") or [])]
    if not chosen:
        answers.errors["agencies"] = ["Choose at least one agency to ask"]
    answers.done()
    with svc.db.transaction() as session:
        require_runner(session, actor)
        if _running(session):
            raise Conflict("A values agreement is still waiting for answers: finish it before asking again")
        agreement = ValuesAgreement(statement=statement, agencies=chosen, started_by=actor, started_at=svc.now())
        session.add(agreement)
        session.flush()
        started = start_in_session(svc, session, "values_agreement",
                                   {"values_agreement_id": agreement.id, "agencies": chosen}, actor)
        agreement.instance_id = started.id
        audit.record(session, at=svc.now(), actor=actor, action="values_agreement_started",
                     subject_type="values_agreement", subject_id=agreement.id, agencies=chosen)
        return agreement.id


def latest_agreement(session: Any) -> Agreement | None:
    """The newest values agreement with every agency's answer or open task; None when none was started."""
    row = session.scalars(select(ValuesAgreement).order_by(ValuesAgreement.id.desc()).limit(1)).first()
    if row is None:
        return None
    given = {r.agency: r for r in session.scalars(select(ValuesResponse).where(ValuesResponse.agreement_id == row.id))}
    instance = session.get(Instance, row.instance_id) if row.instance_id else None
    tasks = _tasks_by_agency(session, row.instance_id)
    out = []
    for agency in row.agencies:
        r = given.get(agency)
        out.append(AgencyAnswer(agency, agency_name(agency), r.response if r else "",
                                RESPONSES.get(r.response, "Waiting") if r else "Waiting",
                                ", ".join(x for x in (r.leader_name, r.leader_role) if x) if r else "",
                                r.comments if r else "", r.recorded_at if r else None, tasks.get(agency)))
    status = "complete" if instance is not None and instance.status == "completed" else "in progress"
    return Agreement(row.id, row.statement, row.started_at, status, out)


def _running(session: Any) -> bool:
    return session.scalar(select(Instance.id).where(Instance.process_id == "values_agreement",
                                                    Instance.status.in_(("running", "waiting"))).limit(1)) is not None


def _tasks_by_agency(session: Any, instance_id: int | None) -> dict[str, int]:
    """Agency -> its open task, from the task's element (``ut_values_<group>``; wider council: the partnership)."""
    if instance_id is None:
        return {}
    groups = {("partnership" if key == "council" else key): key for key in AGENCIES}
    found = {}
    for item in session.scalars(select(WorkItem).where(WorkItem.instance_id == instance_id,
                                                       WorkItem.status == "open")):
        agency = groups.get(item.element_id.removeprefix("ut_values_"))
        if agency:
            found[agency] = item.id
    return found

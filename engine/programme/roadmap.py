"""The roadmap's steps (docs/domain.md, the change programme), each with its state worked out from the records
(not started, in progress, done) and the evidence for it, and the owner and date the CS lead gives it.

The CS lead may set a step's state by hand, with a note, for work done outside the system; the page then
says so beside the evidence the records give.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from engine import audit
from engine.errors import NotFound
from engine.programme.inputs import Answers
from engine.programme.readers import require_runner
from engine.runtime.services import Services
from engine.store.programme import ProgrammeStep

# (key, title, what it means)
STEPS = (
    ("governance", "Get the right people on board",
     "A multi-agency governance group oversees the plan and troubleshoots problems."),
    ("champions", "Recruit and train champions", "Trained champions in every agency support their colleagues."),
    ("values", "Agree the values and approach", "Senior leaders of each agency agree the values and approach."),
    ("critical_friends", "Find critical friends",
     "People outside the organisation ask how the system aligns with Contextual Safeguarding."),
    ("map", "Map the current system",
     "A child's and a context's journey, and the level at which children harmed outside the home are held."),
    ("rate", "RAG rate the system",
     "The four domains rated with the System Review Toolkit (most partnerships start mostly amber and red)."),
    ("plan", "Develop a plan",
     "Actions with owners: refer contexts at the front door, school assessments, responses."),
    ("pilot", "Test, pilot and review", "Route changes piloted, then reviewed: what worked, the barriers, the "
                                         "resources needed to embed them."),
    ("rate_again", "RAG rate again and embed", "The system rated again, to show whether the ratings move."),
)
TITLES = {key: title for key, title, _ in STEPS}
STATES = {"not_started": "Not started", "in_progress": "In progress", "done": "Done"}
CHOICES = {"auto": "Work it out from the records", **STATES}


@dataclass(frozen=True)
class Step:
    """One roadmap step as the programme page shows it."""

    key: str
    title: str
    purpose: str
    state: str
    evidence: list[str] = field(default_factory=list)
    owner: str = ""
    due_on: date | None = None
    note: str = ""
    set_by_hand: bool = False

    @property
    def state_words(self) -> str:
        """The state in words."""
        return STATES[self.state]


def roadmap(session: Any, worked_out: dict[str, tuple[str, list[str]]]) -> list[Step]:
    """Every step with its state: set by hand when the CS lead did, else ``worked_out`` (state, evidence)."""
    kept = {row.step: row for row in session.scalars(select(ProgrammeStep))}
    out = []
    for key, title, purpose in STEPS:
        state, evidence = worked_out.get(key, ("not_started", []))
        row = kept.get(key)
        by_hand = row is not None and row.status in STATES
        out.append(Step(key, title, purpose, row.status if by_hand else state, list(evidence),
                        row.owner if row else "", row.due_on if row else None, row.note if row else "", by_hand))
    return out


def set_step(svc: Services, actor: str, key: str, posted: dict[str, Any]) -> None:
    """The owner, target date, state (or 'auto') and note of a step; raises NotFound, InvalidFormData; audited."""
    if key not in TITLES:
        raise NotFound(f"There is no roadmap step '{key}'")
    answers = Answers(posted)
    owner = answers.text("owner", "who owns this step", 120, required=False)
    due_on = answers.day("due_on", "the target date", required=False)
    status = answers.choice("status", "how its state is decided", CHOICES)
    note = answers.text("note", "a note", 2000, required=status != "auto")
    answers.done()
    with svc.db.transaction() as session:
        require_runner(session, actor)
        row = session.get(ProgrammeStep, key) or ProgrammeStep(step=key)
        row.owner, row.due_on, row.status, row.note = owner, due_on, status, note
        row.updated_by, row.updated_at = actor, svc.now()
        session.add(row)
        audit.record(session, at=svc.now(), actor=actor, action="programme_step_set", subject_type="programme_step",
                     subject_id=key, status=status, owner=owner, due_on=due_on.isoformat() if due_on else None)


def step_settings(svc: Services, actor: str, key: str) -> dict[str, Any]:
    """What the step's form shows now (its owner, date, state choice and note); raises NotFound, NotPermitted."""
    if key not in TITLES:
        raise NotFound(f"There is no roadmap step '{key}'")
    with svc.db.read() as session:
        require_runner(session, actor)
        row = session.get(ProgrammeStep, key)
        return {"owner": row.owner if row else "", "due_on": row.due_on.isoformat() if row and row.due_on else "",
                "status": row.status if row else "auto", "note": row.note if row else ""}

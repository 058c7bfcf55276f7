"""Critical friends' questions: a critical friend asks, the CS lead answers on the ``critical_friend_question``
route, and both are kept on the programme page for the partnership to see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import audit
from engine.errors import Conflict, InvalidFormData, NotFound
from engine.programme.inputs import Answers
from engine.programme.readers import audit_view, require_asker, require_reader
from engine.runtime.instances import start_in_session
from engine.runtime.services import Services
from engine.store.models import User, WorkItem
from engine.store.programme import CriticalQuestion
from engine.work.items import complete_work_item

TOPICS = {"programme": "The change programme", "review": "A system review or its ratings",
          "measures": "The measures and insight", "other": "Something else"}
QUESTION_MAX, ANSWER_MAX = 2000, 4000


@dataclass(frozen=True)
class Question:
    """A question, who asked it and when, and its answer (or the task waiting for one)."""

    id: int
    topic: str
    topic_words: str
    question: str
    asked_by: str
    asked_at: datetime
    answer: str
    answered_by: str
    answered_at: datetime | None
    work_item_id: int | None


def raise_question(svc: Services, actor: str, posted: dict[str, Any]) -> int:
    """A critical friend's question becomes a task for the CS lead; returns its id.

    Raises InvalidFormData (no question, no topic, too long) or NotPermitted (not a critical friend). The
    question and its route start in one transaction, so a question never waits without a task.
    """
    answers = Answers(posted)
    topic = answers.choice("topic", "what the question is about", TOPICS)
    text = answers.text("question", "your question", QUESTION_MAX)
    with svc.db.transaction() as session:
        require_asker(session, actor)
        answers.done()
        row = CriticalQuestion(topic=topic, question=text, asked_by=actor, asked_at=svc.now(), answer="")
        session.add(row)
        session.flush()
        asker = _names(session, {actor}).get(actor, actor)
        shown = {"question_id": row.id, "topic": topic, "topic_words": TOPICS[topic], "question": text,
                 "asked_by_name": asker}  # the CS lead's task shows the question it answers
        started = start_in_session(svc, session, "critical_friend_question", shown, actor)
        row.instance_id = started.id
        audit.record(session, at=svc.now(), actor=actor, action="critical_question_raised",
                     subject_type="critical_question", subject_id=row.id, topic=topic)
        return row.id


def answer_question(svc: Services, actor: str, question_id: int, answer: str) -> None:
    """The CS lead's answer: completes the question's task (which records it). Raises InvalidFormData,
    NotFound, Conflict (already answered), NotPermitted (not offered to them) or TaskAlreadyCompleted."""
    text = (answer or "").strip()
    if not text:
        raise InvalidFormData({"question_answer": ["Enter your answer"]})
    if len(text) > ANSWER_MAX:
        raise InvalidFormData({"question_answer": [f"Your answer must be {ANSWER_MAX} characters or fewer"]})
    with svc.db.read() as session:
        row = session.get(CriticalQuestion, question_id)
        if row is None:
            raise NotFound(f"There is no question {question_id}")
        task = _open_task(session, row.instance_id)
        if task is None:
            raise Conflict("This question has already been answered")
    complete_work_item(svc, task, actor, {"question_answer": text})


def list_questions(session: Any) -> list[Question]:
    """Every question, newest first, with its answer or open task."""
    rows = session.scalars(select(CriticalQuestion).order_by(CriticalQuestion.id.desc())).all()
    names = _names(session, {r.asked_by for r in rows} | {r.answered_by for r in rows if r.answered_by})
    tasks = dict(session.execute(select(WorkItem.instance_id, WorkItem.id).where(
        WorkItem.instance_id.in_([r.instance_id for r in rows if r.instance_id]), WorkItem.status == "open")).all())
    return [_view(r, names, tasks.get(r.instance_id)) for r in rows]


def question_page(svc: Services, viewer: str, question_id: int) -> Question:
    """One question for its page; raises NotFound or NotPermitted; audited."""
    with svc.db.transaction() as session:
        require_reader(session, viewer)
        row = session.get(CriticalQuestion, question_id)
        if row is None:
            raise NotFound(f"There is no question {question_id}")
        audit_view(session, svc.now(), viewer, "question", question_id=question_id)
        names = _names(session, {row.asked_by, row.answered_by or ""})
        return _view(row, names, _open_task(session, row.instance_id))


def _open_task(session: Any, instance_id: int | None) -> int | None:
    if instance_id is None:
        return None
    return session.scalar(select(WorkItem.id).where(WorkItem.instance_id == instance_id,
                                                    WorkItem.status == "open").limit(1))


def _names(session: Any, usernames: set[str]) -> dict[str, str]:
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(usernames))).all()
    return {u: d or u for u, d in rows}


def _view(row: CriticalQuestion, names: dict[str, str], work_item_id: int | None) -> Question:
    return Question(row.id, row.topic, TOPICS.get(row.topic, row.topic), row.question,
                    names.get(row.asked_by, row.asked_by), row.asked_at, row.answer,
                    names.get(row.answered_by, row.answered_by or "") if row.answered_by else "", row.answered_at,
                    work_item_id)

"""Turning what happened (a finished task, a referral) into the facts the measures count.

Pure functions over plain rows: the refresh loads the rows, these decide what each one counts as.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from engine.calendar.timescales import TimescaleBook
from engine.insight import catalogue as cat
from engine.insight.catalogue import STEP_MEASURE

NO_DAYS = -1
MAX_DAYS = 999  # longer waits are counted as 999 working days (keeps the histogram bounded)


@dataclass(frozen=True)
class Fact:
    """One thing a measure counts: its day, version, label, detail, working days and whether it met the test."""

    measure: str
    day: date
    version_id: int
    label: str = ""
    detail: str = ""
    days: int = NO_DAYS
    yes: bool = False


@dataclass(frozen=True)
class Step:
    """A finished work item with what the refresh loaded around it."""

    element_id: str
    process_id: str
    version_id: int
    status: str
    created_at: datetime
    completed_at: datetime
    due_at: datetime | None
    completed_by: str | None
    completer_agency: str
    received_at: datetime | None
    harm_types: tuple[str, ...]
    answers: Mapping[str, Any]


def local_day(book: TimescaleBook, at: datetime) -> date:
    """The UK office date of an instant."""
    return book.calendar.to_local(at).date()


def working_days(book: TimescaleBook, start: datetime, end: datetime) -> int:
    """Whole working days from start to end (0 on the same day), capped for the histogram."""
    return max(0, min(MAX_DAYS, book.calendar.working_days_between(start, end)))


def step_facts(book: TimescaleBook, step: Step) -> list[Fact]:
    """Every fact one finished work item contributes, its time at the step included."""
    day, ver = local_day(book, step.completed_at), step.version_id
    facts = [Fact(STEP_MEASURE, day, ver, step.element_id, "due" if step.due_at else "",
                  working_days(book, step.created_at, step.completed_at),
                  step.due_at is not None and step.completed_at > step.due_at)]
    if step.status == "completed":
        facts += _completed_facts(book, step, day, ver)
    elif step.element_id in cat.PLAN_ACTIONS:  # cancelled by the review date: not done on time
        facts.append(Fact("plan_actions", day, ver, _action_agency(step), "cancelled"))
    return facts


def _completed_facts(book: TimescaleBook, step: Step, day: date, ver: int) -> list[Fact]:
    element, answers = step.element_id, step.answers
    if element == cat.CHILD_DECISION:
        return _decision_facts(book, step, day, ver)
    if element == cat.CHILD_ASSESSMENT and step.received_at is not None:
        due = book.due("cfa_assessment", step.received_at)
        return [Fact("assessment_45wd", day, ver, str(answers.get("assessment_outcome") or ""), "",
                     working_days(book, step.received_at, step.completed_at), step.completed_at <= due)]
    if element in cat.CONFERENCES and step.due_at is not None:
        return [Fact("conference_on_time", day, ver, element, "", working_days(book, step.created_at,
                     step.completed_at), step.completed_at <= step.due_at)]
    if element == cat.CONTEXT_DECISION and step.received_at is not None:
        met = step.completed_at <= book.due("context_decision", step.received_at)
        return [Fact("context_decision_time", day, ver, str(answers.get("context_route") or ""), "",
                     working_days(book, step.received_at, step.completed_at), met)]
    if element in cat.CONTEXT_PLANS:
        return [Fact("safety_plans", day, ver, str(answers.get("lead_agency") or ""), element,
                     yes=answers.get("plan_agreed") == "yes")]
    if element in cat.PLAN_ACTIONS:
        on_time = step.due_at is None or step.completed_at <= step.due_at
        done = answers.get("action_status") == "done"
        return [Fact("plan_actions", day, ver, _action_agency(step), str(answers.get("action_status") or ""),
                     yes=done and on_time)]
    if element in cat.REMEASURES:
        return [Fact("remeasured_change", day, ver, str(row.get("direction") or ""),
                     str(row.get("change_or_effort") or ""), yes=row.get("direction") == "better")
                for row in answers.get("measure_results") or [] if isinstance(row, Mapping)]
    if element == cat.CONTEXT_CLOSE:
        reason = str(answers.get("closure_reason") or "")
        return [Fact("goals_met", day, ver, reason, yes=reason == "goals_met")]
    return []


def _decision_facts(book: TimescaleBook, step: Step, day: date, ver: int) -> list[Fact]:
    outcome = str(step.answers.get("threshold_outcome") or "")
    facts = []
    if step.received_at is not None:
        # Working Together 2023: a decision within one working day of the referral being received.
        met = step.completed_at <= book.due("referral_decision", step.received_at)
        facts.append(Fact("referral_decision", day, ver, outcome, "",
                          working_days(book, step.received_at, step.completed_at), met))
    # the screening's harm types (``harm_codes`` on versions before the screening took the referral's key)
    screened = step.answers.get("harm_types") or step.answers.get("harm_codes") or []
    codes = set(step.harm_types) | {str(c) for c in screened}
    if any(code.startswith("EFH-") for code in codes):
        facts.append(Fact("efh_level", day, ver, cat.EFH_LEVELS.get(outcome, outcome or "Not recorded")))
    return facts


def _action_agency(step: Step) -> str:
    """The agency that owns a plan action: as the plan set it, else the agency of whoever finished it."""
    action = step.answers.get("action")
    owner = action.get("owner_agency") if isinstance(action, Mapping) else None
    return str(owner or step.completer_agency or "not recorded")


def referral_facts(book: TimescaleBook, *, subject_type: str, received_at: datetime, version_id: int,
                   source: str, agency: str, context_type: str, previous_end: datetime | None,
                   is_repeat: bool) -> list[Fact]:
    """Facts of a referral: re-referral for a child; type, source and repeat for a context."""
    day = local_day(book, received_at)
    within_year = previous_end is not None and book.calendar.add_months(previous_end, 12) >= received_at
    if subject_type == "child":
        return [Fact("re_referral", day, version_id, source, yes=within_year)]
    return [Fact("context_referrals", day, version_id, context_type, agency or "not recorded"),
            Fact("repeat_context_referrals", day, version_id, context_type, yes=within_year or is_repeat)]

"""Who may read and run the programme (engine/access/rules.py), and the audit row each look leaves."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import active_role
from engine.access.rules import Viewer, can_ask_questions, can_read_programme, can_run_programme
from engine.errors import NotPermitted
from engine.people.directory import groups_of


def viewer(session: Session, username: str) -> Viewer:
    """The access rules' picture of an active user (a disabled or unknown one has no role and no groups)."""
    role = active_role(session, username) or ""
    return Viewer(username, role, frozenset(groups_of(session, username)) if role else frozenset())


def require_reader(session: Session, username: str) -> Viewer:
    """The viewer, if they may read the programme; NotPermitted otherwise (fail closed)."""
    seen = viewer(session, username)
    if not can_read_programme(seen):
        raise NotPermitted("Only the safeguarding partnership, the CS lead, managers, administrators and critical "
                           "friends may read the change programme")
    return seen


def require_runner(session: Session, username: str) -> Viewer:
    """The viewer, if they may change the programme's records; NotPermitted otherwise."""
    seen = viewer(session, username)
    if not can_run_programme(seen):
        raise NotPermitted("Only the CS lead and administrators may change the programme")
    return seen


def require_asker(session: Session, username: str) -> Viewer:
    """The viewer, if they are a critical friend; NotPermitted otherwise."""
    seen = viewer(session, username)
    if not can_ask_questions(seen):
        raise NotPermitted("Only critical friends raise questions here")
    return seen


def audit_view(session: Session, now: Any, username: str, page: str, **details: Any) -> None:
    """One audit row per programme page or export read."""
    audit.record(session, at=now, actor=username, action="programme_viewed", subject_type="programme",
                 subject_id=page, **details)


def local_today(svc: Any) -> date:
    """Today in the council's time zone (programme dates are calendar dates)."""
    return svc.timescales.calendar.to_local(svc.now()).date()

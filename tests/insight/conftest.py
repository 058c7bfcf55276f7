"""Insight tests: the shipped routes on a real database, walked through the real services with the fake clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.cases.intake import log_context_referral, refer_child
from engine.people.directory import add_user
from tests.support.case_data import child_referral, context_referral, deploy_routes
from tests.support.walker import complete, ensure_group_users, walk

FRONT_DOOR = "user_front_door"
QUIET = {"screening_rag": "green", "provisional_level": 1, "harm_types": ["none"], "efh_indicated": "no",
         "consent_status": "given"}
SCREEN = {"harm_severity": "serious", "incident_count": 4, "young_people_count": 6, "guardianship_level": "some"}


def utc(*parts: int) -> datetime:
    """A UTC instant from year, month, day[, hour, minute]."""
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def routes(lite):
    """SQLite services with the shipped routes, one user per group and the insight readers."""
    deploy_routes(lite)
    ensure_group_users(lite)
    add_user(lite, "boss", ["mash_manager"], "test", role="manager")
    add_user(lite, "csl", ["cs_lead"], "test", role="cs_lead")
    add_user(lite, "admin1", ["admin"], "test", role="admin")
    add_user(lite, "friend", ["critical_friend"], "test", role="reviewer")
    add_user(lite, "worker", ["assessment_team"], "test", role="practitioner")
    return lite


def child(n: int, **overrides) -> dict:
    """The n-th fictional child's referral (distinct names and identifiers, so no possible match)."""
    person = {"first_name": f"Robin{n}", "last_name": f"Testcase{n}", "nhs_number": f"999 000 {n:04d}",
              "upn": f"A1234567{n:05d}", "postcode": f"ZZ{n % 2 + 1} 2BB"}
    return child_referral(child=person, **overrides)


def refer(svc, clock, when: datetime, n: int, add_to_case: str | None = None, **overrides):
    """Refer child ``n`` at ``when``; returns the ReferralLogged."""
    clock.set(when)
    return refer_child(svc, child(n, **overrides), FRONT_DOOR, add_to_case=add_to_case)


def decide(svc, clock, instance_id: int, when: datetime, outcome: str = "advice", **more) -> None:
    """Walk the child's route to the threshold decision and take it at ``when`` (earlier steps at referral time)."""
    walk(svc, instance_id, {"task_screening": QUIET}, stop_at="task_threshold_decision")
    clock.set(when)
    complete(svc, instance_id, "task_threshold_decision", {"threshold_outcome": outcome, **more})


def log_context(svc, clock, when: datetime, add_to_case: str | None = None, **overrides):
    """Log a context referral at ``when``; returns the ReferralLogged."""
    clock.set(when)
    return log_context_referral(svc, context_referral(**overrides), FRONT_DOOR, add_to_case=add_to_case)

"""Champions: the register, coverage, and training renewal reminders raised by the scheduler's tick on an
injected clock, once each, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from engine.config import ReminderPolicy, Settings
from engine.errors import Conflict, InvalidFormData, NotPermitted
from engine.people.directory import add_user
from engine.programme.champions import (
    add_champion,
    add_months,
    champion_leaves,
    champions,
    coverage,
    raise_renewal_reminders,
    record_training,
)
from engine.scheduler.tick import due_now, run_tick
from engine.store.clocks import Notification
from engine.store.programme import Champion, ChampionTraining
from tests.conftest import make_services

POLICY = ReminderPolicy()


@pytest.fixture
def people(svc):
    """The CS lead, a police officer who is a champion, and a practitioner."""
    add_user(svc, "lead", ["cs_lead"], "test", role="cs_lead")
    add_user(svc, "elm", ["police"], "test")
    return svc


def _champion(svc, name: str = "Elm Constable", agency: str = "police", username: str | None = "elm") -> int:
    return add_champion(svc, "lead", {"name": name, "agency": agency, "team": "Exploitation team",
                                      "supports": "Response officers", "username": username or ""})


def _reminders(svc) -> list[tuple[str, str]]:
    with svc.db.read() as session:
        return sorted(session.execute(select(Notification.recipient, Notification.kind)
                                      .where(Notification.kind == "training_renewal")).all())


def test_a_renewal_reminder_is_raised_once_when_the_notice_period_starts(people, clock):
    champion = _champion(people)
    renew_by = record_training(people, "lead", champion, {"course": "Champions' course", "completed_on": "2025-04-15"})
    assert renew_by == date(2026, 4, 15)  # twelve months by default
    run_tick(people, "tick-1", policy=POLICY)  # 2 March: 44 days before, outside the 30-day notice
    assert _reminders(people) == [] and due_now(people, POLICY)["programme"] is False
    clock.set(datetime(2026, 3, 16, 9, tzinfo=UTC))  # 30 days before
    assert due_now(people, POLICY)["programme"] is True
    report = run_tick(people, "tick-2", policy=POLICY)
    assert report.programme == 1
    assert _reminders(people) == [("elm", "training_renewal"), ("lead", "training_renewal")]
    clock.set(datetime(2026, 3, 17, 9, tzinfo=UTC))
    assert run_tick(people, "tick-3", policy=POLICY).programme == 0 and len(_reminders(people)) == 2
    with people.db.read() as session:
        (row,) = champions(session, date(2026, 3, 17), 30)
    assert (row.training, row.renew_by) == ("renewal_due", date(2026, 4, 15))


def test_two_schedulers_remind_once(people, clock):
    _champion_id = _champion(people)
    record_training(people, "lead", _champion_id, {"course": "Champions' course", "completed_on": "2025-03-20"})
    barrier, counts = threading.Barrier(2), []

    def remind():
        barrier.wait()
        counts.append(raise_renewal_reminders(people))

    threads = [threading.Thread(target=remind) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(counts) == [0, 1] and len(_reminders(people)) == 2


def test_the_training_period_and_the_notice_are_settings(db_url, clock):
    env = {"FRONTDOOR_CHAMPION_TRAINING_MONTHS": "24", "FRONTDOOR_CHAMPION_RENEWAL_NOTICE_DAYS": "7"}
    svc = replace(make_services(db_url, clock), settings=Settings.from_env(env))
    try:
        add_user(svc, "lead", ["cs_lead"], "test", role="cs_lead")
        champion = _champion(svc, username=None)
        later = _champion(svc, "Fern Teacher", "education", None)
        assert record_training(svc, "lead", champion, {"course": "Course", "completed_on": "2024-03-09"}) == date(
            2026, 3, 9)
        record_training(svc, "lead", later, {"course": "Course", "completed_on": "2024-03-10"})
        assert raise_renewal_reminders(svc) == 1  # 9 March is within 7 days of 2 March; 10 March is not
        assert _reminders(svc) == [("lead", "training_renewal")]  # no account: only the CS lead is told
    finally:
        svc.db.dispose()


def test_a_champion_who_stood_down_is_not_reminded(people, clock):
    champion = _champion(people)
    record_training(people, "lead", champion, {"course": "Course", "completed_on": "2025-03-10"})
    champion_leaves(people, "lead", champion)
    assert raise_renewal_reminders(people) == 0
    with pytest.raises(Conflict):
        champion_leaves(people, "lead", champion)


@pytest.mark.parametrize(("posted", "errors"), [
    ({"course": "", "completed_on": "2026-01-10"}, {"course"}),
    ({"course": "Course", "completed_on": "2026-02-30"}, {"completed_on"}),
    ({"course": "Course", "completed_on": "2026-03-03"}, {"completed_on"}),  # tomorrow
    ({"course": "x" * 201, "completed_on": ""}, {"course", "completed_on"}),
])
def test_bad_training_input_is_refused_with_every_problem_and_changes_nothing(people, posted, errors):
    champion = _champion(people)
    with pytest.raises(InvalidFormData) as caught:
        record_training(people, "lead", champion, posted)
    assert set(caught.value.errors) == errors
    with people.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ChampionTraining)) == 0


def test_bad_champion_input_and_other_people_change_nothing(people):
    with pytest.raises(InvalidFormData) as caught:
        add_champion(people, "lead", {"name": " ", "agency": "mi5", "team": "", "username": "nobody"})
    assert set(caught.value.errors) == {"name", "agency", "team", "username"}
    with pytest.raises(NotPermitted):
        add_champion(people, "elm", {"name": "A", "agency": "police", "team": "B"})
    with people.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Champion)) == 0


def test_coverage_lists_every_agency_so_gaps_show(people):
    trained = _champion(people)
    _champion(people, "Fern Teacher", "education", None)
    record_training(people, "lead", trained, {"course": "Course", "completed_on": "2026-01-10"})
    with people.db.read() as session:
        found = coverage(champions(session, date(2026, 3, 2), 30))
    by_agency = {c.agency: (c.champions, c.trained, c.teams) for c in found}
    assert by_agency["police"] == (1, 1, ["Exploitation team"]) and by_agency["education"] == (1, 0,
                                                                                                ["Exploitation team"])
    assert by_agency["housing"] == (0, 0, []) and len(found) == 10


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2025, 1, 31), 1, date(2025, 2, 28)), (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2025, 11, 15), 3, date(2026, 2, 15))])
def test_add_months_keeps_the_day_or_the_months_last(day, months, expected):
    assert add_months(day, months) == expected

"""Case clocks: due times across weekends, each nation's bank holidays and BST; pause, resume, breach."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import pytest

from engine.alerts.notifications import list_notifications
from engine.calendar.timescales import load_timescales
from engine.clocks.case_clocks import (
    breach_due_clocks,
    clock_history,
    list_clocks,
    pause_clock,
    record_exceed_reason,
    resume_clock,
    start_clock,
    stop_clock,
)
from engine.errors import Conflict, InvalidFormData, NotPermitted
from tests.support.factories import make_user


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def in_nation(svc, tmp_path, nation: str):
    """The same services with the council's calendar set to another UK nation (an overrides file)."""
    overrides = tmp_path / f"{nation}.toml"
    overrides.write_text(f'[calendar]\nnation = "{nation}"\n')
    return dataclasses.replace(svc, timescales=load_timescales(overrides_path=overrides), _functions={})


def test_assessment_clock_is_45_working_days_past_easter_and_may_day_in_bst(svc):
    view = start_clock(svc, "C-1", "cfa_assessment", owner_user="sw")
    # Mon 2 March 09:00 GMT + 45 working days, skipping Good Friday, Easter Monday and 4 May:
    # Thursday 7 May 09:00 BST, which is 08:00 UTC.
    assert view.due_at == at(2026, 5, 7, 8)
    assert view.limit == "45 working days" and view.anchor_event == "referral_received"
    assert view.due_text == "due in 45 working days"


def test_friday_referral_is_due_monday_across_the_clocks_going_forward(svc, clock):
    clock.set(at(2026, 3, 27, 9))  # Friday 09:00 GMT; BST starts Sunday 29 March
    view = start_clock(svc, "C-1", "referral_decision")
    assert view.due_at == at(2026, 3, 30, 8)  # Monday 09:00 BST


@pytest.mark.parametrize(("nation", "anchor", "due"), [
    ("england-and-wales", at(2026, 4, 2, 9), at(2026, 4, 7, 9)),   # Good Friday and Easter Monday (BST)
    ("scotland", at(2026, 4, 2, 9), at(2026, 4, 6, 9)),            # no Easter Monday holiday
    ("northern-ireland", at(2026, 3, 16, 9), at(2026, 3, 18, 9)),  # St Patrick's Day
    ("england-and-wales", at(2026, 3, 16, 9), at(2026, 3, 17, 9)),
    ("scotland", at(2025, 12, 31, 10), at(2026, 1, 5, 10)),        # 1 and 2 January
    ("england-and-wales", at(2025, 12, 31, 10), at(2026, 1, 2, 10)),
    ("northern-ireland", at(2026, 7, 10, 8), at(2026, 7, 14, 8)),  # Twelfth, substitute Monday 13th
])
def test_one_working_day_follows_each_nations_bank_holidays(lite, tmp_path, nation, anchor, due):
    svc = in_nation(lite, tmp_path, nation)
    assert start_clock(svc, "C-1", "referral_decision", anchor_at=anchor).due_at == due


def test_pause_extends_a_working_day_clock_by_the_working_days_paused(svc, clock):
    started = start_clock(svc, "C-1", "cfa_assessment", owner_user="sw")
    clock.set(at(2026, 3, 3, 10))  # Tuesday
    paused = pause_clock(svc, started.id, "Family abroad; agreed with the manager", actor="sw")
    assert paused.status == "paused" and paused.due_text == "paused"
    clock.set(at(2026, 3, 9, 10))  # the next Monday: Wed, Thu, Fri, Mon = 4 working days
    resumed = resume_clock(svc, started.id, actor="sw")
    assert resumed.status == "running"
    assert resumed.due_at == at(2026, 5, 13, 8)  # 7 May + 4 working days
    actions = [e["action"] for e in clock_history(svc, started.id)]
    assert actions == ["clock_started", "clock_paused", "clock_resumed"]


def test_pause_extends_an_hour_clock_by_the_elapsed_time(lite, clock):
    started = start_clock(lite, "C-1", "screening")
    assert started.due_at == at(2026, 3, 3, 9)
    pause_clock(lite, started.id, "waiting for police", actor="fd")
    clock.advance(hours=5, minutes=30)
    assert resume_clock(lite, started.id, actor="fd").due_at == at(2026, 3, 3, 14, 30)


def test_pause_needs_a_reason_and_transitions_are_checked(lite):
    started = start_clock(lite, "C-1", "cfa_assessment")
    with pytest.raises(InvalidFormData):
        pause_clock(lite, started.id, "  ", actor="sw")
    with pytest.raises(Conflict):
        resume_clock(lite, started.id, actor="sw")
    with pytest.raises(Conflict):
        start_clock(lite, "C-1", "cfa_assessment")
    stop_clock(lite, started.id, actor="sw")
    with pytest.raises(Conflict):
        pause_clock(lite, started.id, "late", actor="sw")
    assert start_clock(lite, "C-1", "cfa_assessment").status == "running"  # a new one may start


def test_breach_asks_the_owner_for_a_reason_which_is_recorded(svc, clock):
    make_user(svc, "sw", "mash_social_worker")
    make_user(svc, "pc", "police")
    make_user(svc, "boss", "mash_manager", role="manager")
    started = start_clock(svc, "C-1", "referral_decision", owner_user="sw")
    clock.set(at(2026, 3, 3, 8, 59))
    assert breach_due_clocks(svc) == 0
    clock.set(at(2026, 3, 3, 9, 1))
    assert breach_due_clocks(svc) == 1
    assert breach_due_clocks(svc) == 0  # idempotent
    [view] = list_clocks(svc, "C-1")
    assert view.status == "breached" and view.breached_at == at(2026, 3, 3, 9, 1)
    [note] = list_notifications(svc, "sw")
    assert note.kind == "exceed_reason_needed" and note.subject_id == str(started.id)
    assert "Record the reason" in note.text
    with pytest.raises(NotPermitted):
        record_exceed_reason(svc, started.id, "not mine", actor="pc")
    with pytest.raises(InvalidFormData):
        record_exceed_reason(svc, started.id, "", actor="sw")
    done = record_exceed_reason(svc, started.id, "Police information arrived late", actor="sw")
    assert (done.exceed_reason, done.exceed_reason_by) == ("Police information arrived late", "sw")
    assert record_exceed_reason(svc, started.id, "Also chased twice", actor="boss").exceed_reason_by == "boss"
    assert stop_clock(svc, started.id, actor="sw").status == "stopped"


def test_group_owned_clock_asks_every_member(lite, clock):
    make_user(lite, "a", "mash_social_worker")
    make_user(lite, "b", "mash_social_worker")
    start_clock(lite, "C-2", "referral_decision", owner_group="mash_social_worker")
    clock.advance(days=2)
    breach_due_clocks(lite)
    assert [n.kind for n in list_notifications(lite, "a")] == ["exceed_reason_needed"]
    assert [n.kind for n in list_notifications(lite, "b")] == ["exceed_reason_needed"]


def test_stopping_late_before_the_scheduler_noticed_still_asks_for_a_reason(lite, clock):
    started = start_clock(lite, "C-1", "referral_decision", owner_user="sw")
    clock.advance(days=3)
    view = stop_clock(lite, started.id, actor="sw")
    assert view.status == "stopped" and view.breached_at is not None
    assert [n.kind for n in list_notifications(lite, "sw")] == ["exceed_reason_needed"]

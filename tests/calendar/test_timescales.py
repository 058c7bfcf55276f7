"""Timescales: the shipped defaults, due dates on the calendar, and a council's overrides."""

import dataclasses
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.calendar.timescales import (
    OVERRIDES_ENV,
    InvalidTimescales,
    Timescale,
    UnknownTimescale,
    load_timescales,
)
from engine.errors import FrontdoorError

LONDON = ZoneInfo("Europe/London")

NATIONAL = {"referral_decision", "cfa_assessment", "icpc", "rcpc_first", "rcpc_later"}
CONTEXT = {
    "context_acknowledge", "context_screening", "context_decision", "context_assessment",
    "peer_assessment", "context_conference", "context_plan_circulated", "context_action_overdue_grace",
    "context_review_first", "context_review_later", "context_repeat_watch", "light_review",
    "school_data_collection", "system_review_evidence", "system_review_interim", "system_review_annual",
}  # fmt: skip
LOCAL = {
    "screening", "strategy_discussion", "core_group_first", "acknowledge_referrer", "agency_check",
    "child_seen_s47", "conference_request", "cfa_reminder", "early_help_review", "cin_review",
    "strategy_discussion_immediate", "alert_escalation",
}  # fmt: skip
INFORMATION_RIGHTS = {"subject_access"}  # UK GDPR: the law, but not Working Together


def uk(*parts: int) -> datetime:
    """A UK wall-clock datetime, converted to UTC."""
    return datetime(*parts, tzinfo=LONDON).astimezone(UTC)


@pytest.fixture(autouse=True)
def no_council_overrides(monkeypatch):
    """A developer's own FRONTDOOR_TIMESCALES_OVERRIDES must not change these results."""
    monkeypatch.delenv(OVERRIDES_ENV, raising=False)


@pytest.fixture
def write_toml(tmp_path):
    """Write a TOML file into the test's own directory and return its path."""

    def write(text: str, name: str = "overrides.toml"):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path

    return write


# --- the shipped defaults ---


def test_defaults_hold_every_named_timescale():
    assert set(load_timescales().names()) == NATIONAL | CONTEXT | LOCAL | INFORMATION_RIGHTS


def test_only_working_together_rules_are_national():
    book = load_timescales()
    assert {name for name in book.names() if book.get(name).national} == NATIONAL
    assert all("Working Together" in book.get(name).source for name in NATIONAL)


def test_context_timescales_are_marked_as_proposed_defaults():
    book = load_timescales()
    assert all(book.get(name).source.startswith("proposed default (configurable)") for name in CONTEXT)


@pytest.mark.parametrize(
    ("name", "amount", "unit", "anchor"),
    [
        ("referral_decision", 1, "working_days", "referral_received"),
        ("cfa_assessment", 45, "working_days", "referral_received"),
        ("icpc", 15, "working_days", "strategy_discussion"),
        ("rcpc_first", 3, "months", "icpc"),
        ("rcpc_later", 6, "months", "previous_review"),
        ("screening", 24, "hours", "referral_received"),
        ("core_group_first", 10, "working_days", "icpc"),
        ("context_repeat_watch", 12, "months", "context_closed"),
        ("system_review_evidence", 6, "weeks", "system_review_started"),
    ],
)
def test_default_values(name, amount, unit, anchor):
    timescale = load_timescales().get(name)
    assert (timescale.amount, timescale.unit, timescale.anchor) == (amount, unit, anchor)
    assert timescale.label and timescale.source


def test_default_calendar_is_england_and_wales_without_closures():
    calendar = load_timescales().calendar
    assert calendar.nation == "england-and-wales"
    assert calendar.is_working_day(datetime(2026, 12, 29).date())


def test_timescales_cannot_be_changed_in_place():
    with pytest.raises(dataclasses.FrozenInstanceError):
        load_timescales().get("icpc").amount = 20  # type: ignore[misc]


# --- due dates ---


def test_referral_decision_is_due_the_next_working_day():
    assert load_timescales().due("referral_decision", uk(2026, 3, 27, 17)) == uk(2026, 3, 30, 17)


def test_assessment_is_due_45_working_days_from_referral():
    assert load_timescales().due("cfa_assessment", uk(2026, 1, 5, 9)) == uk(2026, 3, 9, 9)


def test_icpc_skips_easter_and_crosses_the_clock_change():
    # Strategy discussion Wednesday 25 March 2026 11:00 GMT; 15 working days without Good Friday and
    # Easter Monday is Friday 17 April 11:00 BST.
    assert load_timescales().due("icpc", uk(2026, 3, 25, 11)) == uk(2026, 4, 17, 11)


def test_hours_weeks_and_months():
    book = load_timescales()
    assert book.due("screening", uk(2026, 3, 28, 12)) == uk(2026, 3, 29, 13)  # 24 real hours over BST
    assert book.due("cin_review", uk(2026, 3, 2, 10)) == uk(2026, 4, 13, 10)
    assert book.due("rcpc_first", uk(2025, 11, 30, 10)) == uk(2026, 2, 28, 10)


def test_unknown_timescale_names_the_known_ones():
    with pytest.raises(
        UnknownTimescale, match="no timescale called 'icpc_initial'.*known timescales:.*icpc"
    ) as err:
        load_timescales().get("icpc_initial")
    assert err.value.code == "unknown_timescale"
    assert isinstance(err.value, FrontdoorError)


def test_due_with_an_unknown_name_raises_unknown_timescale():
    with pytest.raises(UnknownTimescale):
        load_timescales().due("icpc_initial", uk(2026, 3, 25, 11))


# --- a council's overrides ---


def test_override_changes_amount_unit_and_calendar(write_toml):
    path = write_toml(
        """
        [calendar]
        nation = "scotland"
        closures = ["12-29", 2026-12-30]

        [timescales.strategy_discussion]
        amount = 3
        unit = "days"
        source = "Bexley: within 3 days"
        """
    )
    book = load_timescales(overrides_path=path)
    timescale = book.get("strategy_discussion")
    assert (timescale.amount, timescale.unit, timescale.source) == (3, "days", "Bexley: within 3 days")
    assert book.calendar.nation == "scotland"
    assert not book.calendar.is_working_day(datetime(2027, 12, 29).date())
    assert not book.calendar.is_working_day(datetime(2026, 12, 30).date())
    # Easter Monday is a working day in Scotland.
    assert book.due("referral_decision", uk(2026, 4, 2, 9)) == uk(2026, 4, 6, 9)


def test_override_of_amount_alone_keeps_unit_and_says_it_is_local(write_toml):
    book = load_timescales(overrides_path=write_toml("[timescales.core_group_first]\namount = 5\n"))
    timescale = book.get("core_group_first")
    assert (timescale.amount, timescale.unit) == (5, "working_days")
    assert timescale.source.startswith("local override (overrides.toml)")
    assert book.get("icpc").amount == 15  # untouched


def test_override_path_from_the_environment(write_toml, monkeypatch):
    monkeypatch.setenv(OVERRIDES_ENV, str(write_toml("[timescales.screening]\namount = 8\n")))
    assert load_timescales().get("screening").amount == 8


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("[timescales.icpc_initial]\namount = 10\n", "timescales.icpc_initial is not a known timescale"),
        ('[timescales.icpc]\nunit = "fortnights"\n', "timescales.icpc.unit must be one of"),
        ("[timescales.icpc]\namount = 0\n", "timescales.icpc.amount must be a whole number above 0"),
        ("[timescales.icpc]\namount = -5\n", "timescales.icpc.amount must be a whole number above 0"),
        ('[timescales.icpc]\namount = "10"\n', "timescales.icpc.amount must be a whole number above 0"),
        ("[timescales.icpc]\namount = 2.5\n", "timescales.icpc.amount must be a whole number above 0"),
        ("[timescales.icpc]\namount = true\n", "timescales.icpc.amount must be a whole number above 0"),
        ("[timescales.icpc]\namout = 10\n", "timescales.icpc.amout is not a recognised setting"),
        ('[timescales.icpc]\nanchor = "icpc"\n', "timescales.icpc.anchor is not a recognised setting"),
        ('[calendar]\nnation = "wales"\n', "calendar.nation must be one of"),
        ('[calendar]\nclosures = ["31-12"]\n', "calendar.closures is wrong"),
        ('[calendar]\nclosures = "12-27"\n', "calendar.closures must be a list"),
        ('[calendar]\nregion = "ENG"\n', "calendar.region is not a recognised setting"),
        ("[holidays]\nextra = 1\n", "holidays is not a recognised setting"),
        ("[timescales\n", "is not valid TOML"),
    ],
)
def test_bad_override_is_refused_naming_the_key(write_toml, text, key):
    path = write_toml(text)
    with pytest.raises(InvalidTimescales, match=key) as err:
        load_timescales(overrides_path=path)
    assert err.value.code == "invalid_timescales"
    assert str(path) in err.value.message


def test_missing_overrides_file_is_refused(tmp_path):
    with pytest.raises(InvalidTimescales, match="cannot read timescales file"):
        load_timescales(overrides_path=tmp_path / "absent.toml")


def test_defaults_file_with_a_missing_field_is_refused(write_toml):
    path = write_toml(
        """
        [timescales.icpc]
        amount = 15
        unit = "working_days"
        anchor = "strategy_discussion"
        national = true
        label = "Hold the initial child protection conference"
        """,
        name="timescales.toml",
    )
    with pytest.raises(InvalidTimescales, match="timescales.icpc.source is missing"):
        load_timescales(path)


def test_a_minimal_defaults_file_loads(write_toml):
    path = write_toml(
        """
        [timescales.icpc]
        amount = 15
        unit = "working_days"
        anchor = "strategy_discussion"
        national = true
        source = "Working Together 2023"
        label = "Hold the initial child protection conference"
        """,
        name="timescales.toml",
    )
    book = load_timescales(path)
    assert book.names() == ["icpc"]
    assert book.get("icpc") == Timescale(
        "icpc", 15, "working_days", "strategy_discussion", "Working Together 2023", True,
        "Hold the initial child protection conference",
    )  # fmt: skip


def test_immediate_danger_makes_the_strategy_discussion_due_the_same_working_day():
    book = load_timescales()
    assert book.due("strategy_discussion_immediate", uk(2026, 3, 2, 16, 30)) == uk(2026, 3, 2, 23, 59)
    assert book.due("strategy_discussion_immediate", uk(2026, 4, 3, 10, 0)) == uk(2026, 4, 7, 23, 59)  # Good Friday
    assert book.due("alert_escalation", uk(2026, 3, 2, 16, 30)) == uk(2026, 3, 2, 17, 30)


def test_a_gdpr_month_ends_on_the_corresponding_working_day():
    """UK GDPR's month as the ICO counts it: the corresponding date (else the month's last day), then the next
    working day, due at the end of that day."""
    book = load_timescales()
    assert book.calendar.to_local(book.due("subject_access", uk(2026, 3, 2, 15, 0))) == uk(2026, 4, 2, 23, 59)
    assert book.calendar.to_local(book.due("subject_access", uk(2026, 1, 31, 9, 0))).date().isoformat() == "2026-03-02"
    assert book.calendar.to_local(book.due("subject_access", uk(2026, 3, 6, 9, 0))).date().isoformat() == "2026-04-07"

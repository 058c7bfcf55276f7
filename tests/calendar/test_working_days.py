"""WorkingCalendar: bank holidays per nation, closures, the BST changes and plain-English due dates.

All dates are fixed (2026 unless stated). UK clocks: BST starts Sunday 29 March 2026 01:00 UTC and
ends Sunday 25 October 2026 01:00 UTC.
"""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from engine.calendar.working_days import WorkingCalendar

LONDON = ZoneInfo("Europe/London")


def utc(*parts: int) -> datetime:
    """A UTC datetime from year, month, day, hour[, minute]."""
    return datetime(*parts, tzinfo=UTC)


def uk(*parts: int) -> datetime:
    """A UK wall-clock datetime, converted to UTC."""
    return datetime(*parts, tzinfo=LONDON).astimezone(UTC)


ENGLAND = WorkingCalendar()
SCOTLAND = WorkingCalendar("scotland")
NORTHERN_IRELAND = WorkingCalendar("northern-ireland")


# --- working days and bank holidays ---


def test_weekend_is_skipped():
    assert ENGLAND.add_working_days(uk(2026, 3, 6, 10), 1) == uk(2026, 3, 9, 10)  # Friday -> Monday


def test_zero_working_days_returns_start():
    assert ENGLAND.add_working_days(uk(2026, 3, 7, 10), 0) == uk(2026, 3, 7, 10)


def test_start_on_a_saturday_counts_monday_as_day_one():
    assert ENGLAND.add_working_days(uk(2026, 3, 7, 10), 1) == uk(2026, 3, 9, 10)
    assert ENGLAND.add_working_days(uk(2026, 3, 7, 10), 2) == uk(2026, 3, 10, 10)


def test_negative_working_days_count_back():
    assert ENGLAND.add_working_days(uk(2026, 3, 9, 10), -1) == uk(2026, 3, 6, 10)


def test_easter_in_england_and_wales_skips_good_friday_and_easter_monday():
    assert ENGLAND.add_working_days(uk(2026, 4, 2, 9), 1) == uk(2026, 4, 7, 9)
    assert not ENGLAND.is_working_day(date(2026, 4, 6))


def test_easter_monday_is_a_working_day_in_scotland():
    assert SCOTLAND.is_working_day(date(2026, 4, 6))
    assert SCOTLAND.add_working_days(uk(2026, 4, 2, 9), 1) == uk(2026, 4, 6, 9)


def test_second_of_january_is_a_holiday_only_in_scotland():
    assert ENGLAND.add_working_days(uk(2025, 12, 31, 9), 1) == uk(2026, 1, 2, 9)
    assert SCOTLAND.add_working_days(uk(2025, 12, 31, 9), 1) == uk(2026, 1, 5, 9)


def test_st_andrews_day_is_a_holiday_only_in_scotland():
    assert not SCOTLAND.is_working_day(date(2026, 11, 30))
    assert ENGLAND.is_working_day(date(2026, 11, 30))


def test_st_patricks_day_and_twelfth_of_july_in_northern_ireland():
    assert not NORTHERN_IRELAND.is_working_day(date(2026, 3, 17))
    assert not NORTHERN_IRELAND.is_working_day(date(2027, 7, 12))  # a Monday
    assert not NORTHERN_IRELAND.is_working_day(date(2026, 7, 13))  # 12 July 2026 is a Sunday: observed
    assert ENGLAND.is_working_day(date(2026, 3, 17))
    assert ENGLAND.is_working_day(date(2027, 7, 12))
    assert NORTHERN_IRELAND.add_working_days(uk(2026, 3, 16, 9), 1) == uk(2026, 3, 18, 9)


def test_yearly_and_one_off_closure_days_are_not_working_days():
    closed = WorkingCalendar(closures=["12-29", date(2026, 12, 30)])
    # Christmas Eve 2026 (Thu): 25 Fri and 28 Mon (Boxing Day observed) are bank holidays.
    assert ENGLAND.add_working_days(uk(2026, 12, 24, 9), 1) == uk(2026, 12, 29, 9)
    assert closed.add_working_days(uk(2026, 12, 24, 9), 1) == uk(2026, 12, 31, 9)
    assert not closed.is_working_day(date(2027, 12, 29))  # "MM-DD" recurs
    assert closed.is_working_day(date(2027, 12, 30))  # an ISO date does not


def test_closure_given_as_iso_text():
    assert not WorkingCalendar(closures=["2026-06-01"]).is_working_day(date(2026, 6, 1))


@pytest.mark.parametrize("bad", ["13-01", "12-32", "2026-02-30", "Christmas", "1227"])
def test_bad_closure_day_is_refused(bad):
    with pytest.raises(ValueError, match="closure day"):
        WorkingCalendar(closures=[bad])


def test_unknown_nation_is_refused_naming_the_known_ones():
    with pytest.raises(ValueError, match="known nations: england-and-wales, scotland, northern-ireland"):
        WorkingCalendar("wales")


# --- clock changes ---


def test_working_days_across_the_spring_clock_change_keep_the_wall_clock_time():
    # Friday 27 March 17:00 GMT -> Monday 30 March 17:00 BST, which is 16:00 UTC.
    due = ENGLAND.add_working_days(utc(2026, 3, 27, 17), 1)
    assert due == utc(2026, 3, 30, 16)
    assert ENGLAND.to_local(due).hour == 17


def test_working_days_across_the_autumn_clock_change_keep_the_wall_clock_time():
    # Friday 23 October 17:00 BST (16:00 UTC) -> Monday 26 October 17:00 GMT (17:00 UTC).
    assert ENGLAND.add_working_days(utc(2026, 10, 23, 16), 1) == utc(2026, 10, 26, 17)


def test_hours_are_elapsed_time_but_days_keep_the_wall_clock():
    start = uk(2026, 3, 28, 12)  # Saturday noon GMT
    assert ENGLAND.add_hours(start, 24) == utc(2026, 3, 29, 12)  # 13:00 BST
    assert ENGLAND.add_days(start, 1) == utc(2026, 3, 29, 11)  # 12:00 BST


def test_a_skipped_wall_clock_time_moves_forward_an_hour():
    # 01:30 on 29 March 2026 never happens in the UK; it is read as 02:30 BST.
    assert ENGLAND.add_days(uk(2026, 3, 28, 1, 30), 1) == utc(2026, 3, 29, 1, 30)


def test_a_repeated_wall_clock_time_is_the_first_one():
    # 01:30 happens twice on 25 October 2026; the BST one (00:30 UTC) is used.
    assert ENGLAND.add_days(utc(2026, 10, 24, 0, 30), 1) == utc(2026, 10, 25, 0, 30)


def test_results_are_utc_even_for_a_london_input():
    due = ENGLAND.add_working_days(datetime(2026, 7, 1, 9, tzinfo=LONDON), 1)
    assert due.utcoffset() == timedelta(0)
    assert due == utc(2026, 7, 2, 8)


def test_to_local_shows_bst_in_summer():
    local = ENGLAND.to_local(utc(2026, 7, 1, 12))
    assert (local.hour, local.utcoffset()) == (13, timedelta(hours=1))


# --- months ---


def test_months_clamp_to_the_end_of_a_short_month():
    assert ENGLAND.add_months(uk(2026, 1, 31, 10), 1) == uk(2026, 2, 28, 10)
    assert ENGLAND.add_months(uk(2028, 1, 31, 10), 1) == uk(2028, 2, 29, 10)
    assert ENGLAND.add_months(uk(2026, 3, 31, 10), 1) == uk(2026, 4, 30, 10)


def test_months_keep_the_wall_clock_time_across_the_clock_change():
    # Initial conference 15 January 10:00 GMT; first review within 3 months: 15 April 10:00 BST.
    assert ENGLAND.add_months(utc(2026, 1, 15, 10), 3) == utc(2026, 4, 15, 9)


# --- counting between two times ---


def test_working_days_between_is_signed():
    assert ENGLAND.working_days_between(uk(2026, 3, 6, 10), uk(2026, 3, 9, 9)) == 1
    assert ENGLAND.working_days_between(uk(2026, 3, 9, 9), uk(2026, 3, 6, 10)) == -1
    assert ENGLAND.working_days_between(uk(2026, 3, 9, 9), uk(2026, 3, 9, 17)) == 0


def test_working_days_between_skips_easter():
    assert ENGLAND.working_days_between(uk(2026, 4, 2, 9), uk(2026, 4, 7, 9)) == 1
    assert SCOTLAND.working_days_between(uk(2026, 4, 2, 9), uk(2026, 4, 7, 9)) == 2


@pytest.mark.parametrize("n", [1, 2, 5, 15, 45])
def test_working_days_between_undoes_add_working_days(n):
    for offset in range(14):  # every weekday and weekend start over Easter 2026
        start = uk(2026, 3, 28, 16) + timedelta(days=offset)
        assert ENGLAND.working_days_between(start, ENGLAND.add_working_days(start, n)) == n


# --- plain English ---

NOW = uk(2026, 3, 10, 11)  # Tuesday 10 March 2026, 11:00


@pytest.mark.parametrize(
    ("due", "words"),
    [
        (uk(2026, 3, 10, 17), "due today"),
        (uk(2026, 3, 11, 9), "due tomorrow"),
        (uk(2026, 3, 12, 9), "due in 2 working days"),
        (uk(2026, 3, 16, 9), "due in 4 working days"),
        (uk(2026, 3, 10, 9, 30), "overdue since 09:30 today"),
        (uk(2026, 3, 9, 17), "overdue by 1 working day"),
        (uk(2026, 3, 5, 17), "overdue by 3 working days"),
    ],
)
def test_describe_due(due, words):
    assert ENGLAND.describe_due(due, NOW) == words


def test_describe_due_says_working_day_not_tomorrow_over_a_weekend():
    friday = uk(2026, 3, 13, 11)
    assert ENGLAND.describe_due(uk(2026, 3, 16, 9), friday) == "due in 1 working day"


def test_describe_due_names_a_weekend_day():
    friday = uk(2026, 3, 27, 11)
    assert ENGLAND.describe_due(uk(2026, 3, 29, 11), friday) == "due on Sunday 29 March"
    sunday = uk(2026, 3, 29, 11)
    assert ENGLAND.describe_due(uk(2026, 3, 28, 11), sunday) == "overdue since Saturday 28 March"


def test_describe_due_counts_the_bank_holiday_out():
    maundy_thursday = uk(2026, 4, 2, 11)
    assert ENGLAND.describe_due(uk(2026, 4, 7, 11), maundy_thursday) == "due in 1 working day"
    assert SCOTLAND.describe_due(uk(2026, 4, 7, 11), maundy_thursday) == "due in 2 working days"


# --- naive datetimes ---


@pytest.mark.parametrize(
    "call",
    [
        lambda c, naive: c.add_working_days(naive, 1),
        lambda c, naive: c.add_days(naive, 1),
        lambda c, naive: c.add_hours(naive, 1),
        lambda c, naive: c.add_months(naive, 1),
        lambda c, naive: c.to_local(naive),
        lambda c, naive: c.working_days_between(naive, utc(2026, 3, 9, 9)),
        lambda c, naive: c.describe_due(utc(2026, 3, 9, 9), naive),
    ],
)
def test_naive_datetimes_are_refused(call):
    with pytest.raises(ValueError, match="timezone-aware"):
        call(ENGLAND, datetime(2026, 3, 9, 9))


# --- the end of the working day ---

@pytest.mark.parametrize(("start", "n", "end"), [
    (uk(2026, 3, 2, 9, 0), 1, uk(2026, 3, 2, 23, 59)),  # Monday: the same day
    (uk(2026, 3, 2, 23, 30), 1, uk(2026, 3, 2, 23, 59)),
    (uk(2026, 3, 7, 12, 0), 1, uk(2026, 3, 9, 23, 59)),  # Saturday: Monday
    (uk(2026, 3, 6, 12, 0), 2, uk(2026, 3, 9, 23, 59)),  # Friday, the working day after: Monday
    (uk(2026, 3, 28, 12, 0), 1, uk(2026, 3, 30, 23, 59)),  # across the change to BST: 23:59 UK time
    (uk(2026, 12, 24, 12, 0), 2, uk(2026, 12, 29, 23, 59)),  # Christmas and Boxing Day (moved to Monday 28th)
])
def test_end_of_working_day_counts_the_day_itself_when_it_is_a_working_day(start, n, end):
    assert ENGLAND.end_of_working_day(start, n) == end

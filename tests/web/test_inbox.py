"""The inbox page: my items, my groups' unclaimed items, due words, filters and paging."""

from __future__ import annotations

from engine.work.items import claim
from tests.support.factories import start_demo
from tests.support.web import sign_in


def test_inbox_shows_group_items_with_due_date_in_words(client, started):
    sign_in(client, "fd")
    page = client.get("/inbox").get_data(as_text=True)
    assert "Triage the contact" in page and "C-1" in page
    assert "due tomorrow" in page
    assert "Unclaimed in my groups (1)" in page and "Assigned to me (0)" in page


def test_overdue_items_are_counted_and_filtered(client, started, clock):
    clock.advance(days=3)  # Thursday: triage was due Tuesday 09:00
    sign_in(client, "fd")
    page = client.get("/inbox?due=overdue").get_data(as_text=True)
    assert "Overdue: 1" in page and "overdue by 2 working days" in page
    assert "Triage the contact" not in client.get("/inbox?due=soon").get_data(as_text=True)


def test_filters_by_process_and_group(client, started):
    sign_in(client, "fd")
    assert "Triage the contact" in client.get("/inbox?process=demo_intake").get_data(as_text=True)
    assert "There are no tasks here" in client.get("/inbox?process=nothing_like_it").get_data(as_text=True)
    assert "There are no tasks here" in client.get("/inbox?group=police").get_data(as_text=True)


def test_claimed_items_leave_colleagues_unclaimed_list(client, started, lite):
    claim(lite, started.open_work_items[0]["id"], "fd2")
    sign_in(client, "fd")
    page = client.get("/inbox").get_data(as_text=True)
    assert "Triage the contact" not in page


def test_pages_of_25_with_a_pager(client, started, lite):
    for n in range(26):
        start_demo(lite, case_ref=f"C-{100 + n}")
    sign_in(client, "fd")
    first = client.get("/inbox").get_data(as_text=True)
    assert "27 tasks" in first and "govuk-pagination" in first and first.count(">Triage the contact</a>") == 25
    second = client.get("/inbox?page=2").get_data(as_text=True)
    assert second.count(">Triage the contact</a>") == 2


def test_nonsense_query_values_fall_back_to_defaults(client, started):
    sign_in(client, "fd")
    assert client.get("/inbox?view=everyone&sort=drop+table&page=-3&due=yesterday").status_code == 200

"""The API's work-item list (walked in due order, or one case through its index) gives exactly the inbox's
items and order, for every view, sort, filter and page, on SQLite and PostgreSQL."""

from __future__ import annotations

import itertools

import pytest

from engine.work import inbox as inbox_module
from engine.work.inbox import InboxQuery, inbox, work_page
from engine.work.items import claim, complete_work_item
from tests.support.factories import demo_team, deploy_demo, make_user, start_demo

COMBINATIONS = list(itertools.product(("all", "mine", "groups"), ("due", "priority", "newest"),
                                      ("", "overdue", "soon"), ("", "front_door", "mash_social_worker"),
                                      ("", "demo_intake"), (1, 2, 3)))


@pytest.fixture
def mixed(svc, clock):
    """Dated and undated items: some held by the person, some by a colleague, some offered to them."""
    deploy_demo(svc)
    demo_team(svc)
    make_user(svc, "fd2", "front_door")
    make_user(svc, "both", "front_door", "mash_social_worker")
    triage = []
    for n in range(9):
        triage.append(start_demo(svc, {}, case_ref=f"C-{n % 4}").open_work_items[0]["id"])
        clock.advance(hours=7)  # due dates a working day after each start, so they differ
    for item in triage[:4]:  # routine reviews: offered to the social workers, no due date
        complete_work_item(svc, item, "fd", {"rag": "green"})
    claim(svc, triage[4], "both")
    claim(svc, triage[5], "fd2")
    return svc


@pytest.mark.parametrize("who", ["both", "fd", "sw", "pc"])
def test_every_page_is_the_inbox_page(mixed, monkeypatch, who):
    monkeypatch.setattr(inbox_module, "WALK_BUDGET", 4)  # small: walks that run out and gather are tested too
    for view, sort, due, group, process, page in COMBINATIONS:
        query = InboxQuery(view=view, sort=sort, due=due, group=group, process=process, page=page, per_page=2)
        expected = inbox(mixed, who, query)
        found = work_page(mixed, who, query)
        assert found.items == expected.items, query
        assert found.has_next == (page < expected.pages), query
        assert found.total is None and work_page(mixed, who, query, count=True).total == expected.total


@pytest.mark.parametrize("budget", [4, 1000])
def test_walks_with_and_without_running_out_agree(mixed, monkeypatch, budget):
    monkeypatch.setattr(inbox_module, "WALK_BUDGET", budget)
    everything = work_page(mixed, "both", InboxQuery(per_page=100)).items
    assert [i["id"] for i in everything] == [i["id"] for i in inbox(mixed, "both", InboxQuery(per_page=100)).items]
    dated = [i for i in everything if i["due_at"]]
    assert everything[:len(dated)] == dated  # items with a due date first, in due order, then the rest by id


@pytest.mark.parametrize("case", ["C-0", "C-1", "C-9"])
def test_one_case_is_read_through_its_own_items(mixed, case):
    for view, sort, due in itertools.product(("all", "mine", "groups"), ("due", "priority", "newest"),
                                             ("", "overdue", "soon")):
        query = InboxQuery(view=view, sort=sort, due=due, case=case, per_page=3)
        assert work_page(mixed, "both", query).items == inbox(mixed, "both", query).items, query

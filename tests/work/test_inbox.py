"""The inbox query on SQLite and PostgreSQL: views, counts, filters, sorting and paging."""

from __future__ import annotations

from engine.work.inbox import InboxQuery, inbox
from engine.work.items import claim, complete_work_item
from tests.support.factories import demo_team, deploy_demo, start_demo


def test_views_counts_and_paging(svc, clock):
    deploy_demo(svc)
    demo_team(svc)
    ids = [start_demo(svc, case_ref=f"C-{n}").open_work_items[0]["id"] for n in range(5)]
    claim(svc, ids[0], "fd")
    page = inbox(svc, "fd", InboxQuery(per_page=2))
    assert page.counts == {"mine": 1, "groups": 4, "overdue": 0, "soon": 5}
    assert page.total == 5 and page.pages == 3 and len(page.items) == 2
    assert page.items[0]["due_words"] == "due tomorrow"
    assert [i["id"] for i in inbox(svc, "fd", InboxQuery(view="mine")).items] == [ids[0]]
    clock.advance(days=2)
    assert inbox(svc, "fd", InboxQuery(due="overdue")).total == 5
    assert inbox(svc, "pc").total == 0


def test_completed_items_leave_the_inbox(svc):
    deploy_demo(svc)
    demo_team(svc)
    item = start_demo(svc).open_work_items[0]["id"]
    complete_work_item(svc, item, "fd", {"rag": "red"})
    assert inbox(svc, "fd").total == 0
    assert {i["name"] for i in inbox(svc, "pc").items} == {"Police check"}

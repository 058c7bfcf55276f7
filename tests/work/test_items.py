"""Completing, claiming and reassigning work items, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading

import pytest

from engine.errors import Conflict, InvalidFormData, NotPermitted, TaskAlreadyCompleted
from engine.runtime.instances import get_instance
from engine.work.items import claim, complete_work_item, list_work_items, reassign, unclaim
from tests.support.factories import demo_team, deploy_demo, make_user, start_demo


@pytest.fixture
def started(svc):
    deploy_demo(svc)
    demo_team(svc)
    return start_demo(svc)


def test_first_work_item_is_offered_to_the_lane_group(svc, started):
    [item] = started.open_work_items
    assert item["element_id"] == "triage"
    assert item["groups"] == ["front_door"]
    assert item["due_at"].startswith("2026-03-03T09:00")  # working_days(1) from Monday 09:00


def test_only_a_member_of_the_group_may_complete(svc, started):
    item = started.open_work_items[0]
    with pytest.raises(NotPermitted):
        complete_work_item(svc, item["id"], "pc", {"rag": "red"})
    assert get_instance(svc, started.id).open_work_items[0]["status"] == "open"


def test_invalid_data_names_the_field_and_changes_nothing(svc, started):
    item = started.open_work_items[0]
    before = get_instance(svc, started.id)
    with pytest.raises(InvalidFormData) as err:
        complete_work_item(svc, item["id"], "fd", {"rag": "purple", "summary": "x" * 3000})
    assert set(err.value.errors) == {"rag", "summary"}
    after = get_instance(svc, started.id)
    assert after.open_work_items == before.open_work_items and after.history == before.history


def test_completing_advances_through_gateway_service_and_dmn(svc, started):
    item = started.open_work_items[0]
    view = complete_work_item(svc, item["id"], "fd", {"rag": "red"})
    assert sorted(w["element_id"] for w in view.open_work_items) == ["health_check", "police_check"]


def test_second_completion_reports_who_and_when(svc, started, clock):
    item = started.open_work_items[0]
    complete_work_item(svc, item["id"], "fd", {"rag": "green"})
    make_user(svc, "fd2", "front_door")
    with pytest.raises(TaskAlreadyCompleted) as err:
        complete_work_item(svc, item["id"], "fd2", {"rag": "green"})
    assert err.value.details["completed_by"] == "fd"
    assert err.value.details["completed_at"] == clock().isoformat()


def test_eight_threads_completing_one_item_exactly_one_wins(svc, started):
    for n in range(8):
        make_user(svc, f"worker{n}", "front_door")
    item_id = started.open_work_items[0]["id"]
    results: list[object] = []
    barrier = threading.Barrier(8)

    def attempt(n: int) -> None:
        barrier.wait()
        try:
            complete_work_item(svc, item_id, f"worker{n}", {"rag": "green"})
            results.append("ok")
        except TaskAlreadyCompleted as exc:
            results.append(exc)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results.count("ok") == 1
    losers = [r for r in results if r != "ok"]
    assert len(losers) == 7
    winner = next(w for w in list_work_items(svc, instance_id=started.id, status="completed"))
    assert all(r.details["completed_by"] == winner["completed_by"] for r in losers)
    view = get_instance(svc, started.id)
    assert [w["element_id"] for w in view.open_work_items] == ["routine_review"]
    assert sum(1 for h in view.history if h["action"] == "task_completed") == 1


def test_claim_race_one_winner_and_conflict_names_holder(svc, started):
    make_user(svc, "fd2", "front_door")
    item_id = started.open_work_items[0]["id"]
    claim(svc, item_id, "fd")
    with pytest.raises((Conflict, NotPermitted)):
        claim(svc, item_id, "fd2")
    with pytest.raises(NotPermitted):
        complete_work_item(svc, item_id, "fd2", {"rag": "green"})
    unclaim(svc, item_id, "fd")
    assert claim(svc, item_id, "fd2")["assignee"] == "fd2"


def test_reassign_needs_a_reason_and_is_audited(svc, started):
    item_id = started.open_work_items[0]["id"]
    make_user(svc, "boss", "mash_manager", role="manager")
    with pytest.raises(InvalidFormData):
        reassign(svc, item_id, "boss", " ", to_group="mash_social_worker")
    moved = reassign(svc, item_id, "boss", "Needs a social worker", to_group="mash_social_worker")
    assert moved["groups"] == ["mash_social_worker"]
    assert [w["id"] for w in list_work_items(svc, user="sw")] == [item_id]
    assert list_work_items(svc, user="fd") == []


def test_inbox_for_user_lists_own_and_group_items(svc, started):
    assert [w["id"] for w in list_work_items(svc, user="fd")] == [started.open_work_items[0]["id"]]
    assert list_work_items(svc, user="pc") == []


def test_outcome_lists_exactly_the_open_items_a_fresh_read_finds(svc, started):
    """The outcome is built from the step's own inserts when it created every open item, else read back."""
    assert started.open_work_items == get_instance(svc, started.id).open_work_items
    view = complete_work_item(svc, started.open_work_items[0]["id"], "fd", {"rag": "red"})
    assert len(view.open_work_items) == 2  # both branches of the parallel gateway: made by this step
    assert view.open_work_items == get_instance(svc, started.id).open_work_items
    police = next(w for w in view.open_work_items if w["element_id"] == "police_check")
    view = complete_work_item(svc, police["id"], "pc", {"note": "No trace"})
    assert [w["element_id"] for w in view.open_work_items] == ["health_check"]  # kept from before: read back
    assert view.open_work_items == get_instance(svc, started.id).open_work_items


def test_answers_can_be_read_with_the_items_own_form(svc, started):
    """The web shell hands over its post and the engine reads it with the form it loaded for the item."""
    seen = []

    def read_answers(form):
        seen.append(form.id if form else None)
        return {"rag": "purple"}

    with pytest.raises(InvalidFormData):
        complete_work_item(svc, started.open_work_items[0]["id"], "fd", read_answers=read_answers)
    assert seen == ["demo_triage"]
    assert get_instance(svc, started.id).open_work_items == started.open_work_items  # nothing changed
    view = complete_work_item(svc, started.open_work_items[0]["id"], "fd", read_answers=lambda form: {"rag": "red"})
    assert len(view.open_work_items) == 2


def test_claim_answers_what_a_fresh_read_finds_and_audits_once(svc, started):
    """The claim answers without reading the item back: its answer must still be the stored item."""
    item_id = started.open_work_items[0]["id"]
    claimed = claim(svc, item_id, "fd")
    assert claimed["assignee"] == "fd"
    assert claimed == get_instance(svc, started.id).open_work_items[0]
    claims = [h for h in get_instance(svc, started.id).history if h["action"] == "task_claimed"]
    assert len(claims) == 1 and claims[0]["actor"] == "fd"

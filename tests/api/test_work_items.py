"""Work items through the API: list and page, claim, unclaim, reassign, complete; problem+json on refusal."""

from __future__ import annotations

import pytest

from engine.services.instances import get_instance
from tests.factories import start_demo

PROBLEM = "application/problem+json"


def test_the_inbox_lists_offered_items_with_pagination_and_links(client, tokens, started, item):
    response = client.get("/api/v1/work-items?per_page=1", headers=tokens["fd"])
    assert response.status_code == 200
    body = response.json
    assert [i["id"] for i in body["items"]] == [item]
    assert body["pagination"] == {"page": 1, "per_page": 1, "total": 1, "pages": 1}
    assert 'rel="first"' in response.headers["Link"]
    assert client.get("/api/v1/work-items", headers=tokens["pc"]).json["items"] == []


def test_paging_is_stable_and_filters_by_case(client, tokens, lite):
    ids = [start_demo(lite, case_ref=f"C-{n}").open_work_items[0]["id"] for n in range(5)]
    seen = []
    for page in (1, 2, 3):
        response = client.get(f"/api/v1/work-items?per_page=2&page={page}", headers=tokens["fd"])
        seen += [i["id"] for i in response.json["items"]]
    assert sorted(seen) == sorted(ids) and len(set(seen)) == 5
    one = client.get("/api/v1/work-items?case=C-3", headers=tokens["fd"]).json
    assert [i["case_ref"] for i in one["items"]] == ["C-3"]
    assert 'rel="next"' in client.get("/api/v1/work-items?per_page=2", headers=tokens["fd"]).headers["Link"]


def test_complete_validates_against_the_form(client, tokens, item):
    response = client.post(f"/api/v1/work-items/{item}/complete", json={"data": {"summary": "x"}},
                           headers=tokens["fd"])
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert response.json["code"] == "invalid_form_data" and "rag" in response.json["errors"]


def test_complete_advances_and_a_second_completion_names_who_and_when(client, tokens, lite, started, item):
    response = client.post(f"/api/v1/work-items/{item}/complete", json={"data": {"rag": "red"}},
                           headers=tokens["fd"])
    assert response.status_code == 200 and response.json["instance_id"] == started.id
    again = client.post(f"/api/v1/work-items/{item}/complete", json={"data": {"rag": "red"}},
                        headers=tokens["fd2"])
    assert again.status_code == 409 and again.mimetype == PROBLEM
    assert again.json["code"] == "task_already_completed" and again.json["completed_by"] == "fd"
    assert again.json["completed_at"].startswith("2026-03-02T09:00")
    history = get_instance(lite, started.id).history
    assert [e["actor"] for e in history if e["action"] == "task_completed"] == ["fd"]


def test_claim_unclaim_and_reassign(client, tokens, item):
    claimed = client.post(f"/api/v1/work-items/{item}/claim", headers=tokens["fd"])
    assert claimed.status_code == 200 and claimed.json["assignee"] == "fd"
    refused = client.post(f"/api/v1/work-items/{item}/claim", headers=tokens["fd2"])
    assert refused.status_code == 403 and refused.json["code"] == "not_permitted"
    assert client.post(f"/api/v1/work-items/{item}/unclaim", headers=tokens["fd"]).json["assignee"] is None
    moved = client.post(f"/api/v1/work-items/{item}/reassign", json={"reason": "leave", "to_user": "fd2"},
                        headers=tokens["fd"])
    assert moved.status_code == 200 and moved.json["assignee"] == "fd2"
    bad = client.post(f"/api/v1/work-items/{item}/reassign", json={"reason": "x", "to_user": "a", "to_group": "b"},
                      headers=tokens["fd2"])
    assert bad.status_code == 422 and bad.json["code"] == "invalid_form_data" and "to" in bad.json["errors"]


def test_unknown_members_and_wrong_types_are_per_field_errors(client, tokens, item):
    response = client.post(f"/api/v1/work-items/{item}/complete", json={"data": [], "extra": 1},
                           headers=tokens["fd"])
    assert response.status_code == 422 and response.json["code"] == "invalid_form_data"
    assert set(response.json["errors"]) == {"data", "extra"}


def test_missing_item_is_not_found(client, tokens):
    response = client.post("/api/v1/work-items/999999/claim", headers=tokens["fd"])
    assert response.status_code == 404 and response.json["code"] == "not_found"


@pytest.mark.parametrize("view", ["mine", "groups", "all"])
def test_views_and_due_filters_are_accepted(client, tokens, started, view):
    response = client.get(f"/api/v1/work-items?view={view}&due=overdue", headers=tokens["fd"])
    assert response.status_code == 200 and response.json["items"] == []

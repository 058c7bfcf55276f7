"""Work items through the API: list and page, read one, claim, unclaim, reassign, complete; problem+json on refusal."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.runtime.instances import get_instance
from engine.store.models import AuditEvent
from tests.support.factories import start_demo

PROBLEM = "application/problem+json"


def test_the_inbox_lists_offered_items_with_pagination_and_links(client, tokens, started, item):
    response = client.get("/api/v1/work-items?per_page=1", headers=tokens["fd"])
    assert response.status_code == 200
    body = response.json
    assert [i["id"] for i in body["items"]] == [item]
    assert body["pagination"] == {"page": 1, "per_page": 1, "has_next": False}
    assert 'rel="first"' in response.headers["Link"] and 'rel="last"' not in response.headers["Link"]
    assert client.get("/api/v1/work-items", headers=tokens["pc"]).json["items"] == []


def test_the_whole_list_is_counted_only_when_asked(client, tokens, lite):
    for n in range(3):
        start_demo(lite, case_ref=f"C-{n}")
    counted = client.get("/api/v1/work-items?per_page=2&count=true", headers=tokens["fd"])
    assert counted.json["pagination"] == {"page": 1, "per_page": 2, "has_next": True, "total": 3, "pages": 2}
    assert 'rel="last"' in counted.headers["Link"] and "count=True" in counted.headers["Link"]
    last = client.get("/api/v1/work-items?per_page=2&page=2", headers=tokens["fd"]).json["pagination"]
    assert last == {"page": 2, "per_page": 2, "has_next": False}


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
    client.post(f"/api/v1/work-items/{item}/claim", headers=tokens["fd"])
    moved = client.post(f"/api/v1/work-items/{item}/reassign", json={"reason": "On leave from today", "to_user": "fd2"},
                        headers=tokens["fd"])
    assert moved.status_code == 200 and moved.json["assignee"] == "fd2"
    bad = client.post(f"/api/v1/work-items/{item}/reassign",
                      json={"reason": "Both at once is wrong", "to_user": "a", "to_group": "b"}, headers=tokens["fd2"])
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


def _looks(svc, item: int) -> list[tuple[str, str, str]]:
    """Who looked at the work item, how it went, and through which section."""
    with svc.db.read() as session:
        rows = session.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.details).where(
            AuditEvent.subject_type == "work_item", AuditEvent.subject_id == str(item),
            AuditEvent.action.in_(("task_viewed", "case_view_refused"))).order_by(AuditEvent.id)).all()
    return [(actor, action, details["section"]) for actor, action, details in rows]


def test_one_item_reads_as_the_list_shows_it(client, tokens, item):
    listed = client.get("/api/v1/work-items", headers=tokens["fd"]).json["items"][0]
    response = client.get(f"/api/v1/work-items/{item}", headers=tokens["fd"])
    one = dict(response.json)
    assert response.status_code == 200 and one.pop("context") == [] and one == listed  # the demo task shows nothing
    assert response.json["groups"] == ["front_door"] and "due_words" in response.json


# The task page's rule (engine/access/rules.py can_view_item): offered to front_door, so its members see it,
# whatever their role; a manager outside the group, other agencies and the administrator do not.
@pytest.mark.parametrize(("user", "status"), [("fd", 200), ("fd2", 200), ("boss", 403), ("pc", 403), ("sw", 403),
                                              ("root", 403)])
def test_reading_one_item_follows_the_task_page_rule_and_every_look_is_audited(client, tokens, lite, item, user,
                                                                                status):
    response = client.get(f"/api/v1/work-items/{item}", headers=tokens[user])
    assert response.status_code == status
    if status == 403:
        assert response.mimetype == PROBLEM and response.json["code"] == "not_permitted"
        assert "Traceback" not in response.get_data(as_text=True)
    assert _looks(lite, item) == [(user, "task_viewed" if status == 200 else "case_view_refused", "api")]


def test_the_holder_and_the_completer_still_see_it(client, tokens, lite, item):
    client.post(f"/api/v1/work-items/{item}/reassign", json={"reason": "Police to cover this", "to_user": "pc"},
                headers=tokens["boss"])
    held = client.get(f"/api/v1/work-items/{item}", headers=tokens["pc"])
    assert held.status_code == 200 and held.json["assignee"] == "pc"
    client.post(f"/api/v1/work-items/{item}/complete", json={"data": {"rag": "red"}}, headers=tokens["pc"])
    done = client.get(f"/api/v1/work-items/{item}", headers=tokens["pc"])
    assert done.status_code == 200 and done.json["status"] == "completed" and done.json["completed_by"] == "pc"
    assert client.get(f"/api/v1/work-items/{item}", headers=tokens["sw"]).status_code == 403


def test_an_unknown_item_is_a_not_found_problem(client, tokens, started):
    for path in ("/api/v1/work-items/999999", "/api/v1/work-items/2147483647"):
        response = client.get(path, headers=tokens["fd"])
        assert response.status_code == 404 and response.mimetype == PROBLEM and response.json["code"] == "not_found"
    assert client.get("/api/v1/work-items/0", headers=tokens["fd"]).status_code == 404


def test_one_item_has_an_etag_that_changes_when_it_does(client, tokens, item):
    first = client.get(f"/api/v1/work-items/{item}", headers=tokens["fd"])
    etag = first.headers["ETag"]
    same = client.get(f"/api/v1/work-items/{item}", headers={**tokens["fd"], "If-None-Match": etag})
    assert same.status_code == 304 and same.get_data() == b""
    client.post(f"/api/v1/work-items/{item}/claim", headers=tokens["fd"])
    changed = client.get(f"/api/v1/work-items/{item}", headers={**tokens["fd"], "If-None-Match": etag})
    assert changed.status_code == 200 and changed.json["assignee"] == "fd"

"""Task pages: the form, validation errors, drafts, completion, and a task someone else finished."""

from __future__ import annotations

from engine.runtime.instances import get_instance
from tests.support.web import csrf, sign_in


def _triage(started) -> int:
    return started.open_work_items[0]["id"]


def _submit(client, item: int, data: dict):
    token = csrf(client, f"/tasks/{item}")
    return client.post(f"/tasks/{item}", data={**data, "csrf_token": token})


def test_task_page_shows_instructions_due_date_and_form(client, started):
    sign_in(client, "fd")
    page = client.get(f"/tasks/{_triage(started)}").get_data(as_text=True)
    assert "Triage the contact" in page and "Decide how urgent this is." in page
    assert "due tomorrow" in page
    assert 'type="radio" value="red"' in page and 'name="summary"' in page


def test_missing_answer_shows_error_summary_and_field_message(client, started, lite):
    sign_in(client, "fd")
    item = _triage(started)
    response = _submit(client, item, {"summary": "Worried about the park", "action": "complete"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "govuk-error-summary" in page and 'href="#rag"' in page
    assert "govuk-error-message" in page
    assert "Worried about the park" in page  # what was typed comes back
    assert page.count("<title>Error: ") == 1
    assert get_instance(lite, started.id).open_work_items[0]["status"] == "open"


def test_completing_shows_what_happens_next(client, started, lite):
    sign_in(client, "fd")
    item = _triage(started)
    response = _submit(client, item, {"rag": "red", "action": "complete"})
    assert response.status_code == 302 and response.headers["Location"] == f"/tasks/{item}/done"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Task complete" in page and "What happens next" in page
    assert "Police check" in page and "Health check" in page


def test_completing_a_task_someone_else_finished_shows_who_and_when(app, client, started, lite):
    item = _triage(started)
    sign_in(client, "fd2")
    token = csrf(client, f"/tasks/{item}")  # fd2 opened the page before fd finished
    first = app.test_client()
    sign_in(first, "fd")
    _submit(first, item, {"rag": "green", "action": "complete"})
    before = get_instance(lite, started.id)
    response = client.post(f"/tasks/{item}", data={"rag": "red", "action": "complete", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "already been completed" in page and "by fd" in page and "2 March 2026 at 9:00am" in page
    after = get_instance(lite, started.id)
    assert after.open_work_items == before.open_work_items and after.status == before.status
    assert [e["actor"] for e in after.history if e["action"] == "task_completed"] == ["fd"]


def test_a_draft_is_kept_and_shown_when_you_come_back(client, started):
    sign_in(client, "fd")
    item = _triage(started)
    response = _submit(client, item, {"rag": "amber", "summary": "half done", "action": "draft"})
    assert response.status_code == 302 and "notice=draft" in response.headers["Location"]
    page = client.get(f"/tasks/{item}").get_data(as_text=True)
    assert 'value="amber" checked' in page and "half done" in page


def test_someone_outside_the_groups_cannot_open_or_complete_the_task(client, started):
    sign_in(client, "pc")
    item = _triage(started)
    assert client.get(f"/tasks/{item}").status_code == 403
    token = csrf(client, "/inbox")
    response = client.post(f"/tasks/{item}", data={"rag": "red", "action": "complete", "csrf_token": token})
    assert response.status_code == 403


def test_claim_then_give_back(client, started):
    sign_in(client, "fd")
    item = _triage(started)
    response = client.post(f"/tasks/{item}/claim", data={"csrf_token": csrf(client, "/inbox")})
    assert response.status_code == 302
    assert "Assigned to me (1)" in client.get("/inbox").get_data(as_text=True)
    client.post(f"/tasks/{item}/unclaim", data={"csrf_token": csrf(client, "/inbox")})
    assert "Assigned to me (0)" in client.get("/inbox").get_data(as_text=True)


def test_reassign_needs_a_reason_and_records_it(client, started, lite):
    sign_in(client, "fd")
    item = _triage(started)
    client.post(f"/tasks/{item}/claim", data={"csrf_token": csrf(client, "/inbox")})
    token = csrf(client, f"/tasks/{item}/reassign")
    refused = client.post(f"/tasks/{item}/reassign", data={"to": "user", "to_user": "fd2", "csrf_token": token})
    assert refused.status_code == 422 and 'href="#reason"' in refused.get_data(as_text=True)
    done = client.post(f"/tasks/{item}/reassign", data={"to": "user", "to_user": "fd2", "reason": "On leave from today",
                                                          "csrf_token": token})
    assert done.status_code == 302
    reassigned = [e for e in get_instance(lite, started.id).history if e["action"] == "task_reassigned"]
    assert reassigned[0]["details"]["reason"] == "On leave from today"

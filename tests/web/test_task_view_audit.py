"""A refused look at a task page is audited, as the API's refused read of a work item is."""

from __future__ import annotations

from tests.support.audit import audit_rows
from tests.support.web import sign_in


def test_f9_a_refused_task_page_view_is_audited(client, lite, started):
    item = started.open_work_items[0]["id"]
    sign_in(client, "pc")  # police: the triage task is not offered to them
    assert client.get(f"/tasks/{item}").status_code == 403
    refused = [(e.actor, e.subject_type, e.subject_id, e.details["section"], e.details["case_ref"])
               for e in audit_rows(lite, "case_view_refused")]
    assert refused == [("pc", "work_item", str(item), "task", "C-1")]
    assert audit_rows(lite, "task_viewed", "pc") == []


def test_f9_refused_reassign_and_done_pages_are_audited_too(client, lite, started):
    item = started.open_work_items[0]["id"]
    sign_in(client, "pc")
    assert client.get(f"/tasks/{item}/reassign").status_code == 403
    assert client.get(f"/tasks/{item}/done").status_code == 403
    sections = [e.details["section"] for e in audit_rows(lite, "case_view_refused", "pc")]
    assert sections == ["task", "task_done"]


def test_f9_an_allowed_view_is_still_one_task_viewed_row(client, lite, started):
    item = started.open_work_items[0]["id"]
    sign_in(client, "fd")
    assert client.get(f"/tasks/{item}").status_code == 200
    assert [e.actor for e in audit_rows(lite, "task_viewed")] == ["fd"]
    assert audit_rows(lite, "case_view_refused") == []

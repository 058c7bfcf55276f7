"""Form admin pages: admins only; the editor page, its JSON, Check, Save and Delete with CSRF."""

from __future__ import annotations

import json

import pytest

from engine.processes.form_editing import get_form
from engine.processes.versions import list_processes
from tests.support.case_data import staff_plan_agencies
from tests.support.web import csrf, sign_in

PAGES = ["/admin/forms", "/admin/forms/ctx_referral/edit", "/admin/forms/ctx_referral.json"]
POSTS = ["/admin/forms/ctx_referral/check", "/admin/forms/ctx_referral/save", "/admin/forms/ctx_referral/delete"]


@pytest.fixture
def root(routes_app, lite):
    """A browser signed in as the administrator of the shipped routes (saving a form redeploys them)."""
    staff_plan_agencies(lite)
    client = routes_app.test_client()
    sign_in(client, "root")
    return client


def _send(client, path: str, body: bytes | str, token: str | None = None):
    token = csrf(client, "/admin/forms/ctx_referral/edit") if token is None else token
    return client.post(path, data=body, headers={"X-CSRF-Token": token, "Content-Type": "application/json"})


def _with_thanks(lite) -> str:
    form = json.loads(get_form(lite, "ctx_referral"))
    form["components"].append({"type": "text", "text": "Thank you for telling us.", "id": "thanks"})
    return json.dumps(form)


@pytest.mark.parametrize("path", PAGES)
def test_admins_reach_every_form_page(root, path):
    assert root.get(path).status_code == 200


@pytest.mark.parametrize("path", PAGES + POSTS)
@pytest.mark.parametrize("user", ["fd", "mgr", "sw", "rev"])
def test_only_admins_reach_form_pages(routes_app, user, path):
    client = routes_app.test_client()
    sign_in(client, user)
    if path in PAGES:
        assert client.get(path).status_code == 403
    else:
        assert client.post(path, data={"csrf_token": csrf(client, "/inbox")}).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_signed_out_people_are_sent_to_sign_in(routes_app, path):
    response = routes_app.test_client().get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_the_list_shows_forms_and_the_processes_using_them(root):
    page = root.get("/admin/forms").get_data(as_text=True)
    assert "ctx_referral" in page and "context_referral" in page and "/admin/forms/ctx_referral/edit" in page


def test_the_editor_page_loads_the_bundle_without_inline_script(root):
    response = root.get("/admin/forms/ctx_referral/edit")
    page, policy = response.get_data(as_text=True), response.headers["Content-Security-Policy"]
    assert "vendor/bpmn-modeller/form-editor.umd.js" in page and "js/admin-form-editor.mjs" in page
    scripts = next(part for part in policy.split("; ") if part.startswith("script-src"))
    assert "'unsafe-inline'" not in scripts and "style-src 'self' 'unsafe-inline'" in policy
    assert "'unsafe-inline'" not in root.get("/admin/forms").headers["Content-Security-Policy"]


def test_the_json_is_the_stored_form(root, lite):
    assert root.get("/admin/forms/ctx_referral.json").data == get_form(lite, "ctx_referral")


def test_check_reports_a_renamed_field_a_condition_reads(root, lite):
    renamed = get_form(lite, "ctx_referral").replace(b'"key": "children_at_immediate_risk"', b'"key": "at_risk"')
    problems = _send(root, "/admin/forms/ctx_referral/check", renamed).get_json()["problems"]
    assert [p["element_id"] for p in problems] == ["Flow_gw_immediate_risk__svc_start_child_referral"]


def test_check_passes_a_valid_edit_and_says_what_saving_will_do(root, lite):
    result = _send(root, "/admin/forms/ctx_referral/check", _with_thanks(lite)).get_json()
    assert result["problems"] == []
    [version] = result["plan"]["versions"]
    assert version["sentences"][0] == ("Context referral: version 2 becomes the current version, built from "
                                       "version 1.")


def test_save_refuses_problems_with_422(root, lite):
    response = _send(root, "/admin/forms/ctx_referral/save", "{broken")
    assert response.status_code == 422 and response.get_json()["problems"]


def test_save_creates_a_new_version_of_each_process_using_the_form(root, lite):
    result = _send(root, "/admin/forms/ctx_referral/save", _with_thanks(lite)).get_json()
    assert result == {"problems": [], "created": True,
                      "versions": [{"process_id": "context_referral", "version": 2, "created": True}]}
    newest = {p.process_id: p.versions[0] for p in list_processes(lite)}["context_referral"]
    assert (newest.number, newest.deployed_by) == (2, "root")


def test_posts_without_the_csrf_token_are_refused(root, lite):
    for path in POSTS:
        assert _send(root, path, _with_thanks(lite), token="").status_code == 400
    assert {p.process_id: p.versions[0].number for p in list_processes(lite)}["context_referral"] == 1


def test_deleting_a_used_form_is_refused_naming_the_processes(root):
    response = root.post("/admin/forms/ctx_referral/delete",
                         data={"csrf_token": csrf(root, "/admin/forms")})
    assert response.status_code == 409 and "context_referral" in response.get_data(as_text=True)

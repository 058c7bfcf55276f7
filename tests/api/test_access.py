"""Every API endpoint needs a live token with the right scope, and never shows more than its user may see."""

from __future__ import annotations

import pytest

from engine.people.accounts import set_active
from engine.people.tokens import SCOPES, create_token, revoke_token
from engine.runtime.instances import get_instance
from tests.support.factories import FIXTURES

ENDPOINTS = [  # (method, path, scope, json body)
    ("POST", "/api/v1/contexts", "referrals:write", {"data": {}}),
    ("POST", "/api/v1/children", "referrals:write", {"data": {}}),
    ("GET", "/api/v1/cases/X-1", "cases:read", None),
    ("GET", "/api/v1/cases/X-1/record", "cases:read", None),
    ("GET", "/api/v1/cases?q=park", "cases:read", None),
    ("GET", "/api/v1/work-items", "work:read", None),
    ("GET", "/api/v1/work-items/{item}", "work:read", None),
    ("POST", "/api/v1/work-items/{item}/claim", "work:write", None),
    ("POST", "/api/v1/work-items/{item}/unclaim", "work:write", None),
    ("POST", "/api/v1/work-items/{item}/reassign", "work:write", {"reason": "r", "to_group": "police"}),
    ("POST", "/api/v1/work-items/{item}/complete", "work:write", {"data": {"rag": "red"}}),
    ("POST", "/api/v1/work-items/reassign", "work:write", {"ids": [1], "reason": "Covering today", "to_user": "fd2"}),
    ("GET", "/api/v1/notifications", "work:read", None),
    ("POST", "/api/v1/notifications/1/acknowledge", "work:write", None),
    ("GET", "/api/v1/team", "work:read", None),
    ("POST", "/api/v1/team/allocations", "work:write", {"case_ref": "CX-000001", "worker": "fd2"}),
    ("POST", "/api/v1/team/handovers", "work:write", {"person": "fd", "reason": "On leave from today"}),
    ("GET", "/api/v1/instances/{instance}", "cases:read", None),
    ("GET", "/api/v1/processes", "processes:read", None),
    ("POST", "/api/v1/processes/demo_intake/instances", "processes:start", {"data": {}}),
    ("POST", "/api/v1/deployments", "processes:deploy", None),
    ("GET", "/api/v1/patterns", "cases:read", None),
    ("POST", "/api/v1/patterns/1/open-context", "referrals:write", None),
    ("POST", "/api/v1/patterns/1/add-to-context", "referrals:write", {"case_ref": "CX-000001"}),
    ("POST", "/api/v1/patterns/1/dismiss", "referrals:write", {"reason": "Not a pattern to act on"}),
]
IDS = [f"{m} {p.split('?')[0]}" for m, p, _s, _b in ENDPOINTS]


def _call(client, started, method, path, body, headers):
    url = path.format(item=started.open_work_items[0]["id"], instance=started.id)
    return client.open(url, method=method, json=body, headers=headers)


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS, ids=IDS)
def test_no_token_is_a_401_problem_and_changes_nothing(client, lite, started, method, path, scope, body):
    response = _call(client, started, method, path, body, {})
    assert response.status_code == 401 and response.mimetype == "application/problem+json"
    assert response.json["code"] == "unauthorized" and response.headers["WWW-Authenticate"].startswith("Bearer")
    assert get_instance(lite, started.id).open_work_items == started.open_work_items


@pytest.mark.parametrize(("method", "path", "scope", "body"), ENDPOINTS, ids=IDS)
def test_a_token_without_the_scope_is_refused(client, tokens, started, method, path, scope, body):
    others = [s for s in SCOPES if s != scope]
    response = _call(client, started, method, path, body, tokens.headers("fd", *others))
    assert response.status_code == 403 and response.json["code"] == "not_permitted"
    assert response.json["scope"] == scope


def test_a_session_cookie_does_not_open_the_api(client, started):
    client.set_cookie("fd_session", "anything")
    assert client.get("/api/v1/work-items").status_code == 401


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer fd_00000000_nope", "Basic Zm9vOmJhcg==", ""])
def test_unknown_tokens_are_refused(client, started, header):
    assert client.get("/api/v1/work-items", headers={"Authorization": header}).status_code == 401


def test_revoked_expired_and_disabled_users_tokens_stop_working(client, lite, clock, started):
    issued = create_token(lite, "fd2", "test", days=1)
    headers = {"Authorization": f"Bearer {issued.secret}"}
    assert client.get("/api/v1/work-items", headers=headers).status_code == 200
    set_active(lite, "fd2", False, "test")
    assert client.get("/api/v1/work-items", headers=headers).status_code == 401
    set_active(lite, "fd2", True, "test")
    assert client.get("/api/v1/work-items", headers=headers).status_code == 200
    clock.advance(days=2)
    assert client.get("/api/v1/work-items", headers=headers).status_code == 401
    fresh = create_token(lite, "fd2", "test")
    revoke_token(lite, fresh.id, "test")
    assert client.get("/api/v1/work-items", headers={"Authorization": f"Bearer {fresh.secret}"}).status_code == 401


@pytest.mark.parametrize(("user", "status"), [("fd", 200), ("boss", 200), ("pc", 403), ("sw", 403), ("root", 403)])
def test_instances_follow_need_to_know_and_every_look_is_audited(client, tokens, lite, started, user, status):
    response = client.get(f"/api/v1/instances/{started.id}", headers=tokens[user])
    assert response.status_code == status
    looks = [(e["actor"], e["action"], e["details"]["section"]) for e in get_instance(lite, started.id).history
             if e["action"].startswith("case_view")]
    assert looks == [(user, "case_viewed" if status == 200 else "case_view_refused", "api")]


@pytest.mark.parametrize(("user", "status"), [("fd", 403), ("pc", 403), ("sw", 403)])
def test_work_actions_follow_the_groups(client, tokens, started, user, status):
    item = started.open_work_items[0]["id"]
    if user == "fd":  # offered to front_door, but fd2 holds it now
        client.post(f"/api/v1/work-items/{item}/claim", headers=tokens["fd2"])
    response = client.post(f"/api/v1/work-items/{item}/complete", json={"data": {"rag": "red"}},
                           headers=tokens[user])
    assert response.status_code == status and response.json["code"] == "not_permitted"


@pytest.mark.parametrize(("user", "status"), [("root", 201), ("fd", 403), ("boss", 403)])
def test_only_administrators_deploy(client, tokens, user, status):
    files = [(open(FIXTURES / "forms" / "demo_note.form", "rb"), "demo_note.form")]  # noqa: SIM115
    response = client.post("/api/v1/deployments", data={"files": files}, headers=tokens[user],
                           content_type="multipart/form-data")
    assert response.status_code == status


def test_an_invalid_deploy_lists_every_problem(client, tokens):
    files = [(open(FIXTURES / "forms" / "demo_note.form", "rb"), "wrong_name.form")]  # noqa: SIM115
    files.append((__import__("io").BytesIO(b"<not-bpmn/>"), "broken.bpmn"))
    response = client.post("/api/v1/deployments", data={"files": files}, headers=tokens["root"],
                           content_type="multipart/form-data")
    assert response.status_code == 422 and response.json["code"] == "invalid_process"
    assert len(response.json["problems"]) >= 2


def test_processes_list_versions(client, tokens):
    body = client.get("/api/v1/processes", headers=tokens["pc"]).json
    demo = next(p for p in body if p["process_id"] == "demo_intake")
    assert demo["versions"][0]["version"] == 1


def test_unknown_paths_and_methods_are_problems_without_stack_traces(client, tokens):
    missing = client.get("/api/v1/nothing-here", headers=tokens["fd"])
    assert missing.status_code == 404 and missing.json["code"] == "not_found"
    wrong = client.delete("/api/v1/processes", headers=tokens["fd"])
    assert wrong.status_code == 405 and wrong.json["code"] == "method_not_allowed"
    assert "Traceback" not in missing.get_data(as_text=True)


def test_pages_keep_their_html_errors(client):
    response = client.get("/no-such-page")
    assert response.status_code in (302, 404) and response.mimetype != "application/problem+json"


def test_the_reviewer_is_refused_every_case_child_and_instance_endpoint(client, tokens, lite):
    from tests.support.case_data import child_referral, context_referral, deploy_routes

    deploy_routes(lite)
    park = client.post("/api/v1/contexts", json={"data": context_referral()}, headers=tokens["fd"]).json
    child = client.post("/api/v1/children", json={"data": child_referral()}, headers=tokens["fd"]).json
    paths = [f"/api/v1/cases/{park['case_ref']}", f"/api/v1/cases/{child['case_ref']}",
             f"/api/v1/instances/{park['instance_id']}", f"/api/v1/instances/{child['instance_id']}",
             f"/api/v1/cases?q={child['case_ref']}", "/api/v1/cases?q=Riverside",
             f"/api/v1/work-items/{park['open_work_items'][0]['id']}"]
    answers = {path: client.get(path, headers=tokens["rev"]) for path in paths}
    assert {p: (r.status_code, r.json["code"]) for p, r in answers.items()} == {
        p: (403, "not_permitted") for p in paths}

"""The critical friend (a reviewer from outside the organisation) reads the programme, the reviews and the
insight pages and raises questions, and is refused every case and child: every page and every API endpoint
of the app is swept with a context and a child on record, and no answer to them holds either's record."""

from __future__ import annotations

import re

import pytest

from engine.cases.intake import log_context_referral, refer_child
from engine.people.tokens import SCOPES, create_token
from engine.runtime.instances import get_instance
from tests.support.case_data import child_referral, context_referral
from tests.support.web import sign_in

CHILD_NAME = "Robin"  # the fictional child's first name (tests/support/case_data.py)
CONTEXT_NAME = "Riverside Park"
# Search lists contexts by name to anyone signed in; it never lists a child the searcher may not open.
SEARCHES = {"cases.search", "api-cases.search"}


@pytest.fixture
def records(lite, routes_app):
    """A context and a child referred by the front door, and the ids their URLs need."""
    park = log_context_referral(lite, context_referral(), "fd")
    child = refer_child(lite, child_referral(), "fd")
    return {"park": park, "child": child, "item": get_instance(lite, child.instance_id).open_work_items[0]["id"]}


def _urls(app, records) -> list[tuple[str, str, str]]:
    """(endpoint, method, URL) of every route, its arguments filled with the case records' ids."""
    values = {"ref": records["child"].case_ref, "instance_id": records["child"].instance_id,
              "work_item_id": records["item"], "referral_id": records["child"].referral_id, "clock_id": 1}
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint.endswith("static") or rule.endpoint in ("assets.asset", "auth.sign_in", "auth.health"):
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = re.sub(rf"<[^<>]*\b{arg}>", str(values.get(arg, 1)), path)
        assert "<" not in path, path
        found += [(rule.endpoint, m, path) for m in sorted(rule.methods - {"HEAD", "OPTIONS"})]
    for endpoint, method, path in list(found):  # the context's pages too
        if "<ref>" in next(r.rule for r in app.url_map.iter_rules() if r.endpoint == endpoint):
            found.append((endpoint, method, path.replace(records["child"].case_ref, records["park"].case_ref)))
    return found


def _holds_a_record(body: str, ignore_contexts: bool = False) -> bool:
    return CHILD_NAME in body or (not ignore_contexts and CONTEXT_NAME in body)


def test_no_page_shows_the_critical_friend_a_case_or_a_child(routes_app, records):
    client = routes_app.test_client()
    sign_in(client, "rev")
    shown = []
    for endpoint, method, path in _urls(routes_app, records):
        if method != "GET" or path.startswith("/api/"):
            continue
        response = client.get(path)
        body = response.get_data(as_text=True)
        if _holds_a_record(body, ignore_contexts=endpoint in SEARCHES):
            shown.append((endpoint, path, response.status_code))
        if endpoint.startswith(("cases.show", "instances.", "insight.journey", "front_door.", "tasks.")):
            assert response.status_code in (302, 403, 404), (endpoint, path)  # refused, or sent to break glass
    assert shown == []


def test_no_api_endpoint_gives_the_critical_friend_a_case_or_a_child(lite, routes_app, records):
    client = routes_app.test_client()
    issued = create_token(lite, "rev", "test", scopes=[s for s in SCOPES if s != "processes:deploy"])
    headers = {"Authorization": f"Bearer {issued.secret}"}
    before = get_instance(lite, records["child"].instance_id).open_work_items
    shown, refused = [], {}
    for endpoint, method, path in _urls(routes_app, records):
        if not path.startswith("/api/") or "docs" in endpoint or "openapi" in path:
            continue
        body = {"data": context_referral()} if path.endswith(("/contexts", "/children")) else {}
        response = client.open(path, method=method, json=body, headers=headers)
        if _holds_a_record(response.get_data(as_text=True), ignore_contexts=endpoint in SEARCHES):
            shown.append((method, path, response.status_code))
        refused[(method, path)] = response.status_code
    assert shown == []
    child, park = records["child"], records["park"]
    for path in (f"/api/v1/cases/{child.case_ref}", f"/api/v1/cases/{park.case_ref}",
                 f"/api/v1/instances/{child.instance_id}", f"/api/v1/work-items/{records['item']}"):
        assert refused[("GET", path)] == 403, path
    for path in ("/api/v1/contexts", "/api/v1/children", f"/api/v1/work-items/{records['item']}/claim",
                 f"/api/v1/work-items/{records['item']}/complete"):
        assert refused[("POST", path)] in (403, 422), path
    assert get_instance(lite, child.instance_id).open_work_items == before


def test_the_critical_friend_cannot_refer_through_the_api(lite, routes_app):
    issued = create_token(lite, "rev", "test", scopes=["referrals:write"])
    response = routes_app.test_client().post("/api/v1/contexts", json={"data": context_referral()},
                                              headers={"Authorization": f"Bearer {issued.secret}"})
    assert response.status_code == 403 and response.json["code"] == "not_permitted"

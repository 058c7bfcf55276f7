"""The API's side of alerts and team work: reassignment refusals as problem+json naming the field, a manager
moving any item of their service, several items at once, the caller's notifications and acknowledging one,
and the team's workload for managers only."""

from __future__ import annotations

import pytest

from engine.cases.intake import log_context_referral
from engine.people.accounts import set_active
from engine.people.directory import add_user
from engine.runtime.instances import get_instance
from tests.support.case_data import context_referral, deploy_routes
from tests.support.factories import start_demo
from tests.support.walker import ensure_group_users

PROBLEM = "application/problem+json"


@pytest.fixture
def item(started):
    return started.open_work_items[0]["id"]


@pytest.mark.parametrize(("body", "field"), [
    ({"to_user": "ghost.user"}, "to_user"),
    ({"to_user": "gone"}, "to_user"),
    ({"to_group": "no_such_group"}, "to_group"),
])
def test_reassigning_to_an_unknown_or_disabled_target_is_a_422_naming_the_field(client, tokens, lite, started, item,
                                                                               body, field):
    add_user(lite, "gone", ["front_door"], "test")
    set_active(lite, "gone", False, "test")
    client.post(f"/api/v1/work-items/{item}/claim", headers=tokens["fd"])
    response = client.post(f"/api/v1/work-items/{item}/reassign", json={"reason": "Handing this on today", **body},
                           headers=tokens["fd"])
    assert response.status_code == 422 and response.mimetype == PROBLEM
    assert response.json["code"] == "invalid_form_data" and set(response.json["errors"]) == {field}
    assert get_instance(lite, started.id).open_work_items[0]["assignee"] == "fd"  # nothing changed


def test_a_manager_reassigns_any_item_of_their_service_and_others_may_not(client, tokens, lite, started, item):
    refused = client.post(f"/api/v1/work-items/{item}/reassign",
                          json={"reason": "Police to check this one", "to_user": "pc"}, headers=tokens["fd2"])
    assert refused.status_code == 403 and refused.json["code"] == "not_permitted"
    moved = client.post(f"/api/v1/work-items/{item}/reassign",
                        json={"reason": "Police to check this one", "to_user": "pc"}, headers=tokens["boss"])
    assert moved.status_code == 200 and moved.json["assignee"] == "pc"


def test_several_items_move_at_once_with_one_reason(client, tokens, lite, item):
    other = start_demo(lite, case_ref="C-2").open_work_items[0]["id"]
    body = {"ids": [item, other], "reason": "Covering the front door today", "to_user": "fd2"}
    assert client.post("/api/v1/work-items/reassign", json=body, headers=tokens["fd"]).status_code == 403
    moved = client.post("/api/v1/work-items/reassign", json=body, headers=tokens["boss"])
    assert moved.status_code == 200 and [w["assignee"] for w in moved.json] == ["fd2", "fd2"]
    bad = client.post("/api/v1/work-items/reassign", json={**body, "ids": []}, headers=tokens["boss"])
    assert bad.status_code == 422 and "ids" in bad.json["errors"]


def test_the_team_is_for_managers(client, tokens, item):
    assert client.get("/api/v1/team", headers=tokens["fd"]).status_code == 403
    team = client.get("/api/v1/team", headers=tokens["boss"]).json
    front_door = next(g for g in team["groups"] if g["key"] == "front_door")
    assert (front_door["open"], front_door["unclaimed"], front_door["claimed"]) == (1, 1, 0)
    assert {p["key"] for p in team["people"]} >= {"fd", "fd2", "pc", "sw", "boss"}


def test_notifications_newest_first_and_acknowledging_one(client, tokens, lite):
    ensure_group_users(lite)  # the routes offer plan actions to every partner agency, so each must exist
    deploy_routes(lite)
    log_context_referral(lite, context_referral(persons_or_premises_of_concern=True), "fd")
    [alert] = client.get("/api/v1/notifications", headers=tokens["pc"]).json
    assert {"kind", "case_ref", "reason", "created_at", "acknowledged_at"} <= set(alert)
    assert (alert["kind"], alert["urgent"], alert["acknowledged_at"]) == ("persons_of_concern", True, None)
    assert client.post(f"/api/v1/notifications/{alert['id']}/acknowledge", headers=tokens["sw"]).status_code == 404
    done = client.post(f"/api/v1/notifications/{alert['id']}/acknowledge", headers=tokens["pc"])
    assert done.status_code == 200 and done.json["acknowledged_at"] and done.json["alert_acknowledged_by"] == "pc"
    assert client.get("/api/v1/notifications", headers=tokens["sw"]).json == []


def test_a_manager_allocates_a_case_and_hands_over_a_persons_work(client, tokens, lite, item):
    ensure_group_users(lite)
    deploy_routes(lite)
    ref = log_context_referral(lite, context_referral(), "fd").case_ref
    body = {"case_ref": ref, "worker": "pc"}
    assert client.post("/api/v1/team/allocations", json=body, headers=tokens["fd"]).status_code == 403
    allocated = client.post("/api/v1/team/allocations", json=body, headers=tokens["boss"])
    assert allocated.status_code == 200 and allocated.json["allocated_worker"] == "pc"
    ghost = client.post("/api/v1/team/allocations", json={**body, "worker": "ghost"}, headers=tokens["boss"])
    assert ghost.status_code == 422 and set(ghost.json["errors"]) == {"worker"}
    client.post(f"/api/v1/work-items/{item}/claim", headers=tokens["fd"])
    moved = client.post("/api/v1/team/handovers", json={"person": "fd", "reason": "On leave for two weeks",
                                                         "to_user": "fd2"}, headers=tokens["boss"])
    assert moved.status_code == 200 and [w["assignee"] for w in moved.json] == ["fd2"]

"""Patterns through the API: the 201 of a referral names the patterns it joined; read, open, add, dismiss."""

from __future__ import annotations

import pytest

from tests.support.case_data import context_referral, deploy_routes
from tests.support.pattern_data import BUS_STATION, kid


@pytest.fixture
def routes(lite, api):
    deploy_routes(lite)
    return lite


def _three(client, tokens, clock) -> list[dict]:
    made = []
    for n in range(3):
        response = client.post("/api/v1/children", json={"data": kid(n, places=[BUS_STATION])}, headers=tokens["fd"])
        assert response.status_code == 201, response.json
        made.append(response.json)
        clock.advance(days=5)
    return made


def test_the_third_referral_names_its_pattern_and_the_list_shows_the_evidence(client, tokens, routes, clock):
    made = _three(client, tokens, clock)
    assert [m["patterns"] for m in made[:2]] == [[], []] and len(made[2]["patterns"]) == 1
    [pattern] = client.get("/api/v1/patterns", headers=tokens["fd"]).json
    assert pattern["id"] == made[2]["patterns"][0] and pattern["kind"] == "place"
    assert pattern["shared"] == "the place Northgate bus station"
    assert [r["case_ref"] for r in pattern["referrals"]] == [m["case_ref"] for m in made]
    assert pattern["first_at"] < pattern["last_at"] and pattern["covered_by"] == []
    context = client.post("/api/v1/contexts", headers=tokens["fd"], json={"data": context_referral(
        context_name="Bus station", location={"postcode": "ZZ3 4BS", "uprn": ""})}).json
    assert context["patterns"] == made[2]["patterns"]
    [pattern] = client.get("/api/v1/patterns", headers=tokens["fd"]).json
    assert pattern["covered_by"] == [{"case_ref": context["case_ref"], "name": "Bus station"}]


def test_a_practitioner_sees_only_masked_children(client, tokens, routes, clock):
    _three(client, tokens, clock)
    assert client.get("/api/v1/patterns", headers=tokens["sw"]).json == []  # involved in none


def test_acting_on_a_pattern(client, tokens, routes, clock):
    pattern_id = _three(client, tokens, clock)[2]["patterns"][0]
    refused = client.post(f"/api/v1/patterns/{pattern_id}/dismiss", json={"reason": "short"}, headers=tokens["fd"])
    assert refused.status_code == 422 and refused.json["code"] == "invalid_form_data"
    assert client.post(f"/api/v1/patterns/{pattern_id}/open-context", headers=tokens["sw"]).status_code == 403
    opened = client.post(f"/api/v1/patterns/{pattern_id}/open-context", headers=tokens["fd"])
    assert opened.status_code == 201 and opened.json["case_ref"].startswith("CX-")
    again = client.post(f"/api/v1/patterns/{pattern_id}/dismiss", json={"reason": "Seen to already, thanks"},
                        headers=tokens["fd"])
    assert again.status_code == 409 and again.json["code"] == "conflict"
    assert client.get("/api/v1/patterns?status=actioned", headers=tokens["fd"]).json[0]["covered_by"][0][
        "case_ref"] == opened.json["case_ref"]
    assert client.get("/api/v1/patterns?status=nonsense", headers=tokens["fd"]).status_code == 422
    missing = client.post("/api/v1/patterns/999/add-to-context", json={"case_ref": "CX-000001"}, headers=tokens["fd"])
    assert missing.status_code == 404

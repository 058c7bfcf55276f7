"""A merged record's reference through the API: reads are redirected to the kept case, writes refused naming it."""

from __future__ import annotations

from engine.cases.intake import refer_child
from engine.cases.merging import merge_cases
from engine.processes.deploy import deploy, read_paths
from tests.support.case_data import ROOT, child_referral

TYLER = {"first_name": "Tyler", "last_name": "Example", "dob": "2012-05-06"}


def test_reads_of_the_old_reference_redirect_and_writes_are_refused_with_the_kept_one(client, tokens, lite):
    shipped = read_paths([ROOT / "workflows" / "bpmn", ROOT / "forms"])  # the child's route: its groups exist here
    deploy(lite, {n: t for n, t in shipped.items() if not n.endswith(".bpmn") or n == "child_referral.bpmn"}, "admin")
    kept = refer_child(lite, child_referral(child=TYLER), "fd").case_ref
    old = refer_child(lite, child_referral(child={**TYLER, "first_name": "Tylor"}), "fd",
                      new_reason="Thought to be another boy").case_ref
    merge_cases(lite, kept, old, "One boy", "boss")

    read = client.get(f"/api/v1/cases/{old}", headers=tokens["fd"])
    assert read.status_code == 308 and read.headers["Location"] == f"/api/v1/cases/{kept}"
    assert client.get(read.headers["Location"], headers=tokens["fd"]).get_json()["merged_from"] == [old]
    listed = client.get(f"/api/v1/cases/{old}/notes", headers=tokens["fd"])
    assert listed.status_code == 308 and listed.headers["Location"] == f"/api/v1/cases/{kept}/notes"
    refused = client.post(f"/api/v1/cases/{old}/notes", headers=tokens["fd"], json={"kind": "note", "text": "Late"})
    body = refused.get_json()
    assert refused.status_code == 409 and body["code"] == "case_merged" and body["merged_into"] == kept


def test_a_manager_merges_two_records_through_the_api_and_bad_requests_change_nothing(client, tokens, lite):
    shipped = read_paths([ROOT / "workflows" / "bpmn", ROOT / "forms"])
    deploy(lite, {n: t for n, t in shipped.items() if not n.endswith(".bpmn") or n == "child_referral.bpmn"}, "admin")
    kept = refer_child(lite, child_referral(child=TYLER), "fd").case_ref
    old = refer_child(lite, child_referral(child={**TYLER, "first_name": "Tylor"}), "fd",
                      new_reason="Thought to be another boy").case_ref
    url = f"/api/v1/cases/{kept}/merge"
    refused = client.post(url, headers=tokens["fd"], json={"merge": old, "reason": "One boy"})
    assert refused.status_code == 403 and refused.get_json()["code"] == "not_permitted"
    for body, field in (({"merge": old, "reason": " "}, "reason"), ({"merge": kept, "reason": "Same"}, "merge"),
                        ({"merge": "C-NOPE", "reason": "Unknown"}, "merge")):
        bad = client.post(url, headers=tokens["boss"], json=body)
        assert bad.status_code == 422 and field in bad.get_json()["errors"], (body, bad.get_json())
    assert client.get(f"/api/v1/cases/{old}", headers=tokens["boss"]).status_code == 200  # nothing merged yet
    done = client.post(url, headers=tokens["boss"], json={"merge": old, "reason": "One boy, name misspelt"})
    assert done.status_code == 200
    body = done.get_json()
    assert (body["kept_ref"], body["merged_ref"]) == (kept, old) and body["moved"]["routes"] == 1
    assert client.get(f"/api/v1/cases/{old}", headers=tokens["boss"]).status_code == 308
    again = client.post(url, headers=tokens["boss"], json={"merge": old, "reason": "Again"})
    assert again.status_code == 422 and "already merged" in again.get_json()["errors"]["merge"][0]
    narrow = client.post(url, headers=tokens.headers("boss", "cases:read"), json={"merge": old, "reason": "x"})
    assert narrow.status_code == 403

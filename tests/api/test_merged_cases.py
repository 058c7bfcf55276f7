"""A merged record's reference through the API: reads are redirected to the kept case, writes refused naming it."""

from __future__ import annotations

from engine.cases.intake import refer_child
from engine.cases.merging import merge_cases
from tests.support.case_data import child_referral, deploy_routes

TYLER = {"first_name": "Tyler", "last_name": "Example", "dob": "2012-05-06"}


def test_reads_of_the_old_reference_redirect_and_writes_are_refused_with_the_kept_one(client, tokens, lite):
    deploy_routes(lite)
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

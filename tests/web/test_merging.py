"""Merging two records from the case page: managers only, side by side, and the old reference leads on."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases.intake import log_context_referral, refer_child
from engine.store.cases import Case
from tests.support.case_data import child_referral, context_referral
from tests.support.web import csrf, sign_in

TYLER = {"first_name": "Tyler", "last_name": "Example", "dob": "2012-05-06", "postcode": "ZZ9 9ZZ"}


@pytest.fixture
def records(lite, routes_app):
    first = refer_child(lite, child_referral(child=TYLER), "fd").case_ref
    second = refer_child(lite, child_referral(child={**TYLER, "first_name": "Tylor"}), "fd",
                         new_reason="Thought to be a different boy").case_ref
    return first, second


def client_for(app, name):
    client = app.test_client()
    sign_in(client, name)
    return client


def statuses(lite):
    with lite.db.read() as session:
        return dict(session.execute(select(Case.ref, Case.status)).all())


def test_only_a_manager_is_offered_the_merge_and_others_are_refused(routes_app, records):
    first, _ = records
    manager, worker = client_for(routes_app, "mgr"), client_for(routes_app, "fd")
    assert "Merge with another record" in manager.get(f"/cases/{first}").get_data(as_text=True)
    assert "Merge with another record" not in worker.get(f"/cases/{first}").get_data(as_text=True)
    assert worker.get(f"/cases/{first}/merge").status_code == 403


def test_a_manager_finds_the_other_record_compares_and_merges_it(routes_app, records, lite):
    first, second = records
    manager = client_for(routes_app, "mgr")
    found = manager.get(f"/cases/{first}/merge?q=Tylor+Example").get_data(as_text=True)
    assert f"/cases/{first}/merge/{second}" in found
    page = manager.get(f"/cases/{first}/merge/{second}").get_data(as_text=True)
    assert "These agreed: First name (spelt differently), Surname, Date of birth, NHS number, UPN, Postcode" in page
    token = csrf(manager, f"/cases/{first}/merge/{second}")
    missing = manager.post(f"/cases/{first}/merge/{second}", data={"csrf_token": token, "reason": "One boy"})
    assert missing.status_code == 422 and "Choose the record to keep" in missing.get_data(as_text=True)
    assert statuses(lite)[second] == "open"
    done = manager.post(f"/cases/{first}/merge/{second}",
                        data={"csrf_token": token, "keep": first, "reason": "The school confirmed one boy"})
    assert done.status_code == 302 and done.headers["Location"].endswith(f"/cases/{first}?notice=merged")
    kept = manager.get(done.headers["Location"]).get_data(as_text=True)
    assert "The two records are now one" in kept and f"Records merged into this one: {second}" in kept
    assert statuses(lite)[second] == "merged"


def test_the_old_reference_leads_to_the_kept_case_and_refuses_new_records(routes_app, records, lite):
    first, second = records
    manager = client_for(routes_app, "mgr")
    token = csrf(manager, f"/cases/{first}/merge/{second}")
    manager.post(f"/cases/{first}/merge/{second}", data={"csrf_token": token, "keep": first, "reason": "One boy"})
    worker = client_for(routes_app, "fd")
    assert worker.get(f"/cases/{second}").headers["Location"] == f"/cases/{first}"
    assert worker.get(f"/cases/{second.lower()}/notes/new").headers["Location"] == f"/cases/{first}/notes/new"
    assert worker.get(f"/insight/journeys/{second}").headers["Location"] == f"/insight/journeys/{first}"
    refused = worker.post(f"/cases/{second}/notes/new", data={"csrf_token": csrf(worker, f"/cases/{first}"),
                                                               "kind": "note", "text": "Late entry"})
    assert refused.status_code == 409 and f"use {first}" in refused.get_data(as_text=True)


def test_a_child_and_a_context_cannot_be_merged(routes_app, records, lite):
    first, _ = records
    context = log_context_referral(lite, context_referral(), "fd").case_ref
    manager = client_for(routes_app, "mgr")
    page = manager.get(f"/cases/{first}/merge/{context}")
    assert page.status_code == 422 and "only two records of one kind" in page.get_data(as_text=True)
    before = statuses(lite)
    token = csrf(manager, f"/cases/{first}")
    answer = manager.post(f"/cases/{first}/merge/{context}", data={"csrf_token": token, "keep": first,
                                                                   "reason": "x"})
    assert answer.status_code == 422 and statuses(lite) == before

"""Protecting a child's address from the case page: the form, its errors, and the address gone for everyone."""

from __future__ import annotations

import pytest

from engine.cases.allocation import allocate_case
from engine.cases.intake import log_context_referral, refer_child
from engine.cases.protection import set_address_protection
from tests.support.case_data import child_referral, context_referral
from tests.support.web import as_post, post, post_form, sign_in

ADDRESS, POSTCODE = "1 Hidden Row", "ZZ1 2BB"
FORM = 'action="/cases/{ref}/address-protection"'


@pytest.fixture
def robin(lite, routes_app):
    """Robin (fictional), referred by fd, with a home address; pc_one is the allocated worker."""
    ref = refer_child(lite, child_referral(child={"address": ADDRESS}), "fd").case_ref
    allocate_case(lite, ref, "fd", worker="pc_one")
    return ref


def client_for(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def page_of(client, ref: str) -> str:
    return client.get(f"/cases/{ref}").get_data(as_text=True)


def test_a_worker_protects_the_address_and_nobody_sees_it_any_more(routes_app, robin):
    worker = client_for(routes_app, "pc_one")
    before = page_of(worker, robin)
    assert ADDRESS in before and FORM.format(ref=robin) in before and "Protect this address" in before
    done = post(worker, f"/cases/{robin}/address-protection", {"change": "protect", "reason": "Moved to a refuge"},
                token_from=f"/cases/{robin}")
    assert done.status_code == 302 and done.headers["Location"] == f"/cases/{robin}?notice=protected"
    after = worker.get(done.headers["Location"]).get_data(as_text=True)
    assert "The address is now protected" in after and "Protected address" in after
    assert ADDRESS not in after and POSTCODE not in after and FORM.format(ref=robin) not in after
    assert "Address protected: Moved to a refuge" in after  # the timeline says who, when and why
    manager = client_for(routes_app, "mgr")
    seen = page_of(manager, robin)
    assert ADDRESS not in seen and POSTCODE not in seen and "Withheld: protected address" in seen
    found = manager.get("/cases", query_string={"q": POSTCODE}).get_data(as_text=True)
    assert robin not in found
    by_name = manager.get("/cases", query_string={"q": "Testcase"}).get_data(as_text=True)
    assert robin in by_name and POSTCODE not in by_name


def test_a_missing_reason_is_shown_in_the_error_summary_and_changes_nothing(routes_app, robin):
    fd = client_for(routes_app, "fd")
    refused = post(fd, f"/cases/{robin}/address-protection", {"change": "protect", "reason": "  "},
                   token_from=f"/cases/{robin}")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "There is a problem" in body
    assert 'href="#protection-reason"' in body and "Give the reason this address must be protected" in body
    assert 'id="protection-reason"' in body and "govuk-error-message" in body
    assert ADDRESS in page_of(fd, robin)


def test_only_a_manager_or_the_cs_lead_is_offered_removal_and_it_shows_the_address_again(routes_app, lite, robin):
    set_address_protection(lite, robin, True, "fd", "Moved to a refuge")
    for user in ("fd", "pc_one"):
        assert FORM.format(ref=robin) not in page_of(client_for(routes_app, user), robin)
    refused = post(client_for(routes_app, "fd"), f"/cases/{robin}/address-protection",
                   {"change": "remove", "reason": "The risk has passed"}, token_from=f"/cases/{robin}")
    assert refused.status_code == 403
    manager = client_for(routes_app, "csl")
    assert "Remove protection" in page_of(manager, robin)
    missing = post(manager, f"/cases/{robin}/address-protection", {"change": "remove"}, token_from=f"/cases/{robin}")
    assert missing.status_code == 422 and "Give the reason the address can be shown again" in missing.get_data(
        as_text=True)
    done = post(manager, f"/cases/{robin}/address-protection", {"change": "remove", "reason": "The risk has passed"},
                token_from=f"/cases/{robin}")
    assert done.headers["Location"] == f"/cases/{robin}?notice=unprotected"
    assert ADDRESS in page_of(client_for(routes_app, "pc_one"), robin)


def test_without_need_to_know_the_post_goes_to_break_glass_and_changes_nothing(routes_app, robin):
    police = client_for(routes_app, "pc_two")
    response = post(police, f"/cases/{robin}/address-protection", {"change": "protect", "reason": "Just because"})
    assert response.status_code == 302 and response.headers["Location"] == f"/cases/{robin}/break-glass"
    assert ADDRESS in page_of(client_for(routes_app, "fd"), robin)


def test_a_reviewer_is_never_offered_the_form_nor_allowed(routes_app, robin):
    reviewer = client_for(routes_app, "rev")
    glass = f"/cases/{robin}/break-glass"
    post(reviewer, glass, {"reason": "Reviewing the front door's decisions"}, token_from=glass)
    assert FORM.format(ref=robin) not in page_of(reviewer, robin)
    response = post(reviewer, f"/cases/{robin}/address-protection", {"change": "protect", "reason": "Risky"},
                    token_from=f"/cases/{robin}")
    assert response.status_code == 403


@pytest.mark.parametrize("data", [{"change": "toggle", "reason": "Moved to a refuge"}, {"reason": "Moved"}])
def test_an_unknown_change_is_a_bad_request(routes_app, robin, data):
    fd = client_for(routes_app, "fd")
    response = post(fd, f"/cases/{robin}/address-protection", data, token_from=f"/cases/{robin}")
    assert response.status_code == 400 and ADDRESS in page_of(fd, robin)


def test_without_the_csrf_token_nothing_changes(routes_app, robin):
    fd = client_for(routes_app, "fd")
    response = fd.post(f"/cases/{robin}/address-protection", data={"change": "protect", "reason": "Moved"})
    assert response.status_code == 400 and ADDRESS in page_of(fd, robin)


def test_a_context_case_has_no_address_protection(routes_app, lite):
    park = log_context_referral(lite, context_referral(), "fd").case_ref
    page = page_of(client_for(routes_app, "mgr"), park)
    assert "Riverside Park" in page and "address-protection" not in page
    response = post(client_for(routes_app, "mgr"), f"/cases/{park}/address-protection",
                    {"change": "protect", "reason": "Moved"}, token_from=f"/cases/{park}")
    assert response.status_code == 404


def test_the_referral_form_offers_the_box_and_a_ticked_box_protects(routes_app, lite):
    fd = client_for(routes_app, "fd")
    form = fd.get("/front-door/child").get_data(as_text=True)
    assert 'name="child.protected_address"' in form and "must be kept secret" in form
    answers = child_referral(child={"address": ADDRESS, "protected_address": True})
    done = post_form(fd, "/front-door/child", as_post(answers), token_from="/front-door/child")
    assert done.status_code == 302
    page = page_of(fd, "CH-000001")
    assert "Protected address" in page and ADDRESS not in page and POSTCODE not in page

"""Clocks on the case page: a breached clock asks its owner (or a manager) for the reason it was exceeded."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.cases.intake import log_context_referral
from engine.clocks.case_clocks import breach_due_clocks, list_clocks, start_clock
from engine.store.models import AuditEvent
from tests.support.case_data import context_referral
from tests.support.web import post, sign_in

REASON_FORM = re.compile(r'action="/cases/[^"]+/clocks/(\d+)/reason"')


@pytest.fixture
def breached(lite, routes_app, clock):
    """Riverside Park with a referral-decision clock owned by fd, two days past its due time."""
    park = log_context_referral(lite, context_referral(), "fd")
    view = start_clock(lite, park.case_ref, "referral_decision", owner_user="fd")
    clock.advance(days=3)
    assert breach_due_clocks(lite) == 1
    return park.case_ref, view.id


def clock_view(lite, ref, clock_id):
    """The one clock with this id on the case (routes may start clocks of their own)."""
    [view] = [view for view in list_clocks(lite, ref) if view.id == clock_id]
    return view


def client_for(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


@pytest.mark.parametrize(("user", "shown"), [("fd", True), ("mgr", True), ("csl", False)])
def test_the_reason_form_is_shown_to_the_owner_and_managers_only(routes_app, breached, user, shown):
    ref, clock_id = breached
    page = client_for(routes_app, user).get(f"/cases/{ref}").get_data(as_text=True)
    assert "Reason for exceeding needed" in page
    assert (REASON_FORM.findall(page) == [str(clock_id)]) is shown


def test_the_owner_records_a_reason_and_it_is_audited(routes_app, lite, breached):
    ref, clock_id = breached
    client = client_for(routes_app, "fd")
    response = post(client, f"/cases/{ref}/clocks/{clock_id}/reason", {"reason": "Waiting for police checks"},
                    token_from=f"/cases/{ref}")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{ref}#clocks")
    view = clock_view(lite, ref, clock_id)
    assert view.exceed_reason == "Waiting for police checks" and view.exceed_reason_by == "fd"
    with lite.db.read() as session:
        row = session.scalars(select(AuditEvent).where(AuditEvent.action == "exceed_reason_recorded")).one()
        assert (row.actor, row.subject_id, row.details["reason"]) == ("fd", ref, "Waiting for police checks")
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    assert not REASON_FORM.findall(page) and "Waiting for police checks" in page


@pytest.mark.parametrize(("reason", "message"), [
    ("   ", "Enter the reason the timescale was exceeded"),
    ("x" * 2001, "The reason must be 2000 characters or fewer"),
])
def test_a_bad_reason_shows_the_error_summary_and_changes_nothing(routes_app, lite, breached, reason, message):
    ref, clock_id = breached
    client = client_for(routes_app, "fd")
    response = post(client, f"/cases/{ref}/clocks/{clock_id}/reason", {"reason": reason}, token_from=f"/cases/{ref}")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "govuk-error-summary" in page and message in page
    assert f'href="#reason-reason-{clock_id}"' in page and page.count(message) == 2  # summary and field
    assert clock_view(lite, ref, clock_id).exceed_reason is None


def test_an_unrelated_person_may_not_record_a_reason(routes_app, lite, breached):
    ref, clock_id = breached
    client = client_for(routes_app, "csl")
    response = post(client, f"/cases/{ref}/clocks/{clock_id}/reason", {"reason": "Not mine"},
                    token_from=f"/cases/{ref}")
    assert response.status_code == 403 and clock_view(lite, ref, clock_id).exceed_reason is None


def test_a_clock_on_another_case_is_not_found(routes_app, lite, breached):
    _ref, clock_id = breached
    other = log_context_referral(lite, context_referral(), "fd", new_reason="A different park").case_ref
    client = client_for(routes_app, "mgr")
    response = post(client, f"/cases/{other}/clocks/{clock_id}/stop", token_from=f"/cases/{other}")
    assert response.status_code == 404 and clock_view(lite, _ref, clock_id).status == "breached"


def test_the_owner_pauses_resumes_and_stops_a_running_clock(routes_app, lite, clock):
    ref = log_context_referral(lite, context_referral(), "fd").case_ref
    clock_id = start_clock(lite, ref, "referral_decision", owner_user="fd").id
    client = client_for(routes_app, "fd")
    page = client.get(f"/cases/{ref}").get_data(as_text=True)
    assert f"/clocks/{clock_id}/pause" in page and f"/clocks/{clock_id}/resume" not in page
    bad = post(client, f"/cases/{ref}/clocks/{clock_id}/pause", {"reason": ""}, token_from=f"/cases/{ref}")
    assert bad.status_code == 422 and "Enter why the clock is paused" in bad.get_data(as_text=True)
    assert post(client, f"/cases/{ref}/clocks/{clock_id}/pause", {"reason": "Family abroad"},
                token_from=f"/cases/{ref}").status_code == 302
    assert clock_view(lite, ref, clock_id).pause_reason == "Family abroad"
    assert f"/clocks/{clock_id}/resume" in client.get(f"/cases/{ref}").get_data(as_text=True)
    assert post(client, f"/cases/{ref}/clocks/{clock_id}/resume", token_from=f"/cases/{ref}").status_code == 302
    assert post(client, f"/cases/{ref}/clocks/{clock_id}/stop", token_from=f"/cases/{ref}").status_code == 302
    assert clock_view(lite, ref, clock_id).status == "stopped"
    csl_page = client_for(routes_app, "csl").get(f"/cases/{ref}").get_data(as_text=True)
    assert f"/clocks/{clock_id}/" not in csl_page

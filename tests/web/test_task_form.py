"""Every supported component rendered with GOV.UK markup, posted back, validated and completed, without JS."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.processes.deploy import deploy, read_paths
from engine.runtime.instances import get_instance, start_process
from tests.support.web import csrf, sign_in

FIXTURES = Path(__file__).resolve().parent / "fixtures"


@pytest.fixture
def item(lite, app):
    deploy(lite, read_paths([FIXTURES]), actor="admin")
    view = start_process(lite, "web_everything", {}, actor="fd", case_ref="C-2")
    return view.open_work_items[0]["id"], view.id


def _post(client, item_id: int, data: dict):
    return client.post(f"/tasks/{item_id}", data={**data, "csrf_token": csrf(client, f"/tasks/{item_id}")})


def test_every_component_renders_as_its_govuk_counterpart(client, item):
    sign_in(client, "fd")
    page = client.get(f"/tasks/{item[0]}").get_data(as_text=True)
    for fragment in ['class="govuk-input" id="name" name="name" type="text"', 'type="email"',
                     'class="govuk-textarea" id="notes"', 'inputmode="numeric"', 'name="seen_on-day"',
                     'name="seen_on-month"', 'name="seen_on-year"', 'type="radio" value="red"',
                     'type="checkbox" value="cse"', '<select class="govuk-select" id="agency"',
                     'id="consent" name="consent" type="checkbox" value="yes"', 'id="referrer.name"',
                     'id="actions.0.owner"', 'name="add_row" value="actions"', "Facts, not opinions"]:
        assert fragment in page, fragment


def test_add_another_row_works_without_javascript(client, item):
    sign_in(client, "fd")
    response = _post(client, item[0], {"name": "Sam", "actions.0.owner": "Police", "add_row": "actions"})
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "govuk-error-summary" not in page
    assert 'id="actions.1.owner"' in page and 'value="Police"' in page and 'value="Sam"' in page


def test_errors_link_to_each_field_including_date_parts_and_rows(client, item):
    sign_in(client, "fd")
    response = _post(client, item[0], {"seen_on-day": "31", "seen_on-month": "2", "seen_on-year": "2026",
                                       "actions.0.what": "Visit", "age": "40", "action": "complete"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    for anchor in ('href="#name"', 'href="#seen_on-day"', 'href="#age"', 'href="#actions.0.owner"'):
        assert anchor in page, anchor
    assert 'value="31"' in page  # the impossible date comes back as typed


def test_a_full_answer_completes_with_nested_data(client, item, lite):
    sign_in(client, "fd")
    response = _post(client, item[0], {
        "name": "Sam", "email": "sam@example.org", "age": "15", "seen_on-day": "2", "seen_on-month": "3",
        "seen_on-year": "2026", "rag": "red", "harms": ["cse", "violence"], "agency": "police", "consent": "yes",
        "referrer.name": "Jo", "actions.0.owner": "Police", "actions.0.what": "Visit", "action": "complete"})
    assert response.status_code == 302, response.get_data(as_text=True)
    assert get_instance(lite, item[1]).status == "completed"

"""The insight pages through the real app: who may read each, CSV exports, journeys and need-to-know."""

from __future__ import annotations

import pytest

from engine.cases.allocation import allocate_case
from engine.people.directory import add_user
from tests.insight.conftest import decide, log_context, refer, utc
from tests.support.web import PASSWORD_HASH, sign_in
from web import create_app

READERS = {"boss": "manager", "lead": "cs_lead", "root": "admin", "friend": "reviewer", "prac": "practitioner"}
PAGES = ["/insight", "/insight/waiting", "/insight/waiting/child_referral/1", "/insight/pilots"]


@pytest.fixture
def app(routes):
    for name, role in READERS.items():
        add_user(routes, f"web_{name}", ["partnership"], "test", role=role, password_hash=PASSWORD_HASH)
    return create_app(routes, {"TESTING": True})


def browser(app, name: str):
    client = app.test_client()
    assert sign_in(client, f"web_{name}").status_code == 302
    return client


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize(("name", "status"), [("boss", 200), ("lead", 200), ("root", 200), ("friend", 200),
                                              ("prac", 403)])
def test_the_measure_pages_are_for_managers_the_cs_lead_administrators_and_critical_friends(app, path, name, status):
    assert browser(app, name).get(path).status_code == status


@pytest.mark.parametrize(("name", "status"), [("boss", 200), ("friend", 200), ("prac", 403)])
def test_the_reviewer_may_read_the_system_review(app, name, status):
    assert browser(app, name).get("/insight/system-review").status_code == status


def test_no_page_without_signing_in(app):
    assert app.test_client().get("/insight").status_code in (302, 401)


def test_measures_page_shows_each_measure_with_how_it_is_computed_and_exports_csv(app, routes, clock):
    one = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    decide(routes, clock, one.instance_id, utc(2026, 3, 2, 12))
    client = browser(app, "boss")
    page = client.get("/insight?from=2026-03-01&to=2026-04-01").get_data(as_text=True)
    assert "Referral decisions within 1 working day" in page and "How this is computed" in page
    assert "<svg" in page and "<table" in page
    export = client.get("/insight?from=2026-03-01&to=2026-04-01&format=csv")
    assert export.mimetype == "text/csv"
    lines = export.get_data(as_text=True).splitlines()
    assert lines[0].startswith("measure,label,detail,count,met")
    assert "Referral decisions within 1 working day,all,,1,1,100.0,0.0,0.0" in lines[1]


def test_every_table_exports_as_csv(app, routes, clock):
    one = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    client = browser(app, "boss")
    for path in ["/insight/pilots?format=csv", "/insight/waiting/child_referral/1?format=csv",
                 f"/insight/journeys/{one.case_ref}?format=csv"]:
        response = client.get(path)
        assert (response.status_code, response.mimetype) == (200, "text/csv"), path
    assert browser(app, "friend").get("/insight/system-review?format=csv").mimetype == "text/csv"


def test_where_cases_wait_lists_the_cases_at_a_step(app, routes, clock):
    one = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    path = "/insight/waiting/child_referral/1?element=task_acknowledge_referrer"
    page = browser(app, "boss").get(path).get_data(as_text=True)
    assert "Acknowledge referrer" in page and one.case_ref in page


def test_a_context_journey_names_no_child_the_viewer_may_not_see(app, routes, clock):
    child = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    context = log_context(routes, clock, utc(2026, 3, 2, 10),
                          linked_children=[{"child_reference": child.case_ref, "role": "at_risk_at"}])
    add_user(routes, "web_officer", ["police"], "test", password_hash=PASSWORD_HASH)
    allocate_case(routes, context.case_ref, "user_cs_lead", worker="web_officer")
    manager_view = browser(app, "boss").get(f"/insight/journeys/{context.case_ref}").get_data(as_text=True)
    assert "Robin1 Testcase1" in manager_view
    officer = browser(app, "officer").get(f"/insight/journeys/{context.case_ref}")
    assert officer.status_code == 200
    text = officer.get_data(as_text=True)
    assert "Robin1" not in text and child.case_ref not in text
    assert "1 linked case(s) you have no need to know" in text

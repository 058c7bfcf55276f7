"""Process admin pages: admins only; versions, files, compare, migration, modeller check and deploy."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from engine.people.directory import add_user
from engine.processes.deploy import deploy
from engine.store.models import AuditEvent, ProcessVersion
from tests.support.factories import demo_files, with_housing_check
from tests.support.web import PASSWORD_HASH, csrf, sign_in

PAGES = ["/admin/processes", "/admin/processes/demo_intake/versions/1",
         "/admin/processes/demo_intake/versions/1/files/demo_intake.bpmn", "/admin/processes/demo_intake/compare",
         "/admin/processes/demo_intake/migrate", "/admin/processes/demo_intake/edit",
         "/admin/processes/demo_intake/diagram.bpmn", "/admin/processes/catalogue.json"]


@pytest.fixture
def admin(lite, app, client):
    """A signed-in administrator."""
    add_user(lite, "ada", ["admin"], actor="test", role="admin", password_hash=PASSWORD_HASH)
    sign_in(client, "ada")
    return client


def _token(client) -> str:
    return csrf(client, "/admin/processes/demo_intake/migrate")


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("user", ["fd", "boss", "sw"])
def test_only_admins_reach_process_pages(client, app, user, path):
    sign_in(client, user)
    assert client.get(path).status_code == 403


@pytest.mark.parametrize("path", PAGES)
def test_admins_reach_every_process_page(admin, path):
    assert admin.get(path).status_code == 200


def test_signed_out_people_are_sent_to_sign_in(client, app):
    assert client.get("/admin/processes").status_code == 302


def test_the_list_shows_versions_and_running_cases(admin, lite, started):
    deploy(lite, with_housing_check(demo_files()), actor="ada")
    page = admin.get("/admin/processes").get_data(as_text=True)
    assert "Version 2" in page and "Version 1" in page and "ada" in page


def test_only_modeller_pages_allow_inline_styles(admin):
    edit = admin.get("/admin/processes/demo_intake/edit").headers["Content-Security-Policy"]
    listing = admin.get("/admin/processes").headers["Content-Security-Policy"]
    assert "style-src 'self' 'unsafe-inline'" in edit and "script-src 'self'" in edit
    assert "style-src 'self';" in listing


def test_download_gives_the_stored_file(admin, lite):
    response = admin.get("/admin/processes/demo_intake/versions/1/files/demo_intake.bpmn")
    assert response.data == demo_files()["demo_intake.bpmn"]
    assert "attachment" in response.headers["Content-Disposition"]


def test_compare_lists_added_and_changed_elements(admin, lite):
    deploy(lite, with_housing_check(demo_files()), actor="ada")
    page = admin.get("/admin/processes/demo_intake/compare?old=1&new=2").get_data(as_text=True)
    assert "housing_check" in page and "Housing check" in page


def test_check_reports_problems_with_element_ids(admin):
    xml = with_housing_check(demo_files())["demo_intake.bpmn"].replace(b' camunda:candidateGroups="housing"', b"")
    response = admin.post("/admin/processes/demo_intake/check", data=xml,
                          headers={"X-CSRF-Token": _token(admin), "Content-Type": "application/xml"})
    problems = response.get_json()["problems"]
    assert [p["element_id"] for p in problems] == ["housing_check"]
    assert "candidate group" in problems[0]["message"]


def test_check_and_deploy_need_a_csrf_token(admin):
    response = admin.post("/admin/processes/demo_intake/check", data=b"<x/>")
    assert response.status_code == 400


def test_deploy_refuses_problems_then_deploys_a_pilot(admin, lite):
    xml = with_housing_check(demo_files())["demo_intake.bpmn"]
    bad = xml.replace(b' camunda:candidateGroups="housing"', b"")
    headers = {"X-CSRF-Token": _token(admin)}
    refused = admin.post("/admin/processes/demo_intake/deploy", json={"xml": bad.decode()}, headers=headers)
    assert refused.status_code == 422
    done = admin.post("/admin/processes/demo_intake/deploy", headers=headers,
                      json={"xml": xml.decode(), "note": "housing", "pilot_rule": {"field": "team", "equals": "north"}})
    assert done.get_json()["version"] == 2
    with lite.db.read() as session:
        row = session.scalars(select(ProcessVersion).where(ProcessVersion.number == 2)).one()
        audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "process_deployed")
                                .order_by(AuditEvent.id.desc())).first()
    assert (row.pilot_rule, row.deployed_by, audit.actor) == ({"field": "team", "equals": "north"}, "ada", "ada")


def test_deploy_keeps_the_process_id(admin):
    xml = demo_files()["demo_intake.bpmn"].replace(b'id="demo_intake"', b'id="other"')
    response = admin.post("/admin/processes/demo_intake/deploy", json={"xml": xml.decode()},
                          headers={"X-CSRF-Token": _token(admin)})
    assert response.status_code == 422 and "process id" in json.dumps(response.get_json())


def test_migration_dry_run_then_batch(admin, lite, started):
    deploy(lite, with_housing_check(demo_files()), actor="ada")
    page = admin.get("/admin/processes/demo_intake/migrate?old=1&new=2").get_data(as_text=True)
    assert "Can move" in page and f'value="{started.id}" checked' in page
    moved = admin.post("/admin/processes/demo_intake/migrate",
                       data={"old": 1, "new": 2, "instance": str(started.id), "action": "move",
                             "csrf_token": _token(admin)})
    assert "Moved" in moved.get_data(as_text=True)
    with lite.db.read() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "ada")).all()
    assert "instance_migrated" in actions


NORTH = {"field": "team", "equals": "north"}


def test_check_says_what_deploying_a_pilot_would_do(admin):
    xml = with_housing_check(demo_files())["demo_intake.bpmn"]
    result = admin.post("/admin/processes/demo_intake/check", headers={"X-CSRF-Token": _token(admin)},
                        json={"xml": xml.decode(), "base": 1, "pilot_rule": NORTH}).get_json()
    [planned] = result["plan"]["versions"]
    assert result["problems"] == [] and planned["sentences"][:2] == [
        "Demo intake: version 2 becomes a pilot for cases where Team is North, built from version 1.",
        "Every other new case still starts on version 1, the current version."]


def test_a_deploy_planned_before_another_deploy_is_refused_and_stores_nothing(admin, lite):
    xml = with_housing_check(demo_files())["demo_intake.bpmn"]
    headers = {"X-CSRF-Token": _token(admin)}
    plan = admin.post("/admin/processes/demo_intake/check", headers=headers, json={"xml": xml.decode()}).get_json()
    files = demo_files()
    files["demo_intake.bpmn"] = files["demo_intake.bpmn"].replace(b"Triage the contact", b"Triage")
    deploy(lite, files, actor="bo")
    stale = admin.post("/admin/processes/demo_intake/deploy", headers=headers,
                       json={"xml": xml.decode(), "fingerprint": plan["plan"]["fingerprint"]})
    assert stale.status_code == 409 and "changed after you checked" in stale.get_json()["problems"][0]["message"]
    with lite.db.read() as session:
        assert session.scalars(select(ProcessVersion.number).order_by(ProcessVersion.number)).all() == [1, 2]


def test_the_list_and_version_pages_say_the_pilot_rule_in_words(admin, lite):
    deploy(lite, with_housing_check(demo_files()), actor="ada", pilot_rule=NORTH)
    listing = admin.get("/admin/processes").get_data(as_text=True)
    version = admin.get("/admin/processes/demo_intake/versions/2").get_data(as_text=True)
    assert "Pilot: Team is North" in listing and "New cases where Team is North start on it" in version
    assert "&#34;equals&#34;" not in listing + version and '"equals"' not in listing + version


def test_withdrawing_a_pilot_asks_why_then_does_it_and_is_audited(admin, lite):
    deploy(lite, with_housing_check(demo_files()), actor="ada", pilot_rule=NORTH)
    page = admin.get("/admin/processes/demo_intake/versions/2/withdraw").get_data(as_text=True)
    assert "new cases where Team is North start on version 1, the current version, again" in page
    fingerprint = re.search(r'name="fingerprint" value="([^"]+)"', page).group(1)
    token = _token(admin)
    refused = admin.post("/admin/processes/demo_intake/versions/2/withdraw",
                         data={"csrf_token": token, "fingerprint": fingerprint, "reason": " "})
    assert refused.status_code == 422 and "Say why the pilot is being withdrawn" in refused.get_data(as_text=True)
    done = admin.post("/admin/processes/demo_intake/versions/2/withdraw",
                      data={"csrf_token": token, "fingerprint": fingerprint, "reason": "Not enough cases"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/versions/2?notice=withdraw")
    again = admin.post("/admin/processes/demo_intake/versions/2/withdraw",
                       data={"csrf_token": token, "fingerprint": fingerprint, "reason": "Twice"})
    assert again.status_code == 409  # no longer an active pilot: the page says so, nothing changes
    with lite.db.read() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "pilot_withdrawn")).all()
    assert [(r.actor, r.details["reason"]) for r in rows] == [("ada", "Not enough cases")]


@pytest.mark.parametrize("user", ["fd", "boss", "sw"])
def test_only_admins_end_pilots(client, app, lite, user):
    deploy(lite, with_housing_check(demo_files()), actor="ada", pilot_rule=NORTH)
    sign_in(client, user)
    assert client.get("/admin/processes/demo_intake/versions/2/promote").status_code == 403

"""Where cases wait as a heat map: the diagram JSON's counts match the table, its levels, who may read it,
and the audit row each read leaves."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from sqlalchemy import select

from engine.errors import NotPermitted
from engine.insight.measures import Period
from engine.insight.waiting import heat_level, waiting_diagram, where_cases_wait
from engine.people.directory import add_user
from engine.store.models import AuditEvent
from tests.insight.conftest import decide, refer, utc
from tests.support.web import PASSWORD_HASH, sign_in
from web import create_app

MARCH = Period(date(2026, 3, 1), date(2026, 4, 1))
JSON = "/insight/waiting/child_referral/1/diagram.json?from=2026-03-01&to=2026-04-01"
READERS = {"boss": "manager", "lead": "cs_lead", "root": "admin", "friend": "reviewer", "prac": "practitioner"}


@pytest.fixture
def app(routes):
    for name, role in READERS.items():
        add_user(routes, f"hm_{name}", ["partnership"], "test", role=role, password_hash=PASSWORD_HASH)
    return create_app(routes, {"TESTING": True})


@pytest.fixture
def busy(routes, clock):
    """Three children waiting at the acknowledgement, one decided two working days late."""
    late = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    decide(routes, clock, late.instance_id, utc(2026, 3, 4, 9))
    for n in (2, 3, 4):
        refer(routes, clock, utc(2026, 3, 2, 9), n)
    clock.set(utc(2026, 3, 5, 9))
    return routes


def client_for(app, name: str):
    client = app.test_client()
    assert sign_in(client, f"hm_{name}").status_code == 302
    return client


@pytest.mark.parametrize(("waiting", "most", "level"), [(0, 0, "none"), (0, 5, "none"), (1, 9, "low"),
                                                        (3, 9, "low"), (4, 9, "medium"), (6, 9, "medium"),
                                                        (7, 9, "high"), (9, 9, "high"), (1, 1, "high")])
def test_a_step_is_coloured_by_its_share_of_the_busiest_step(waiting, most, level):
    assert heat_level(waiting, most) == level


def test_the_diagram_data_carries_the_xml_and_the_tables_figures_for_each_step(busy):
    found = where_cases_wait(busy, "boss", "child_referral", 1, MARCH)
    heat = waiting_diagram(found)
    assert 'id="child_referral"' in heat["xml"] and heat["levels"] == ["none", "low", "medium", "high"]
    assert {k: v["waiting"] for k, v in heat["steps"].items()} == {s.element_id: s.open_now for s in found.steps}
    acknowledge, decision = heat["steps"]["task_acknowledge_referrer"], heat["steps"]["task_threshold_decision"]
    assert (acknowledge["waiting"], acknowledge["level"]) == (3, "high")
    assert (decision["waiting"], decision["median"], decision["breaches"], decision["level"]) == (0, 2.0, 1, "none")


def test_only_managers_the_cs_lead_administrators_and_critical_friends_may_read_the_diagram_data(busy):
    assert where_cases_wait(busy, "friend", "child_referral", 1, MARCH, page="waiting_diagram").steps
    with pytest.raises(NotPermitted):
        where_cases_wait(busy, "worker", "child_referral", 1, MARCH, page="waiting_diagram")


@pytest.mark.parametrize(("name", "status"), [("boss", 200), ("lead", 200), ("root", 200), ("friend", 200),
                                              ("prac", 403)])
def test_the_diagram_json_is_read_like_the_page(app, name, status):
    assert client_for(app, name).get(JSON).status_code == status


def test_the_diagram_json_needs_a_signed_in_reader_and_a_known_version(app):
    assert app.test_client().get(JSON).status_code in (302, 401)
    assert client_for(app, "boss").get("/insight/waiting/child_referral/99/diagram.json").status_code == 404


def test_the_json_counts_match_the_table_and_each_read_is_audited(app, busy):
    client = client_for(app, "boss")
    heat = client.get(JSON).get_json()
    export = client.get(JSON.replace("/diagram.json", "") + "&format=csv").get_data(as_text=True)
    table = {row["element id"]: row for row in csv.DictReader(io.StringIO(export))}
    assert set(table) == set(heat["steps"])
    for element, step in heat["steps"].items():
        assert (str(step["waiting"]), str(step["overdue"]), str(step["breaches"])) == (
            table[element]["waiting now"], table[element]["overdue now"], table[element]["finished after the due date"])
    with busy.db.read() as session:
        rows = session.scalars(select(AuditEvent).where(AuditEvent.action == "insight_viewed",
                                                        AuditEvent.subject_id == "waiting_diagram")).all()
    assert [r.actor for r in rows] == ["hm_boss"]


def test_the_page_draws_the_heat_map_without_inline_script_and_keeps_the_table(app, busy):
    response = client_for(app, "boss").get("/insight/waiting/child_referral/1?from=2026-03-01&to=2026-04-01")
    page = response.get_data(as_text=True)
    assert 'data-heat-url="/insight/waiting/child_referral/1/diagram.json?' in page
    assert "js/waiting-diagram.mjs" in page and "<table" in page and "app-heat--high" in page
    assert ' style="' not in page  # the table's shading is by class too
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'sha256-" in policy and "style-src 'self' 'unsafe-inline'" in policy

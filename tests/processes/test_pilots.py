"""Pilots that never surprise: a form saved during a pilot keeps who is in it; plans say so beforehand;
a pilot ends only when promoted, withdrawn or replaced, each audited."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.cases.intake import log_context_referral
from engine.errors import Conflict, InvalidFormData, InvalidProcess, NotFound
from engine.processes.form_editing import get_form, save_form, save_plan
from engine.processes.modelling import deploy_diagram, plan_diagram, process_diagram
from engine.processes.pilots import pilot_ending, promote_pilot, withdraw_pilot
from engine.processes.versions import get_version, list_processes
from engine.runtime.instances import get_instance
from engine.runtime.version_choice import rule_in_words
from engine.store.models import AuditEvent, ProcessVersion
from tests.support.case_data import context_referral, deploy_routes

ROUTE = "context_referral"
PUBLIC_SPACE = {"field": "context_type", "equals": "public_space"}
PILOT_STEP = "Acknowledge the referrer within a day"
SCHOOL = context_referral(context_type="school", context_name="Northgate Academy", school_urn="100001",
                          location={"address": "Northgate Academy, Exampletown", "postcode": "ZZ2 2BB",
                                    "uprn": "100000000002"})
PARK = context_referral()


@pytest.fixture
def pilot(svc):
    """context_referral version 1 current, version 2 a pilot for public spaces with a renamed first step
    (on SQLite and on PostgreSQL: the rule is JSON, and ending a pilot locks its row)."""
    deploy_routes(svc)
    _name, xml = process_diagram(svc, ROUTE)
    deploy_diagram(svc, ROUTE, xml.replace(b'name="Acknowledge the referrer"', f'name="{PILOT_STEP}"'.encode()),
                   actor="admin", pilot_rule=PUBLIC_SPACE)
    return svc


def _typo_fixed(svc) -> str:
    form = json.loads(get_form(svc, "ctx_referral"))
    form["components"].append({"type": "text", "text": "Thank you for telling us.", "id": "thanks"})
    return json.dumps(form)


def _first_step(svc, logged) -> tuple[int, list[str]]:
    view = get_instance(svc, logged.instance_id)
    return view.version, [w["name"] for w in view.open_work_items]


def _version(svc, number: int) -> ProcessVersion:
    with svc.db.read() as session:
        row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == ROUTE,
                                                           ProcessVersion.number == number)).one()
        session.expunge(row)
        return row


def test_a_form_saved_during_a_pilot_makes_a_new_current_and_a_new_pilot_and_keeps_who_is_in_it(pilot):
    plan = save_plan(pilot, "ctx_referral", _typo_fixed(pilot))
    said = [(v.number, v.kind, v.base, v.replaces, v.created) for v in plan.versions]
    assert said == [(3, "current", 1, None, True), (4, "pilot", 2, 2, True)]
    text = " ".join(s for v in plan.versions for s in v.sentences())
    assert "version 3 becomes the current version, built from version 1" in text
    assert "version 4 becomes a pilot for cases where Context type is Public space, built from version 2" in text
    assert "It replaces pilot version 2, which stops taking new cases." in text

    deployed = save_form(pilot, "ctx_referral", _typo_fixed(pilot), actor="ada", expected=plan.fingerprint)
    assert [(d.version, d.created) for d in deployed] == [(3, True), (4, True)]

    school = log_context_referral(pilot, SCHOOL, "fd")
    park = log_context_referral(pilot, PARK, "fd")
    assert _first_step(pilot, school) == (3, ["Acknowledge the referrer"])  # outside the pilot: not its step
    assert _first_step(pilot, park) == (4, [PILOT_STEP])
    added = log_context_referral(pilot, SCHOOL, "fd", add_to_case=school.case_ref)  # "add to an open case"
    assert get_instance(pilot, added.instance_id).version == 3
    assert b"Thank you for telling us." in get_form(pilot, "ctx_referral")

    assert (_version(pilot, 3).pilot_rule, _version(pilot, 4).pilot_rule) == (None, PUBLIC_SPACE)
    ended = _version(pilot, 2)
    assert (ended.pilot_outcome, ended.pilot_successor, ended.pilot_ended_by) == ("replaced", 4, "ada")


def test_a_save_planned_before_someone_else_deployed_is_refused_and_changes_nothing(pilot):
    plan = save_plan(pilot, "ctx_referral", _typo_fixed(pilot))
    _name, xml = process_diagram(pilot, ROUTE)
    deploy_diagram(pilot, ROUTE, xml.replace(b"Screen the context", b"Screen the context now"), actor="bo")
    with pytest.raises(Conflict, match="changed after you checked"):
        save_form(pilot, "ctx_referral", _typo_fixed(pilot), actor="ada", expected=plan.fingerprint)
    assert [v.number for v in _route(pilot).versions] == [3, 2, 1]  # only the other admin's deploy
    assert b"Thank you for telling us." not in get_form(pilot, "ctx_referral")


def test_a_new_current_version_from_the_modeller_leaves_the_pilot_taking_its_cases(pilot):
    _name, xml = process_diagram(pilot, ROUTE)
    assert b"within a day" not in xml  # the modeller opens the current version, not the pilot
    changed = xml.replace(b"Screen the context", b"Screen the context now")
    plan = plan_diagram(pilot, ROUTE, changed)
    [planned] = plan.versions
    assert (planned.number, planned.kind, planned.base) == (3, "current", 1)
    assert "Pilot version 2 carries on: new cases where Context type is Public space still start on it." \
        in planned.sentences()
    deploy_diagram(pilot, ROUTE, changed, actor="admin", expected=plan.fingerprint)
    assert _first_step(pilot, log_context_referral(pilot, PARK, "fd"))[0] == 2
    assert _first_step(pilot, log_context_referral(pilot, SCHOOL, "fd"))[0] == 3


def test_editing_the_pilot_in_the_modeller_gives_the_pilot_its_next_version_with_its_rule(pilot):
    _name, xml = process_diagram(pilot, ROUTE, 2)
    changed = xml.replace(b"Screen the context", b"Screen the context now")
    [planned] = plan_diagram(pilot, ROUTE, changed, base=2).versions
    assert (planned.number, planned.kind, planned.replaces, planned.pilot_rule) == (3, "pilot", 2, PUBLIC_SPACE)
    deploy_diagram(pilot, ROUTE, changed, actor="admin", base=2)
    assert _first_step(pilot, log_context_referral(pilot, PARK, "fd")) == (3, [PILOT_STEP])
    assert _first_step(pilot, log_context_referral(pilot, SCHOOL, "fd"))[0] == 1


def test_promoting_a_pilot_makes_it_current_for_everyone_and_is_audited(pilot):
    before = pilot_ending(pilot, ROUTE, 2, "promote")
    assert before.sentences[0] == ("Version 2 becomes the current version: every new case starts on it, not only "
                                   "where Context type is Public space.")
    promote_pilot(pilot, ROUTE, 2, actor="admin", reason="The pilot met its goals", expected=before.fingerprint)
    assert _first_step(pilot, log_context_referral(pilot, SCHOOL, "fd")) == (2, [PILOT_STEP])
    assert get_version(pilot, ROUTE, 2).current and get_version(pilot, ROUTE, 2).standing == "Current"
    with pilot.db.read() as session:
        row = session.scalars(select(AuditEvent).where(AuditEvent.action == "pilot_promoted")).one()
    assert (row.actor, row.details["version"], row.details["current_before"], row.details["current_after"]) == \
        ("admin", 2, 1, 2)
    assert row.details["reason"] == "The pilot met its goals"


def test_withdrawing_a_pilot_sends_its_cases_back_to_the_current_version_and_is_audited(pilot):
    running = log_context_referral(pilot, PARK, "fd")
    withdraw_pilot(pilot, ROUTE, 2, actor="admin", reason="Staff could not keep to a day")
    assert _first_step(pilot, log_context_referral(pilot, SCHOOL, "fd"))[0] == 1
    assert get_instance(pilot, running.instance_id).version == 2  # running cases stay where they are
    assert get_version(pilot, ROUTE, 2).standing == "Pilot (Context type is Public space), withdrawn"
    with pilot.db.read() as session:
        assert session.scalars(select(AuditEvent.action).where(AuditEvent.action == "pilot_withdrawn")).all()


def test_ending_a_pilot_refuses_bad_requests_and_changes_nothing(pilot):
    with pytest.raises(InvalidFormData) as no_reason:
        withdraw_pilot(pilot, ROUTE, 2, actor="admin", reason="  ")
    assert "reason" in no_reason.value.errors
    with pytest.raises(Conflict, match="not an active pilot"):
        promote_pilot(pilot, ROUTE, 1, actor="admin", reason="x")
    with pytest.raises(NotFound):
        withdraw_pilot(pilot, ROUTE, 9, actor="admin", reason="x")
    stale = pilot_ending(pilot, ROUTE, 2, "withdraw").fingerprint
    _name, xml = process_diagram(pilot, ROUTE)
    deploy_diagram(pilot, ROUTE, xml.replace(b"Screen the context", b"Screen it"), actor="bo")
    with pytest.raises(Conflict, match="changed after you looked"):
        withdraw_pilot(pilot, ROUTE, 2, actor="admin", reason="x", expected=stale)
    assert get_version(pilot, ROUTE, 2).pilot_active
    with pilot.db.read() as session:
        assert not session.scalars(select(AuditEvent).where(AuditEvent.action.like("pilot_%"))).all()


def test_a_pilot_rule_needs_a_field_and_a_value(pilot):
    _name, xml = process_diagram(pilot, ROUTE)
    with pytest.raises(InvalidProcess):
        deploy_diagram(pilot, ROUTE, xml.replace(b"Screen the context", b"Screen"), actor="a",
                       pilot_rule={"field": "context_type", "equals": ""})
    assert [v.number for v in _route(pilot).versions] == [2, 1]


def _route(svc):
    return next(p for p in list_processes(svc) if p.process_id == ROUTE)


def test_pilot_rules_read_as_words():
    assert rule_in_words(PUBLIC_SPACE) == "Context type is Public space"
    assert rule_in_words({"field": "team", "in": ["north", "east_side"]}) == "Team is North or East side"
    assert rule_in_words({"team": "north", "urgent": True}) == "Team is North and Urgent is Yes"
    assert rule_in_words(None) == ""


def test_two_admins_deploying_from_the_same_plan_take_turns_and_the_second_is_refused(pilot):
    import threading

    _name, xml = process_diagram(pilot, ROUTE)
    drawn = [xml.replace(b"Screen the context", f"Screen the context ({who})".encode()) for who in ("a", "b")]
    expected = plan_diagram(pilot, ROUTE, drawn[0]).fingerprint
    start, outcomes = threading.Barrier(2), []

    def deploy_as(actor: str, diagram: bytes) -> None:
        start.wait()
        try:
            outcomes.append(deploy_diagram(pilot, ROUTE, diagram, actor=actor, expected=expected)[0].version)
        except Conflict:
            outcomes.append("refused")

    threads = [threading.Thread(target=deploy_as, args=(a, d)) for a, d in zip(("ann", "ben"), drawn, strict=True)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(outcomes, key=str) == [3, "refused"]
    assert [v.number for v in _route(pilot).versions] == [3, 2, 1]

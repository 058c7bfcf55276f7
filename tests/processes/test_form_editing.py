"""Form editor use cases: list, check (renamed fields a condition reads), save as new versions, delete refusal."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.cases.intake import log_context_referral
from engine.errors import Conflict, InvalidProcess, NotFound
from engine.processes.form_editing import check_form, delete_form, get_form, list_forms, save_form
from engine.processes.versions import list_processes
from engine.runtime.instances import get_instance
from engine.store.models import AuditEvent
from engine.workflow.data_reads import read_paths
from tests.support.case_data import context_referral, deploy_routes


@pytest.fixture
def routes(lite):
    """The shipped routes, decisions and forms, deployed once as version 1."""
    deploy_routes(lite)
    return lite


def _renamed(svc, form_id: str, old_key: str, new_key: str) -> str:
    return get_form(svc, form_id).decode().replace(f'"key": "{old_key}"', f'"key": "{new_key}"')


def _relabelled(svc, form_id: str) -> str:
    form = json.loads(get_form(svc, form_id))
    form["components"].append({"type": "text", "text": "Thank you for telling us.", "id": "thanks"})
    return json.dumps(form)


def _newest(svc) -> dict[str, int]:
    return {p.process_id: p.versions[0].number for p in list_processes(svc)}


def test_the_list_names_each_form_and_the_processes_using_it(routes):
    forms = {f.form_id: f for f in list_forms(routes)}
    assert forms["ctx_referral"].processes == ["context_referral"]
    assert forms["child_referral"].processes == ["child_referral"]
    assert forms["ctx_referral"].version == 1 and forms["ctx_referral"].changed_by == "admin"
    assert forms["ctx_referral"].title


def test_renaming_a_field_a_child_referral_condition_reads_is_reported(routes):
    problems = check_form(routes, "child_referral", _renamed(routes, "child_referral", "immediate_risk",
                                                             "immediate_danger"))
    found = {(p.element_id, p.file) for p in problems}
    assert ("flow_immediate_danger", "child_referral.bpmn") in found
    assert "reads 'immediate_risk', which this form no longer has" in problems[0].message


def test_renaming_a_field_a_context_referral_condition_reads_is_reported(routes):
    problems = check_form(routes, "ctx_referral", _renamed(routes, "ctx_referral", "children_at_immediate_risk",
                                                           "kids_at_risk"))
    assert [p.element_id for p in problems] == ["Flow_gw_immediate_risk__svc_start_child_referral"]
    assert problems[0].message.startswith("The condition on 'Yes' reads 'children_at_immediate_risk'")


def test_renaming_a_field_a_decision_reads_is_reported(routes):
    problems = check_form(routes, "ctx_screening", _renamed(routes, "ctx_screening", "harm_severity", "severity"))
    assert ("Input_harm_severity", "context_threshold.dmn") in {(p.element_id, p.file) for p in problems}


def test_a_form_that_cannot_be_read_or_changes_its_id_is_refused(routes):
    assert check_form(routes, "ctx_referral", "{not json")
    moved = get_form(routes, "ctx_referral").decode().replace('"id": "ctx_referral"', '"id": "ctx_other"', 1)
    [problem] = check_form(routes, "ctx_referral", moved)
    assert "must stay 'ctx_referral'" in problem.message


def test_save_refuses_a_form_with_problems_and_stores_nothing(routes):
    before = _newest(routes)
    with pytest.raises(InvalidProcess):
        save_form(routes, "ctx_referral", _renamed(routes, "ctx_referral", "children_at_immediate_risk", "x"),
                  actor="ada")
    assert _newest(routes) == before


def test_a_valid_edit_versions_the_processes_using_it_and_running_cases_stay(routes):
    running = log_context_referral(routes, context_referral(), "fd")
    version_before = get_instance(routes, running.instance_id).version
    assert check_form(routes, "ctx_referral", _relabelled(routes, "ctx_referral")) == []
    deployed = save_form(routes, "ctx_referral", _relabelled(routes, "ctx_referral"), actor="ada")
    assert [(d.process_id, d.version, d.created) for d in deployed] == [("context_referral", 2, True)]
    assert b"Thank you for telling us." in get_form(routes, "ctx_referral")
    assert version_before == 1 and get_instance(routes, running.instance_id).version == 1
    assert {f.form_id: f.version for f in list_forms(routes)}["ctx_referral"] == 2
    with routes.db.read() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "ada")).all()
    assert "form_saved" in actions and "process_deployed" in actions


def test_saving_unchanged_content_keeps_the_existing_versions(routes):
    deployed = save_form(routes, "ctx_referral", get_form(routes, "ctx_referral"), actor="ada")
    assert [(d.version, d.created) for d in deployed] == [(1, False)]


def test_a_form_a_live_process_uses_cannot_be_deleted(routes):
    with pytest.raises(Conflict) as refused:
        delete_form(routes, "ctx_referral", actor="ada")
    assert "context_referral" in refused.value.message


def test_an_unknown_form_is_not_found(routes):
    with pytest.raises(NotFound):
        get_form(routes, "nothing_here")
    with pytest.raises(NotFound):
        delete_form(routes, "nothing_here", actor="ada")


def test_reads_follow_attributes_but_not_helper_calls():
    paths = read_paths("${consent.status == 'given' and timescale('x', action.due_date) and data.get('k')}")
    assert paths == {"consent.status", "action.due_date", "data"}
    assert read_paths("PT24H") == frozenset()

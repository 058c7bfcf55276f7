"""Versions: listing, comparing, pilots, and moving running instances (dry run and batch)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import InvalidProcess
from engine.processes.deploy import deploy
from engine.processes.migration import dry_run, move_instances
from engine.processes.versions import compare_versions, get_version_files, list_processes
from engine.runtime.instances import get_instance
from engine.store.models import AuditEvent, Instance, Timer, WorkItem
from engine.work.items import complete_work_item
from tests.support.factories import demo_files, demo_team, deploy_demo, make_user, start_demo, with_housing_check


@pytest.fixture
def team(lite):
    deploy_demo(lite)
    demo_team(lite)
    make_user(lite, "ho", "housing")
    return lite


def _open(view, element):
    return next(w for w in view.open_work_items if w["element_id"] == element)


def test_processes_list_versions_with_running_instances(team):
    start_demo(team)
    deploy(team, with_housing_check(demo_files()), actor="admin", note="housing pilot")
    [process] = list_processes(team)
    assert [(v.number, v.running, v.deployed_by) for v in process.versions] == [(2, 0, "admin"), (1, 1, "admin")]
    assert process.running == 1
    assert "demo_intake.bpmn" in get_version_files(team, "demo_intake", 2)


def test_compare_reports_elements_by_id_and_ignores_layout(team):
    deploy(team, with_housing_check(demo_files()), actor="admin")
    changes = compare_versions(team, "demo_intake", 1, 2)
    assert changes.added == ("f2b", "housing_check")
    assert set(changes.changed) == {"f2", "lookup"}
    assert changes.files_changed == ("demo_intake.bpmn",)
    files = demo_files()
    files["demo_intake.bpmn"] = files["demo_intake.bpmn"].replace(b"<bpmn:incoming>", b"\n  <bpmn:incoming>")
    deploy(team, files, actor="admin")
    same = compare_versions(team, "demo_intake", 1, 3)
    assert (same.added, same.removed, same.changed) == ((), (), ())


def test_a_pilot_version_starts_only_for_cases_its_rule_matches(team):
    deploy(team, with_housing_check(demo_files()), actor="admin",
           pilot_rule={"field": "context_type", "equals": "school"})
    pilot = start_demo(team, {"context_type": "school"})
    ordinary = start_demo(team, {"context_type": "street"}, case_ref="C-2")
    assert (pilot.version, ordinary.version) == (2, 1)
    with pytest.raises(InvalidProcess):
        deploy(team, demo_files(), actor="admin", pilot_rule={"field": "team"})


def test_a_newer_current_version_leaves_an_active_pilot_taking_its_cases(team):
    deploy(team, with_housing_check(demo_files()), actor="admin", pilot_rule={"team": "north"})
    files = demo_files()
    files["demo_intake.bpmn"] = files["demo_intake.bpmn"].replace(b"Triage the contact", b"Triage the referral")
    deploy(team, files, actor="admin")
    assert start_demo(team, {"team": "north"}).version == 2
    assert start_demo(team, {"team": "south"}, case_ref="C-2").version == 3


def test_new_cases_take_the_new_route_while_older_ones_finish_on_the_old(team):
    old = start_demo(team)
    deploy(team, with_housing_check(demo_files()), actor="admin")
    new = start_demo(team, case_ref="C-2")
    after = complete_work_item(team, _open(new, "triage")["id"], "fd", {"rag": "green"})
    assert [w["element_id"] for w in after.open_work_items] == ["housing_check"]
    after_old = complete_work_item(team, _open(old, "triage")["id"], "fd", {"rag": "green"})
    assert [w["element_id"] for w in after_old.open_work_items] == ["routine_review"]
    assert get_instance(team, old.id).version == 1


def test_dry_run_says_who_can_move_and_why_not(team):
    at_triage = start_demo(team)
    passed = start_demo(team, case_ref="C-2")
    complete_work_item(team, _open(passed, "triage")["id"], "fd", {"rag": "green"})
    deploy(team, with_housing_check(demo_files()), actor="admin")
    report = {r.instance_id: r for r in dry_run(team, "demo_intake", 1, 2)}
    assert report[at_triage.id].can_move and report[at_triage.id].waiting_at == ("Triage the contact",)
    assert not report[passed.id].can_move
    assert ("It already passed 'Triage the contact', and the step after it changed in the new version"
            in report[passed.id].reasons)


def test_batch_moves_the_movable_and_leaves_the_rest_exactly_as_they_were(team):
    at_triage = start_demo(team)
    passed = start_demo(team, case_ref="C-2")
    complete_work_item(team, _open(passed, "triage")["id"], "fd", {"rag": "green"})
    deploy(team, with_housing_check(demo_files()), actor="admin")
    with team.db.read() as session:
        before = session.get(Instance, passed.id).state
    results = {r.instance_id: r for r in move_instances(team, "demo_intake", 1, 2, None, actor="admin")}
    assert results[at_triage.id].moved and not results[passed.id].moved
    moved = get_instance(team, at_triage.id)
    assert moved.version == 2
    after = complete_work_item(team, _open(moved, "triage")["id"], "fd", {"rag": "green"})
    assert [w["element_id"] for w in after.open_work_items] == ["housing_check"]
    with team.db.read() as session:
        assert session.get(Instance, passed.id).state == before
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("instance%_migrated"))).all()
    assert sorted(actions) == ["instance_migrated", "instances_migrated"]


def test_a_moved_instance_keeps_its_timer_due_time_and_gets_the_new_task_settings(team, clock):
    view = start_demo(team)
    view = complete_work_item(team, _open(view, "triage")["id"], "fd", {"rag": "red"})
    view = complete_work_item(team, _open(view, "police_check")["id"], "pc", {"note": "No trace"})
    view = complete_work_item(team, _open(view, "health_check")["id"], "hv", {"note": "Known to GP"})
    with team.db.read() as session:
        due = session.scalar(select(Timer.due_at).where(Timer.instance_id == view.id))
    files = demo_files()
    old = b'name="Manager decision" camunda:formRef="demo_decision"\n        camunda:candidateGroups="mash_manager"'
    new = old.replace(b"Manager decision", b"Decide as a manager").replace(b'"mash_manager"', b'"service_manager"')
    files["demo_intake.bpmn"] = files["demo_intake.bpmn"].replace(old, new)
    deploy(team, files, actor="admin")
    clock.advance(hours=2)
    [result] = move_instances(team, "demo_intake", 1, 2, [view.id], actor="admin")
    assert result.moved and result.timers_kept == ("decision_overdue",)
    with team.db.read() as session:
        assert session.scalar(select(Timer.due_at).where(Timer.instance_id == view.id)) == due
        item = session.scalars(select(WorkItem).where(WorkItem.instance_id == view.id,
                                                      WorkItem.status == "open")).one()
    assert (item.name, item.groups) == ("Decide as a manager", "service_manager")


def test_finished_instances_are_not_moved(team):
    view = start_demo(team)
    deploy(team, with_housing_check(demo_files()), actor="admin")
    from engine.runtime.instances import set_status

    set_status(team, view.id, "terminated", actor="admin", reason="test")
    [result] = dry_run(team, "demo_intake", 1, 2, [view.id])
    assert not result.can_move and "terminated" in result.reasons[0]


def test_a_version_differing_only_in_defaults_and_layout_compares_equal_and_blocks_no_move(team):
    passed = start_demo(team)
    complete_work_item(team, _open(passed, "triage")["id"], "fd", {"rag": "red"})
    files = demo_files()
    for old, new in ((b'<bpmn:userTask id="triage"', b'<bpmn:userTask id="triage" startQuantity="1"'),
                     (b'cancelActivity="false"', b'cancelActivity="false" parallelMultiple="false"')):
        files["demo_intake.bpmn"] = files["demo_intake.bpmn"].replace(old, new)
    deploy(team, files, actor="admin")
    assert compare_versions(team, "demo_intake", 1, 2).none
    [report] = dry_run(team, "demo_intake", 1, 2)
    assert (report.instance_id, report.can_move, report.reasons) == (passed.id, True, ())

"""Starting, advancing, restarting, timers, messages and failures, through the real services."""

from __future__ import annotations

import gc

import pytest
from sqlalchemy import func, select

from engine.bootstrap import bootstrap
from engine.errors import Conflict, NotFound, WorkflowFailed
from engine.runtime.instances import get_instance, send_message, set_status
from engine.runtime.operations import OPERATIONS
from engine.scheduler.timers import fire_due
from engine.store.models import AuditEvent, Instance, Timer, WorkItem
from engine.work.items import complete_work_item
from tests.support.factories import demo_team, deploy_demo, start_demo


@pytest.fixture
def team(svc):
    deploy_demo(svc)
    demo_team(svc)
    return svc


def _open(view, element):
    return next(w for w in view.open_work_items if w["element_id"] == element)


def _to_manager_decision(svc):
    view = start_demo(svc)
    view = complete_work_item(svc, _open(view, "triage")["id"], "fd", {"rag": "red"})
    view = complete_work_item(svc, _open(view, "police_check")["id"], "pc", {"note": "No trace"})
    return complete_work_item(svc, _open(view, "health_check")["id"], "hv", {"note": "Known to GP"})


def test_whole_demo_path_with_timer_escalation_and_message(team, clock):
    svc = team
    view = _to_manager_decision(svc)
    assert [w["element_id"] for w in view.open_work_items] == ["manager_decision"]
    assert _open(view, "manager_decision")["priority"] == 80
    assert fire_due(svc) == 0  # the 4-hour boundary timer is not due yet
    clock.advance(hours=4, minutes=1)
    assert fire_due(svc) == 1
    view = get_instance(svc, view.id)
    assert sorted(w["element_id"] for w in view.open_work_items) == ["escalate", "manager_decision"]
    assert fire_due(svc) == 0  # fired exactly once
    view = complete_work_item(svc, _open(view, "manager_decision")["id"], "mgr",
                              {"decision": "nfa", "rationale": "Fictional rationale"})
    assert [w["element_id"] for w in view.open_work_items] == ["escalate"]
    view = send_message(svc, "police_reply", {"reply": "none"}, actor="police-system", case_ref="C-1")
    assert view.status == "waiting"
    view = complete_work_item(svc, _open(view, "escalate")["id"], "smgr", {"note": "Chased"})
    assert view.status == "completed"
    assert [h["action"] for h in get_instance(svc, view.id).history].count("timer_fired") == 1


def test_restart_rebuilds_everything_from_the_database(team, clock):
    view = _to_manager_decision(team)
    url = team.db.url
    team.db.dispose()
    del team
    gc.collect()
    fresh = bootstrap(clock=clock, database_url=url)  # new engine, new caches of nothing but specs
    item = _open(get_instance(fresh, view.id), "manager_decision")
    done = complete_work_item(fresh, item["id"], "mgr", {"decision": "cfa", "rationale": "Fictional"})
    assert done.open_work_items == []
    assert done.status == "waiting"  # waits for the police reply message
    fresh.db.dispose()


def test_routine_branch_and_dmn_output(team):
    svc = team
    view = start_demo(svc, case_ref=None)
    view = complete_work_item(svc, _open(view, "triage")["id"], "fd", {"rag": "green"})
    assert [w["element_id"] for w in view.open_work_items] == ["routine_review"]
    with svc.db.read() as session:
        state = session.get(Instance, view.id).state
    assert '"recommended_level":2' in state.replace(" ", "")
    assert '"decision_trace":{"decide_level":{"decision":"demo_level","rules":["r_other"],"rows":[3]' in state


def test_a_failing_service_rolls_back_the_whole_step(team):
    svc = team
    view = start_demo(svc)
    item = _open(view, "triage")

    original = OPERATIONS._ops["demo_lookup"]

    def broken(ctx, data):
        raise RuntimeError("directory offline")

    OPERATIONS._ops["demo_lookup"] = broken
    try:
        with pytest.raises(WorkflowFailed) as err:
            complete_work_item(svc, item["id"], "fd", {"rag": "red"})
    finally:
        OPERATIONS._ops["demo_lookup"] = original
    assert err.value.details["element_id"] == "lookup"
    assert "directory offline" in err.value.message
    after = get_instance(svc, view.id)
    assert [w["element_id"] for w in after.open_work_items] == ["triage"]
    assert after.open_work_items[0]["status"] == "open"
    with svc.db.read() as session:
        assert session.scalar(select(func.count()).select_from(WorkItem)) == 1
    complete_work_item(svc, item["id"], "fd", {"rag": "red"})  # and it can be retried


def test_stale_save_is_refused_by_the_version_check(team):
    svc = team
    view = start_demo(svc)
    with svc.db.read() as session:  # a reader takes its copy of the row...
        stale = session.get(Instance, view.id)
        session.expunge(stale)
    with svc.db.transaction() as session:  # ...then someone else saves the instance
        session.get(Instance, view.id).lock_version += 1
    from engine.runtime.steps import run_step

    with pytest.raises(Conflict), svc.db.transaction() as session:
        run_step(svc, session, stale, "fd", lambda inst: inst.advance())
    with svc.db.read() as session:
        assert session.get(Instance, view.id).lock_version == stale.lock_version + 1


def test_message_nobody_waits_for(team):
    with pytest.raises(NotFound):
        send_message(team, "police_reply", {}, actor="x", case_ref="nope")


def test_suspend_blocks_work_and_terminate_cancels_items(team):
    svc = team
    view = start_demo(svc)
    set_status(svc, view.id, "suspended", "mgr", "Family moved away")
    with pytest.raises(Conflict):
        complete_work_item(svc, _open(view, "triage")["id"], "fd", {"rag": "red"})
    set_status(svc, view.id, "waiting", "mgr", "Back")
    done = set_status(svc, view.id, "terminated", "mgr", "Opened in error")
    assert done.status == "terminated" and done.open_work_items == []
    with svc.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Timer)) == 0


def test_every_step_writes_audit_rows(team):
    view = _to_manager_decision(team)
    with team.db.read() as session:
        actions = session.scalars(select(AuditEvent.action)).all()
    assert actions.count("task_completed") == 3
    assert "instance_started" in actions
    assert get_instance(team, view.id).history[0]["action"] == "instance_started"

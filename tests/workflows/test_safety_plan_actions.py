"""Safety-plan actions are owned by their agency (docs/decisions.md, D47): each action becomes a task
offered to its owner's group only, showing the action and its goal and due on its date, and the plan
page on the context tracks every action with its updates. Candidate groups worked out from the data are
checked at deploy and again when the task opens."""

from __future__ import annotations

import pytest

from engine.access.need_to_know import NoNeedToKnow
from engine.cases.plans import safety_plan
from engine.errors import InvalidProcess, WorkflowFailed
from engine.people.directory import add_user
from engine.processes.deploy import deploy
from engine.runtime.instances import get_instance, start_process
from engine.store.models import Instance, WorkItem
from engine.work.inbox import inbox
from tests.support.case_data import deploy_routes
from tests.support.walker import ensure_group_users, walk
from tests.workflow.bpmn_text import HEAD
from tests.workflows.test_context_routes_paths import _to_agreed_plan

PATROLS = {"action": "Police patrols at the bandstand on Friday evenings", "owner_agency": "police",
           "due_date": "2026-05-01", "goal": "Young people feel safe in the park after dark"}
LICENCE = {"action": "Review the late licence of the takeaway on Mill Lane", "owner_agency": "licensing",
           "due_date": "2026-05-15", "goal": "No alcohol sold to under-18s"}
YOUTH = {"action": "Detached youth work on Friday evenings", "owner_agency": "youth_service",
         "due_date": "2026-06-01"}


@pytest.fixture
def routes(lite):
    deploy_routes(lite)
    ensure_group_users(lite)
    return lite


def test_a_plan_with_three_actions_lands_in_exactly_those_three_groups_inboxes(routes):
    instance = _to_agreed_plan(routes, [PATROLS, LICENCE, YOUTH])
    items = [w for w in get_instance(routes, instance).open_work_items if w["element_id"] == "ut_deliver_action_first"]
    assert sorted(w["groups"][0] for w in items) == ["licensing", "police", "youth_service"]
    assert all(len(w["groups"]) == 1 for w in items)
    for group, action in (("police", PATROLS), ("licensing", LICENCE), ("youth_service", YOUTH)):
        [mine] = [w for w in inbox(routes, f"user_{group}").items if w["element_id"] == "ut_deliver_action_first"]
        assert mine["due_at"].startswith(action["due_date"])
    for group in ("housing", "education", "health", "vcs", "town_planning", "community_safety"):
        assert [w for w in inbox(routes, f"user_{group}").items if w["element_id"].startswith("ut_deliver")] == []


def test_each_task_says_what_the_action_is_and_the_goal_it_serves(routes):
    instance = _to_agreed_plan(routes, [PATROLS])
    with routes.db.read() as session:
        [task] = session.query(WorkItem).filter_by(instance_id=instance, element_id="ut_deliver_action_first").all()
        shown = task.documentation
    assert shown.startswith(f"Action: {PATROLS['action']}\nGoal it serves: {PATROLS['goal']}\n\n")


def test_the_plan_page_tracks_every_action_and_its_updates(routes):
    instance = _to_agreed_plan(routes, [PATROLS, LICENCE])
    ref = get_instance(routes, instance).case_ref
    walk(routes, instance, {"ut_deliver_action_first": {"action_status": "done",
                                                        "action_progress": "Patrols every Friday since April"}},
         max_steps=1)
    plan = safety_plan(routes, ref, "user_cs_lead")
    by_owner = {a["owner"]: a for a in plan.actions}
    assert set(by_owner) == {"Licensing", "Police"} and plan.cycles == [1]
    done = next(a for a in plan.actions if a["status"] == "done")
    assert done["updates"][0]["progress"] == "Patrols every Friday since April"
    assert done["updates"][0]["actor"].startswith("user_")
    assert [a["status"] for a in plan.actions].count("open") == 1


def test_the_plan_page_opens_only_with_need_to_know(routes):
    instance = _to_agreed_plan(routes, [PATROLS])
    ref = get_instance(routes, instance).case_ref
    add_user(routes, "stranger", ["housing"], "test")
    with pytest.raises(NoNeedToKnow):
        safety_plan(routes, ref, "stranger")


# --- candidate groups from data, checked at deploy and when the task opens ---------------------------------

FORM = b"""{"id": "job_list", "type": "default", "schemaVersion": 16, "components": [
  {"type": "dynamiclist", "id": "List_jobs", "path": "jobs", "label": "Jobs", "isRepeating": true,
   "components": [{"type": "select", "key": "team", "id": "Field_team", "label": "Team",
                   "values": [{"label": "Police", "value": "police"}, {"label": "Ghosts", "value": "%s"}]}]}]}"""


def _bpmn(groups: str) -> bytes:
    return HEAD.encode() + f"""<bpmn:process id="jobs" isExecutable="true">
  <bpmn:startEvent id="s"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
  <bpmn:subProcess id="each"><bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
    <bpmn:multiInstanceLoopCharacteristics camunda:collection="jobs" camunda:elementVariable="job"/>
    <bpmn:startEvent id="s2"><bpmn:outgoing>g1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:userTask id="do_job" name="Do the job" camunda:formRef="job_list" camunda:candidateGroups="{groups}">
      <bpmn:incoming>g1</bpmn:incoming><bpmn:outgoing>g2</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="e2"><bpmn:incoming>g2</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="g1" sourceRef="s2" targetRef="do_job"/>
    <bpmn:sequenceFlow id="g2" sourceRef="do_job" targetRef="e2"/>
  </bpmn:subProcess>
  <bpmn:endEvent id="e"><bpmn:incoming>f2</bpmn:incoming></bpmn:endEvent>
  <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="each"/>
  <bpmn:sequenceFlow id="f2" sourceRef="each" targetRef="e"/>
</bpmn:process></bpmn:definitions>""".encode()


def _problems(svc, groups: str, ghost: str = "youth_service") -> list[str]:
    try:
        deploy(svc, {"jobs.bpmn": _bpmn(groups), "job_list.form": FORM % ghost.encode()}, "admin")
    except InvalidProcess as exc:
        return [f"{p.element_id}: {p.message}" for p in exc.problems]
    return []


def test_deploy_refuses_candidate_groups_that_could_name_no_group(lite):
    add_user(lite, "pc", ["police", "youth_service"], "test")
    [problem] = _problems(lite, "${job.team}", ghost="ghosts")
    assert problem.startswith("do_job:") and "ghosts" in problem and "not a group" in problem
    [problem] = _problems(lite, "${case_owner}")
    assert "reads 'case_owner', which is not the multi-instance item (job)" in problem
    [problem] = _problems(lite, "${job.notes}")
    assert "no form fills from a fixed list" in problem
    assert _problems(lite, "${job.team}") == []


def test_a_group_the_data_names_that_does_not_exist_stops_the_step_and_creates_nothing(lite):
    add_user(lite, "pc", ["police", "youth_service"], "test")
    assert _problems(lite, "${job.team}") == []
    with pytest.raises(WorkflowFailed) as failed:
        start_process(lite, "jobs", {"jobs": [{"team": "police"}, {"team": "nowhere"}]}, "admin")
    assert failed.value.details["element_id"] == "do_job" and "nowhere" in failed.value.message
    started = start_process(lite, "jobs", {"jobs": [{"team": "police"}]}, "admin")
    assert [w["groups"] for w in started.open_work_items] == [["police"]]
    with lite.db.read() as session:
        assert session.query(Instance).count() == 1 and session.query(WorkItem).count() == 1

"""Static checks of the change programme's routes and forms: they parse, pass the deploy validator, follow the
conventions (forms, groups, instructions, diagram interchange, defaults), and every owner or agency a form
offers reaches a task for that owner's group."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from engine.forms.definition import parse_form
from engine.programme.agencies import AGENCIES, OWNERS
from engine.workflow.validation import Catalogue, validate_bundle

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ("governance_meeting", "programme_action", "values_agreement", "critical_friend_question",
             "pilot_reflection")
FORMS = ("governance_plan", "governance_minutes", "programme_action_done", "values_response",
         "programme_question_answer", "pilot_reflection", "pilot_decision")
TOPICS = {"record_governance_meeting", "record_programme_action", "record_values_response", "record_question_answer",
          "record_pilot_decision"}
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI"}
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def _root(pid: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.parse(str(ROOT / "workflows" / "bpmn" / f"{pid}.bpmn"), parser).getroot()


def _form(fid: str) -> dict:
    return json.loads((ROOT / "forms" / f"{fid}.form").read_text())


def test_spiffworkflow_reads_every_programme_route():
    parser = CamundaParser()
    parser.add_bpmn_files([str(ROOT / "workflows" / "bpmn" / f"{pid}.bpmn") for pid in PROCESSES])
    assert [parser.get_spec(pid).name for pid in PROCESSES] == list(PROCESSES)


def test_the_deploy_validator_finds_no_problems():
    files = {f"{pid}.bpmn": (ROOT / "workflows" / "bpmn" / f"{pid}.bpmn").read_bytes() for pid in PROCESSES}
    assert [p.to_dict() for p in validate_bundle(files, Catalogue(forms=set(FORMS), topics=TOPICS))] == []


@pytest.mark.parametrize("fid", FORMS)
def test_every_form_parses_and_is_named_after_its_file(fid):
    assert parse_form((ROOT / "forms" / f"{fid}.form").read_text(), f"{fid}.form").id == fid


@pytest.mark.parametrize("pid", PROCESSES)
def test_user_tasks_have_a_form_groups_and_instructions_and_everything_is_drawn(pid):
    root = _root(pid)
    for task in root.iterfind(".//bpmn:userTask", NS):
        assert task.get(f"{CAMUNDA}formRef") in FORMS, task.get("id")
        assert task.get(f"{CAMUNDA}candidateGroups"), task.get("id")
        assert len(task.findtext("bpmn:documentation", namespaces=NS) or "") > 60, task.get("id")
    for task in root.iterfind(".//bpmn:serviceTask", NS):
        assert task.get(f"{CAMUNDA}topic") in TOPICS, task.get("id")
    drawn = {s.get("bpmnElement") for s in root.iter(f"{{{NS['bpmndi']}}}BPMNShape")}
    drawn |= {e.get("bpmnElement") for e in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge")}
    elements = {e.get("id") for e in root.iter() if isinstance(e.tag, str) and e.get("id") and
                etree.QName(e).localname not in ("process", "definitions", "BPMNDiagram", "BPMNPlane", "BPMNShape",
                                                 "BPMNEdge", "multiInstanceLoopCharacteristics")}
    assert elements - drawn == set()


def _fan(pid: str, gateway: str) -> set[str]:
    """The groups a gateway's user tasks are offered to (the default included)."""
    root = _root(pid)
    targets = {f.get("targetRef") for f in root.iterfind(".//bpmn:sequenceFlow", NS) if f.get("sourceRef") == gateway}
    return {t.get(f"{CAMUNDA}candidateGroups") for t in root.iterfind(".//bpmn:userTask", NS) if t.get("id") in targets}


def _values(fid: str, key: str) -> set[str]:
    def walk(components):
        for c in components:
            if c.get("key") == key:
                return {v["value"] for v in c["values"]}
            found = walk(c.get("components", []))
            if found:
                return found
        return set()
    return walk(_form(fid)["components"])


def test_every_owner_a_form_offers_has_a_task_for_its_group():
    owners = _fan("programme_action", "gw_action_owner")
    assert owners == set(OWNERS)
    assert _values("governance_minutes", "owner_group") <= owners
    assert _values("review_results", "owner_group") <= owners


def test_every_agency_asked_for_its_values_has_a_task_for_its_senior_leaders():
    groups = _fan("values_agreement", "gw_agency")
    assert {("partnership" if a == "council" else a) for a in AGENCIES} <= groups
    assert _values("governance_minutes", "attending_agencies") == set(AGENCIES)


def test_the_action_route_is_due_when_its_action_is():
    due = {t.get(f"{CAMUNDA}dueDate") for t in _root("programme_action").iterfind(".//bpmn:userTask", NS)}
    assert due == {"${action.get('due_date')}"}

"""Static checks of the context route, its assessment sub-processes, the system review, the context
threshold table and their forms (context_referral.bpmn and friends).

These read the files only, apart from the threshold table, which is run through the project's safe
script engine. Walking every path with save/restore is left to the runtime tests.
"""

from __future__ import annotations

import ast
import json
import tomllib
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from lxml import etree
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from engine.forms.definition import parse_form
from engine.workflow.expressions import HELPER_NAMES, compile_expression, strip_expression
from engine.workflow.scripting import SafeScriptEngine
from engine.workflow.validation import Catalogue, validate_bundle

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "workflows" / "bpmn"
PROCESSES = ("context_referral", "school_assessment", "peer_group_assessment", "neighbourhood_assessment",
             "system_review")
BPMN_FILES = {pid: BPMN_DIR / f"{pid}.bpmn" for pid in PROCESSES}
DMN_FILE = BPMN_DIR / "context_threshold.dmn"
FORMS = ROOT / "forms"
FORM_PREFIXES = ("ctx_", "school_", "peer_", "nbh_", "review_")
MY_FORMS = sorted(p.stem for p in FORMS.glob("*.form") if p.stem.startswith(FORM_PREFIXES))
BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
NS = {"bpmn": BPMN_NS, "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
      "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/"}
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
# The topics and groups listed in docs/bpmn-conventions.md.
TOPICS = {"match_child", "match_context", "open_context", "link_child_context", "notify_referrer",
          "start_child_referral", "start_context_referral", "alert_police", "share_with_linked_workers",
          "record_repeat_watch", "start_assessment", "record_safety_plan", "record_plan_action_update",
          "record_review_actions"}
GROUPS = {"front_door", "mash_social_worker", "mash_manager", "service_manager", "cs_lead", "assessment_team",
          "early_help", "review_unit", "conference_chair", "police", "health", "education", "community_safety",
          "licensing", "housing", "vcs", "town_planning", "youth_service", "youth_justice", "probation",
          "intelligence", "partnership", "critical_friend", "performance", "admin"}
# Data set by the engine, a service topic, the DMN table or a multi-instance element variable.
NON_FORM_KEYS = {"referral_received_at", "context_match", "recommended_level", "recommended_route",
                 "action", "review_domain"}
# docs/domain.md (harm type codes).
HARM_CODES = {"sexual_exploitation", "criminal_exploitation", "county_lines", "serious_violence", "modern_slavery",
              "harmful_sexual_behaviour", "teenage_relationship_abuse", "online_harm", "radicalisation",
              "missing", "gang_association", "other"}
FLOW_NODES = ("startEvent", "endEvent", "boundaryEvent", "intermediateCatchEvent", "userTask", "serviceTask",
              "businessRuleTask", "subProcess", "callActivity", "exclusiveGateway", "parallelGateway",
              "inclusiveGateway")


def _load(path: Path) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.parse(str(path), parser)
    assert tree.docinfo.doctype == ""
    return tree.getroot()


@pytest.fixture(scope="module")
def roots() -> dict[str, etree._Element]:
    """Every BPMN file of the context routes, parsed strictly."""
    return {pid: _load(path) for pid, path in BPMN_FILES.items()}


@pytest.fixture(scope="module")
def forms() -> dict[str, dict]:
    """Every form these routes own, as raw JSON."""
    return {fid: json.loads((FORMS / f"{fid}.form").read_text()) for fid in MY_FORMS}


def _all(root: etree._Element, tag: str) -> list[etree._Element]:
    return root.findall(f".//bpmn:{tag}", NS)


def _form_keys(components: list[dict]) -> set[str]:
    """Top-level data keys a form writes (a group without a path writes its children's keys)."""
    keys: set[str] = set()
    for component in components:
        if component.get("path"):
            keys.add(component["path"].split(".")[0])
        elif component.get("key"):
            keys.add(component["key"])
        elif component.get("type") == "group":
            keys |= _form_keys(component.get("components", []))
    return keys


def _expressions(root: etree._Element) -> list[tuple[str, str]]:
    """(element id, text) of every condition, timer, loop condition and due date in a file."""
    found = [(f.get("id"), f.findtext("bpmn:conditionExpression", namespaces=NS))
             for f in _all(root, "sequenceFlow") if f.find("bpmn:conditionExpression", NS) is not None]
    found += [(t.getparent().get("id"), t.findtext("bpmn:timeDate", namespaces=NS))
              for t in _all(root, "timerEventDefinition")]
    found += [(lc.getparent().get("id"), lc.findtext("bpmn:loopCondition", namespaces=NS))
              for lc in _all(root, "standardLoopCharacteristics")]
    found += [(t.get("id"), t.get(f"{CAMUNDA}dueDate")) for t in _all(root, "userTask") if t.get(f"{CAMUNDA}dueDate")]
    return found


def _free_names(text: str) -> set[str]:
    tree = ast.parse(strip_expression(text), mode="eval")
    called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    return names - called - {"true", "false", "null", "True", "False", "None"}


@pytest.mark.parametrize("pid", PROCESSES)
def test_one_executable_process_named_like_its_file(roots: dict, pid: str) -> None:
    processes = _all(roots[pid], "process")
    assert [(p.get("id"), p.get("isExecutable")) for p in processes] == [(pid, "true")]


def test_spiffworkflow_camunda_parser_reads_every_process_and_the_table() -> None:
    parser = CamundaParser()
    parser.add_bpmn_files([str(p) for p in BPMN_FILES.values()])
    parser.add_dmn_file(str(DMN_FILE))
    for pid in PROCESSES:
        assert parser.get_spec(pid).name == pid
    called = set(parser.get_subprocess_specs("context_referral"))
    assert {"school_assessment", "peer_group_assessment", "neighbourhood_assessment",
            "sub_first_review_cycle", "sub_later_review_cycles"} <= called
    assert "sub_rate_and_moderate" in parser.get_subprocess_specs("system_review")


def test_project_validator_finds_no_problems() -> None:
    files = {p.name: p.read_bytes() for p in (*BPMN_FILES.values(), DMN_FILE)}
    problems = validate_bundle(files, Catalogue(forms=set(MY_FORMS), topics=TOPICS, groups=GROUPS,
                                                choices={"actions.owner_agency": OWNER_AGENCIES}))
    assert [p.to_dict() for p in problems] == []


# The owning agencies a plan's action may name: every form that lists actions offers the same groups.
def _owner_agencies() -> set[str]:
    found: set[str] = set()

    def walk(fields) -> None:
        for f in fields:
            if f.path == "actions[].owner_agency":
                found.update(v for v, _label in f.options)
            walk(f.children)

    for form_id in ("ctx_conference", "ctx_review", "ctx_reassess"):
        walk(parse_form((FORMS / f"{form_id}.form").read_text(), f"{form_id}.form").fields)
    return found


OWNER_AGENCIES = _owner_agencies()


def test_safety_plan_actions_go_to_their_owning_agency_only(roots: dict) -> None:
    """Each action's task is offered to the group its owner names (an expression checked at deploy)."""
    tasks = [t for t in _all(roots["context_referral"], "userTask") if t.get("id").startswith("ut_deliver_action")]
    assert [t.get(f"{CAMUNDA}candidateGroups") for t in tasks] == ["${action.owner_agency}"] * 2
    assert OWNER_AGENCIES and OWNER_AGENCIES <= GROUPS


@pytest.mark.parametrize("form_id", MY_FORMS)
def test_every_form_parses(form_id: str) -> None:
    text = (FORMS / f"{form_id}.form").read_text()
    raw = json.loads(text)
    assert (raw["id"], raw["type"], raw["schemaVersion"]) == (form_id, "default", 16)
    assert parse_form(text, f"{form_id}.form").id == form_id


def test_every_user_task_has_a_known_form_groups_and_instructions(roots: dict, forms: dict) -> None:
    for root in roots.values():
        for task in _all(root, "userTask"):
            assert task.get(f"{CAMUNDA}formRef") in forms, task.get("id")
            groups = set(task.get(f"{CAMUNDA}candidateGroups", "").split(","))
            if groups == {"${action.owner_agency}"}:  # one action's owning agency (the test below)
                groups = OWNER_AGENCIES
            assert groups and groups <= GROUPS, task.get("id")
            assert len(task.findtext("bpmn:documentation", namespaces=NS) or "") > 60, task.get("id")
    start = roots["context_referral"].find(".//bpmn:startEvent[@id='start_context_referral']", NS)
    assert start.get(f"{CAMUNDA}formRef") == "ctx_referral"


def test_service_and_rule_tasks_name_known_topics_and_the_threshold_table(roots: dict) -> None:
    for root in roots.values():
        for task in _all(root, "serviceTask"):
            assert (task.get(f"{CAMUNDA}type"), task.get(f"{CAMUNDA}topic") in TOPICS) == ("external", True)
    rules = _all(roots["context_referral"], "businessRuleTask")
    assert [r.get(f"{CAMUNDA}decisionRef") for r in rules] == ["context_threshold"]


def test_call_activities_resolve_to_the_assessment_processes(roots: dict) -> None:
    called = {c.get("calledElement") for c in _all(roots["context_referral"], "callActivity")}
    assert called == {"school_assessment", "peer_group_assessment", "neighbourhood_assessment"}


def test_exclusive_gateways_with_choices_have_a_default(roots: dict) -> None:
    for root in roots.values():
        flows = _all(root, "sequenceFlow")
        for gateway in _all(root, "exclusiveGateway"):
            outgoing = {f.get("id") for f in flows if f.get("sourceRef") == gateway.get("id")}
            if len(outgoing) > 1:
                assert gateway.get("default") in outgoing, gateway.get("id")


def test_no_cycles_in_sequence_flows(roots: dict) -> None:
    """Conventions (Repetition): repeat with loop or multi-instance subprocesses, never flows back."""
    for root in roots.values():
        for container in [*_all(root, "process"), *_all(root, "subProcess")]:
            edges: dict[str, list[str]] = {}
            for f in container.findall("bpmn:sequenceFlow", NS):
                edges.setdefault(f.get("sourceRef"), []).append(f.get("targetRef"))
            done: set[str] = set()

            def visit(node: str, path: tuple[str, ...], edges=edges, done=done) -> None:
                assert node not in path, f"cycle through {node}"
                if node not in done:
                    for nxt in edges.get(node, []):
                        visit(nxt, (*path, node))
                    done.add(node)

            for node in list(edges):
                visit(node, ())


def test_loops_are_bounded_subprocesses(roots: dict) -> None:
    loops = [lc for root in roots.values() for lc in _all(root, "standardLoopCharacteristics")]
    assert {lc.getparent().get("id") for lc in loops} == {"sub_later_review_cycles", "sub_rate_and_moderate"}
    assert all(int(lc.get("loopMaximum")) <= 20 for lc in loops)
    actions = [mi.getparent().get("id") for mi in _all(roots["context_referral"], "multiInstanceLoopCharacteristics")
               if mi.get(f"{CAMUNDA}collection") == "actions" and mi.get(f"{CAMUNDA}elementVariable") == "action"]
    assert actions == ["sub_deliver_actions_first", "sub_deliver_actions_later"]


@pytest.mark.parametrize("pid", PROCESSES)
def test_every_node_and_flow_has_diagram_interchange(roots: dict, pid: str) -> None:
    root = roots[pid]
    shapes = {s.get("bpmnElement") for s in root.iter(f"{{{NS['bpmndi']}}}BPMNShape")}
    edges = {e.get("bpmnElement") for e in root.iter(f"{{{NS['bpmndi']}}}BPMNEdge")}
    nodes = {n.get("id") for tag in FLOW_NODES for n in _all(root, tag)}
    assert nodes - shapes == set()
    assert {f.get("id") for f in _all(root, "sequenceFlow")} - edges == set()


def test_expressions_compile_and_name_configured_timescales(roots: dict) -> None:
    timescales = tomllib.loads((ROOT / "config" / "timescales.toml").read_text())["timescales"]
    for root in roots.values():
        for element_id, text in _expressions(root):
            tree = compile_expression(strip_expression(text))
            assert tree is not None, element_id
            for call in ast.walk(ast.parse(strip_expression(text), mode="eval")):
                if isinstance(call, ast.Call) and getattr(call.func, "id", "") == "timescale":
                    assert call.args[0].value in timescales, (element_id, text)


def test_gateway_and_timer_data_come_from_forms_or_the_engine(roots: dict, forms: dict) -> None:
    """A condition on a key no form writes would stop the case with 'not defined'."""
    keys = set(NON_FORM_KEYS)
    for form in forms.values():
        keys |= _form_keys(form["components"])
    for root in roots.values():
        for element_id, text in _expressions(root):
            assert _free_names(text) - keys - HELPER_NAMES == set(), (element_id, text)


def test_context_referral_form_has_the_domain_fields(forms: dict) -> None:
    form = forms["ctx_referral"]
    keys = _form_keys(form["components"])
    assert {"referrer", "context_type", "public_space_type", "context_name", "location", "school_urn",
            "online_platform", "harm_types", "days_of_week", "times_of_day", "incidents", "number_of_young_people",
            "age_range", "guardianship", "strengths", "linked_children", "agencies_involved",
            "children_at_immediate_risk", "persons_or_premises_of_concern", "similar_concerns_known"} <= keys
    harm = next(c for c in form["components"] if c.get("key") == "harm_types")
    assert {v["value"] for v in harm["values"]} == HARM_CODES
    linked = next(c for c in form["components"] if c.get("path") == "linked_children")
    assert [c["key"] for c in linked["components"]] == ["child_reference", "role"]


def test_context_records_name_no_children_and_peer_maps_use_initials(roots: dict, forms: dict) -> None:
    conference = roots["context_referral"].find(".//bpmn:userTask[@id='ut_context_conference']", NS)
    assert "No children's names" in conference.findtext("bpmn:documentation", namespaces=NS)
    assert "No children's names" in json.dumps(forms["ctx_conference"])
    for fid in ("peer_scope", "peer_lawful_basis", "peer_young_people"):
        assert "Initials only" in json.dumps(forms[fid]), fid
    gateway = roots["peer_group_assessment"].find(".//bpmn:exclusiveGateway[@id='gw_peer_lawful']", NS)
    first_tasks = [t.get("id") for t in _all(roots["peer_group_assessment"], "userTask")][:2]
    assert gateway is not None and first_tasks == ["ut_peer_scope", "ut_peer_lawful_basis"]


@pytest.mark.parametrize(("screening", "expected"), [
    (("no_safeguarding_concern", 9, 9, "weak_or_absent"), ("universal", "decline")),
    (("serious", 3, 1, "strong"), ("significant", "assessment")),
    (("serious", 1, 1, "weak_or_absent"), ("significant", "assessment")),
    (("serious", 1, 1, "some"), ("additional", "panel")),
    (("concerning", 5, 4, "strong"), ("significant", "assessment")),
    (("concerning", 1, 3, "strong"), ("additional", "panel")),
    (("concerning", 1, 1, "weak_or_absent"), ("additional", "single_agency")),
    (("concerning", 0, 1, "strong"), ("universal", "single_agency")),
])
def test_context_threshold_table(screening: tuple, expected: tuple) -> None:
    parser = CamundaParser()
    parser.add_dmn_file(str(DMN_FILE))
    table = parser.get_engine("context_threshold", None)
    data = dict(zip(("harm_severity", "incident_count", "young_people_count", "guardianship_level"),
                    screening, strict=True))
    engine = SafeScriptEngine(lambda: datetime(2026, 1, 5, tzinfo=UTC), {}, None)
    result = table.result(SimpleNamespace(data=data, workflow=SimpleNamespace(script_engine=engine)))
    assert (result["recommended_level"], result["recommended_route"]) == expected


def test_threshold_table_is_dmn_13_with_a_catch_all_last_rule() -> None:
    root = _load(DMN_FILE)
    assert etree.QName(root).namespace == NS["dmn"]
    assert root.find("dmn:decision", NS).get("id") == "context_threshold"
    rules = root.findall(".//dmn:rule", NS)
    assert [e.findtext("dmn:text", namespaces=NS) for e in rules[-1].findall("dmn:inputEntry", NS)] == ["-"] * 4


def _inputs(components: list[dict]) -> list[dict]:
    """Top-level inputs of a form, looking inside groups that have no path of their own."""
    found = []
    for component in components:
        if component.get("type") == "group" and not component.get("path"):
            found += _inputs(component.get("components", []))
        elif component.get("key") or component.get("path"):
            found.append(component)
    return found


def test_answers_that_steer_the_route_are_required_and_always_shown(roots: dict, forms: dict) -> None:
    """A hidden or optional answer can be missing, and a condition on a missing key stops the case."""
    steering: set[str] = set()
    for root in roots.values():
        for element_id, text in _expressions(root):
            if not element_id.startswith("ut_"):  # due dates only set a deadline
                steering |= _free_names(text)
    steering -= NON_FORM_KEYS | {"children_at_immediate_risk", "persons_or_premises_of_concern"}
    seen = set()
    for form_id, form in forms.items():
        for component in _inputs(form["components"]):
            name = component.get("key") or component.get("path")
            if name in steering:
                seen.add(name)
                assert (component.get("validate") or {}).get("required"), (form_id, name)
                assert "conditional" not in component, (form_id, name)
    assert steering - seen == set()

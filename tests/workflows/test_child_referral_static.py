"""Static checks of the child's route (child_referral.bpmn), its threshold table and its forms.

These read the files only; walking the paths with save/restore belongs to the runtime tests.
"""

from __future__ import annotations

import json
import tomllib
from itertools import combinations
from pathlib import Path

import pytest
from lxml import etree
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser

from engine.forms.definition import parse_form
from engine.workflow.expressions import compile_expression, strip_expression
from engine.workflow.validation import Catalogue, validate_bundle

ROOT = Path(__file__).resolve().parents[2]
BPMN_FILE = ROOT / "workflows" / "bpmn" / "child_referral.bpmn"
DMN_FILE = ROOT / "workflows" / "bpmn" / "child_threshold.dmn"
FORMS = ROOT / "forms"
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
    "dmn": "https://www.omg.org/spec/DMN/20191111/MODEL/",
}
CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"
DI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
# The topics and groups listed in docs/bpmn-conventions.md.
TOPICS = {
    "match_child",
    "match_context",
    "open_context",
    "link_child_context",
    "notify_referrer",
    "start_child_referral",
    "start_context_referral",
    "alert_police",
    "share_with_linked_workers",
    "record_repeat_watch",
    "start_assessment",
}
GROUPS = {
    "front_door",
    "mash_social_worker",
    "mash_manager",
    "service_manager",
    "cs_lead",
    "assessment_team",
    "early_help",
    "review_unit",
    "conference_chair",
    "police",
    "health",
    "education",
    "community_safety",
    "licensing",
    "housing",
    "vcs",
    "town_planning",
    "youth_service",
    "youth_justice",
    "probation",
    "intelligence",
    "partnership",
    "critical_friend",
    "performance",
    "admin",
}
FLOW_NODE_TAGS = (
    "startEvent",
    "endEvent",
    "boundaryEvent",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "userTask",
    "serviceTask",
    "businessRuleTask",
    "subProcess",
    "callActivity",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
)
# Data that comes from somewhere other than a form: the engine, a service topic or the DMN table.
NON_FORM_KEYS = {"referral_received_at", "already_open", "recommended_level", "recommended_route"}


@pytest.fixture(scope="module")
def bpmn() -> etree._Element:
    """The parsed BPMN file (no DOCTYPE allowed, so parse strictly)."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    tree = etree.parse(str(BPMN_FILE), parser)
    assert tree.docinfo.doctype == ""
    return tree.getroot()


@pytest.fixture(scope="module")
def forms() -> dict[str, dict]:
    """Every child_* form, as raw JSON."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(FORMS.glob("child_*.form"))}


def _all(root: etree._Element, tag: str) -> list[etree._Element]:
    return root.findall(f".//bpmn:{tag}", NS)


def _form_keys(form: dict) -> set[str]:
    """Top-level data keys a form writes (group paths and dynamic lists count as one key)."""
    keys: set[str] = set()
    for component in form["components"]:
        if component.get("path"):
            keys.add(component["path"].split(".")[0])
        elif component.get("key"):
            keys.add(component["key"])
    return keys


def test_spiffworkflow_camunda_parser_reads_process_and_table() -> None:
    parser = CamundaParser()
    parser.add_bpmn_file(str(BPMN_FILE))
    parser.add_dmn_file(str(DMN_FILE))
    spec = parser.get_spec("child_referral")
    subprocesses = parser.get_subprocess_specs("child_referral")
    assert "task_threshold_decision" in spec.task_specs
    assert set(subprocesses) == {"sub_early_help_plan", "sub_cin_plan", "sub_cp_reviews"}


def test_project_validator_finds_no_problems(forms: dict[str, dict]) -> None:
    files = {p.name: p.read_bytes() for p in (BPMN_FILE, DMN_FILE)}
    problems = validate_bundle(files, Catalogue(forms=set(forms), topics=TOPICS))
    assert [p.to_dict() for p in problems] == []


def test_process_is_executable_with_snake_case_id(bpmn: etree._Element) -> None:
    processes = _all(bpmn, "process")
    assert [(p.get("id"), p.get("isExecutable")) for p in processes] == [("child_referral", "true")]


@pytest.mark.parametrize("form_id", sorted(p.stem for p in FORMS.glob("child_*.form")))
def test_every_form_parses(form_id: str) -> None:
    text = (FORMS / f"{form_id}.form").read_text()
    raw = json.loads(text)
    assert (raw["id"], raw["type"], raw["schemaVersion"]) == (form_id, "default", 16)
    assert parse_form(text, f"{form_id}.form").id == form_id


def test_every_user_task_has_form_groups_and_instructions(bpmn: etree._Element, forms: dict) -> None:
    for task in _all(bpmn, "userTask"):
        assert task.get(f"{CAMUNDA}formRef") in forms, task.get("id")
        groups = set(task.get(f"{CAMUNDA}candidateGroups", "").split(","))
        assert groups and groups <= GROUPS, task.get("id")
        text = task.findtext("bpmn:documentation", namespaces=NS) or ""
        assert len(text) > 80, task.get("id")
    start = bpmn.find(".//bpmn:startEvent[@id='start_contact_received']", NS)
    assert start.get(f"{CAMUNDA}formRef") == "child_referral"


def test_service_tasks_use_known_topics(bpmn: etree._Element) -> None:
    for task in _all(bpmn, "serviceTask"):
        assert task.get(f"{CAMUNDA}type") == "external"
        assert task.get(f"{CAMUNDA}topic") in TOPICS


def test_exclusive_gateways_with_choices_have_a_default(bpmn: etree._Element) -> None:
    for gateway in _all(bpmn, "exclusiveGateway"):
        outgoing = [f for f in _all(bpmn, "sequenceFlow") if f.get("sourceRef") == gateway.get("id")]
        if len(outgoing) > 1:
            assert gateway.get("default") in {f.get("id") for f in outgoing}, gateway.get("id")


def test_no_cycles_in_sequence_flows(bpmn: etree._Element) -> None:
    """Conventions (Repetition): loops are loop subprocesses, never flows pointing back."""
    for container in [*_all(bpmn, "process"), *_all(bpmn, "subProcess")]:
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


def test_loops_are_bounded(bpmn: etree._Element) -> None:
    loops = _all(bpmn, "standardLoopCharacteristics")
    assert len(loops) == 3
    for loop in loops:
        assert loop.get("loopMaximum") == "20"
        compile_expression(strip_expression(loop.findtext("bpmn:loopCondition", namespaces=NS)))


def test_gateway_keys_come_from_forms_or_known_sources(bpmn: etree._Element, forms: dict) -> None:
    known = set().union(*(_form_keys(f) for f in forms.values())) | NON_FORM_KEYS
    for cond in _all(bpmn, "conditionExpression"):
        names = compile_expression(strip_expression(cond.text)).names
        assert names <= known, (cond.getparent().get("id"), names - known)


def test_due_dates_and_timers_name_configured_timescales(bpmn: etree._Element) -> None:
    configured = set(tomllib.loads((ROOT / "config" / "timescales.toml").read_text())["timescales"])
    texts = [t.get(f"{CAMUNDA}dueDate") for t in _all(bpmn, "userTask") if t.get(f"{CAMUNDA}dueDate")]
    texts += [t.text for t in _all(bpmn, "timeDate")]
    assert len(texts) >= 15
    for text in texts:
        name = text.split("timescale('")[1].split("'")[0]
        assert name in configured, text


def test_every_element_is_drawn(bpmn: etree._Element) -> None:
    drawn = {s.get("bpmnElement") for s in bpmn.iter(f"{DI}BPMNShape")}
    edges = {e.get("bpmnElement") for e in bpmn.iter(f"{DI}BPMNEdge")}
    planes = {p.get("bpmnElement") for p in bpmn.iter(f"{DI}BPMNPlane")}
    nodes = {n.get("id") for tag in FLOW_NODE_TAGS for n in _all(bpmn, tag)}
    assert nodes - drawn == set()
    assert {f.get("id") for f in _all(bpmn, "sequenceFlow")} - edges == set()
    assert {s.get("id") for s in _all(bpmn, "subProcess")} <= planes


def test_shapes_in_a_plane_do_not_overlap(bpmn: etree._Element) -> None:
    for plane in bpmn.iter(f"{DI}BPMNPlane"):
        boxes = {}
        for shape in plane.findall("bpmndi:BPMNShape", NS):
            if shape.get("isHorizontal") == "true":
                continue  # pools and lanes contain the others
            b = shape.find("dc:Bounds", NS)
            boxes[shape.get("bpmnElement")] = [float(b.get(k)) for k in ("x", "y", "width", "height")]
        hosts = {e.get("id"): e.get("attachedToRef") for e in _all(bpmn, "boundaryEvent")}
        for (a, ra), (b, rb) in combinations(boxes.items(), 2):
            if hosts.get(a) == b or hosts.get(b) == a:
                continue  # a boundary event sits on its host's edge
            apart = ra[0] + ra[2] <= rb[0] or rb[0] + rb[2] <= ra[0] or ra[1] + ra[3] <= rb[1] or rb[1] + rb[3] <= ra[1]
            assert apart, (a, b)


def test_threshold_table_is_first_hit_with_catch_all_last() -> None:
    root = etree.parse(str(DMN_FILE)).getroot()
    decision = root.find("dmn:decision", NS)
    assert decision.get("id") == "child_threshold"
    table = decision.find("dmn:decisionTable", NS)
    assert table.get("hitPolicy") == "FIRST"
    assert [o.get("name") for o in table.findall("dmn:output", NS)] == [
        "recommended_level",
        "recommended_route",
        "recommended_level_words",  # the recommendation in words, shown on the decision page
        "recommended_route_words",
    ]
    rules = table.findall("dmn:rule", NS)
    last_inputs = [e.findtext("dmn:text", namespaces=NS) for e in rules[-1].findall("dmn:inputEntry", NS)]
    assert set(last_inputs) == {"-"}
    routes = {r.findall("dmn:outputEntry", NS)[1].findtext("dmn:text", namespaces=NS) for r in rules}
    assert routes <= {'"nfa"', '"advice"', '"early_help"', '"cfa"', '"strategy"', '"efh_pathway"'}


def test_decision_form_offers_every_route_the_table_recommends(forms: dict) -> None:
    outcome = next(c for c in forms["child_decision"]["components"] if c.get("key") == "threshold_outcome")
    assert {v["value"] for v in outcome["values"]} == {
        "nfa",
        "advice",
        "early_help",
        "cfa",
        "strategy",
        "efh_pathway",
    }

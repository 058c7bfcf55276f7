"""Deploy-time validation: every problem in a bundle at once, each tied to an element id."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from lxml import etree

from engine.errors import ExpressionError, InvalidProcess, Problem
from engine.workflow.bounds import iso_literal_problems, literal_problems
from engine.workflow.data_reads import read_paths
from engine.workflow.expressions import compile_expression, is_iso8601_literal, strip_expression
from engine.workflow.graphs import cycle_nodes
from engine.workflow.lifecycle import CLOCK_ACTIONS, STAGE, STAGE_PATTERN, parse_clock, properties
from engine.workflow.specs import (
    camunda_properties,
    element_properties,
    is_groups_expression,
    parse_bundle,
    shown_names,
)
from engine.workflow.xml import BPMN_NS, CAMUNDA_NS, NSMAP, document_kind, load_xml

JAVA_ONLY = ("class", "delegateExpression", "expression")
CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")
SCRIPT_TAGS = {f"{{{CAMUNDA_NS}}}script", f"{{{BPMN_NS}}}script"}
LISTENERS = {f"{{{CAMUNDA_NS}}}executionListener", f"{{{CAMUNDA_NS}}}taskListener"}


@dataclass
class Catalogue:
    """What a bundle may refer to beyond its own files: known forms, topics and deployed processes."""

    forms: Collection[str] = ()
    topics: Collection[str] = ()
    processes: Collection[str] = ()
    decisions: Collection[str] = ()
    timescales: Collection[str] | None = None  # clock names a diagram may declare (None: not checked)
    user_tasks: Collection[str] = ()
    groups: Collection[str] = ()  # the directory's groups (empty: not known, not checked)
    choices: Mapping[str, Collection[str]] = field(default_factory=dict)  # "actions.owner_agency" -> its options


# What a user task's ``shows`` property may name besides earlier user tasks and forms (docs/bpmn-conventions.md).
SHOWN_PARTS = ("subject", "referral")


@dataclass
class _Check:
    problems: list[Problem] = field(default_factory=list)
    file: str = ""
    timescales: Collection[str] | None = None

    def add(self, element_id: str, message: str) -> None:
        self.problems.append(Problem(element_id, message, self.file))

    def expression(self, element_id: str, what: str, text: str | None, allow_iso: bool = False) -> None:
        text = strip_expression(text or "")
        if not text:
            self.add(element_id, f"The {what} is empty")
            return
        if allow_iso and is_iso8601_literal(text):
            found = iso_literal_problems(text)
        else:
            try:
                found = literal_problems(compile_expression(text), self.timescales)
            except ExpressionError as exc:
                found = [exc.message]
        for problem in found:  # docs/security.md: what can never evaluate is refused at deploy
            self.add(element_id, f"The {what} '{text}' cannot be used: {problem}")


def validate_bundle(files: Mapping[str, bytes], catalogue: Catalogue) -> list[Problem]:
    """Every problem in the BPMN/DMN files of a deploy; an empty list means it may be deployed."""
    roots: dict[str, etree._Element] = {}
    problems: list[Problem] = []
    for name in sorted(files):
        if name.endswith((".bpmn", ".dmn")):
            try:
                roots[name] = load_xml(files[name], name)
            except InvalidProcess as exc:
                problems.extend(exc.problems)
    processes = {p.get("id") for r in roots.values() for p in r.iterfind("bpmn:process", NSMAP)}
    decisions = {d.get("id") for r in roots.values() if document_kind(r) == "dmn"
                 for d in r.iter("{*}decision")}
    user_tasks = {t.get("id") for r in roots.values() for t in r.iter(f"{{{BPMN_NS}}}userTask")}
    known = Catalogue(catalogue.forms, catalogue.topics, {*catalogue.processes, *processes},
                      {*catalogue.decisions, *decisions}, catalogue.timescales,
                      {*catalogue.user_tasks, *user_tasks}, catalogue.groups, catalogue.choices)
    for name, root in roots.items():
        check = _Check(file=name, timescales=catalogue.timescales)
        kind = document_kind(root)
        if kind == "bpmn":
            _check_bpmn(root, known, check)
        elif kind == "dmn":
            _check_dmn(root, check)
        else:
            check.add("", "Not a BPMN 2.0 or DMN 1.x file")
        problems.extend(check.problems)
    if not problems and roots:
        try:
            parse_bundle({n: files[n] for n in roots})
        except InvalidProcess as exc:
            problems.extend(exc.problems)
    return problems


def _check_bpmn(root: etree._Element, known: Catalogue, check: _Check) -> None:
    if not root.findall("bpmn:process", NSMAP):
        check.add("", "The file has no process")
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        _check_scripts_and_java(node, check)
        local = etree.QName(node).localname
        eid = node.get("id", "")
        rule = _ELEMENT_RULES.get(local)
        if rule is not None:
            rule(node, eid, known, check)
        if eid:
            _check_lifecycle(node, eid, known, check)
    for container in root.iter(*(f"{{{BPMN_NS}}}{c}" for c in CONTAINERS)):
        _check_cycles(container, check)


def _check_scripts_and_java(node: etree._Element, check: _Check) -> None:
    eid = _owner(node)
    local = etree.QName(node).localname
    if local == "scriptTask":
        check.add(eid, "Script tasks are not allowed: move the logic into a service task with a "
                       "camunda:topic naming a registered operation")
    elif node.tag in SCRIPT_TAGS and local == "script":
        check.add(eid, "Scripts are not allowed in frontdoor processes (no Python from BPMN)")
    elif node.tag in LISTENERS:
        check.add(eid, "Execution and task listeners are not supported: use a service task instead")
    for attr in JAVA_ONLY:
        if node.get(f"{{{CAMUNDA_NS}}}{attr}") is not None:
            check.add(eid, f"camunda:{attr} is a Java-only implementation and is not supported: use "
                           "camunda:type=\"external\" with a camunda:topic")


def _owner(node: etree._Element) -> str:
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return node.get("id", "") if node is not None else ""


def _camunda(node: etree._Element, name: str) -> str | None:
    return node.get(f"{{{CAMUNDA_NS}}}{name}")


def _lane_of(node: etree._Element) -> str | None:
    eid = node.get("id")
    for ref in node.getroottree().iter(f"{{{BPMN_NS}}}flowNodeRef"):
        if (ref.text or "").strip() == eid:
            lane = ref.getparent()
            return lane.get("name") or lane.get("id")
    return None


def _user_task(node, eid, known: Catalogue, check: _Check) -> None:
    raw = _camunda(node, "candidateGroups") or ""
    if is_groups_expression(raw):
        _check_groups_expression(node, eid, raw, known, check)
    _check_properties(node, eid, check)
    groups = [g for g in raw.split(",") if g.strip()]
    if not groups and not _camunda(node, "assignee") and not _lane_of(node):
        check.add(eid, "The user task has no candidate group, assignee or lane, so nobody could do it: "
                       "set camunda:candidateGroups")
    form = _camunda(node, "formRef")
    if not form:
        check.add(eid, "The user task has no form: set camunda:formRef to a form id")
    elif form not in known.forms:
        check.add(eid, f"The form '{form}' is not known: deploy forms/{form}.form with it")
    if _camunda(node, "dueDate"):
        check.expression(eid, "due date", _camunda(node, "dueDate"), allow_iso=True)
    priority = _camunda(node, "priority")
    if priority and not priority.strip().isdigit():
        check.expression(eid, "priority", priority)
    _shows(node, eid, known, check)


def _shows(node, eid, known: Catalogue, check: _Check) -> None:
    """Each name in the ``shows`` property: subject, referral, a user task of the route or a known form."""
    for name in shown_names(camunda_properties(node).get("shows")):
        if name not in SHOWN_PARTS and name not in known.user_tasks and name not in known.forms:
            check.add(eid, f"The 'shows' property names '{name}', which is not 'subject', 'referral', a user "
                           "task of this route or a known form")


def _multi_instance_items(node: etree._Element) -> dict[str, str]:
    """Element variable -> collection of every multi-instance around the task (and on the task itself)."""
    found: dict[str, str] = {}
    while node is not None and isinstance(node.tag, str):
        loop = node.find("bpmn:multiInstanceLoopCharacteristics", NSMAP)
        if loop is not None and _camunda(loop, "elementVariable") and _camunda(loop, "collection"):
            found.setdefault(_camunda(loop, "elementVariable"), _camunda(loop, "collection"))
        node = node.getparent()
    return found


def _check_groups_expression(node, eid: str, raw: str, known: Catalogue, check: _Check) -> None:
    """Candidate groups from data must read the multi-instance item, from a form's fixed list of groups.

    So every group the expression can give is known at deploy: the list's options are the only values,
    and each must be a group in the directory (when the directory has any). docs/decisions.md, D47.
    """
    check.expression(eid, "candidate groups expression", raw)
    paths = read_paths(raw)
    items = _multi_instance_items(node)
    if not items:
        check.add(eid, "Candidate groups from an expression must read the item of a multi-instance around this "
                       "task (camunda:elementVariable); use a list of group ids here")
        return
    for path in sorted(paths):
        root, _, rest = path.partition(".")
        if root not in items:
            check.add(eid, f"The candidate groups expression reads '{root}', which is not the multi-instance item "
                           f"({', '.join(sorted(items))})")
            continue
        options = known.choices.get(f"{strip_expression(items[root])}.{rest}")
        if options is None:
            check.add(eid, f"The candidate groups expression reads '{path}', which no form fills from a fixed list "
                           "of groups, so the groups it gives cannot be checked")
            continue
        unknown = sorted(set(options) - set(known.groups)) if known.groups else []
        if unknown:
            check.add(eid, f"The candidate groups expression can give {', '.join(unknown)}, which "
                           f"{'is not a group' if len(unknown) == 1 else 'are not groups'} in the directory")


def _check_properties(node, eid: str, check: _Check) -> None:
    for name, value in element_properties(node):
        if is_groups_expression(value):
            check.expression(eid, f"property '{name}'", value)


def _service_task(node, eid, known: Catalogue, check: _Check) -> None:
    if _camunda(node, "type") != "external" or not _camunda(node, "topic"):
        check.add(eid, "The service task needs camunda:type=\"external\" and a camunda:topic")
        return
    topic = _camunda(node, "topic")
    _check_properties(node, eid, check)
    if topic not in known.topics:
        check.add(eid, f"The service topic '{topic}' is unknown; known topics: "
                       f"{', '.join(sorted(known.topics)) or 'none'}")


def _business_rule_task(node, eid, known: Catalogue, check: _Check) -> None:
    ref = _camunda(node, "decisionRef")
    if not ref:
        check.add(eid, "The business rule task needs camunda:decisionRef naming a DMN decision")
    elif ref not in known.decisions:
        check.add(eid, f"The decision '{ref}' is not in any DMN file of this deploy")


def _call_activity(node, eid, known: Catalogue, check: _Check) -> None:
    called = node.get("calledElement")
    if not called:
        check.add(eid, "The call activity does not name the process it calls (calledElement)")
    elif called not in known.processes:
        check.add(eid, f"The called process '{called}' is not in this deploy and not deployed")


def _sequence_flow(node, eid, known: Catalogue, check: _Check) -> None:
    cond = node.find("bpmn:conditionExpression", NSMAP)
    if cond is not None:
        check.expression(eid, "condition", cond.text)


def _timer(node, eid, known: Catalogue, check: _Check) -> None:
    owner = _owner(node.getparent())
    exprs = [c for c in node if isinstance(c.tag, str)
             and etree.QName(c).localname in ("timeDate", "timeDuration", "timeCycle")]
    if not exprs:
        check.add(owner, "The timer has no date, duration or cycle")
    for child in exprs:
        check.expression(owner, f"timer {etree.QName(child).localname}", child.text, allow_iso=True)


def _loop(node, eid, known: Catalogue, check: _Check) -> None:
    owner = _owner(node.getparent())
    for tag in ("loopCondition", "completionCondition", "loopCardinality"):
        child = node.find(f"bpmn:{tag}", NSMAP)
        if child is not None and (child.text or "").strip():
            check.expression(owner, tag, child.text)
    if etree.QName(node).localname == "standardLoopCharacteristics" and node.get("loopMaximum") is None:
        check.add(owner, "A loop needs loopMaximum so it cannot run for ever")


def _exclusive_gateway(node, eid, known: Catalogue, check: _Check) -> None:
    outgoing = [o for o in node.iterfind("bpmn:outgoing", NSMAP)]
    if len(outgoing) > 1 and not node.get("default"):
        check.add(eid, "The exclusive gateway has no default flow: if no condition matches the case "
                       "would stop here")


def _check_lifecycle(node, eid, known: Catalogue, check: _Check) -> None:
    """Clock and stage extension properties (engine/workflow/lifecycle.py): readable, known, safe."""
    for name, value in properties(node):
        if name == STAGE:
            if not STAGE_PATTERN.match(value):
                check.add(eid, f"The stage '{value}' must be lower-case letters, digits and '_' (up to 40), "
                               "such as threshold_decision")
            continue
        if not name.startswith("clock."):
            continue
        action = name.removeprefix("clock.")
        declared = parse_clock(action, value)
        if action not in CLOCK_ACTIONS:
            check.add(eid, f"'{name}' is not a clock property: use clock.start, clock.pause, clock.resume or "
                           "clock.stop")
        elif declared is None:
            check.add(eid, f"'{name}' must name a clock, optionally 'from' an anchor: '{value}' cannot be read")
        elif known.timescales is not None and declared.clock not in known.timescales:
            check.add(eid, f"The clock '{declared.clock}' is not a configured timescale (config/timescales.toml)")
        elif declared.anchor and action != "start":
            check.add(eid, f"Only clock.start takes an anchor ('from ...'); '{name}' does not")
        elif declared.anchor:
            check.expression(eid, f"anchor of the clock '{declared.clock}'", declared.anchor)


_ELEMENT_RULES = {
    "userTask": _user_task,
    "serviceTask": _service_task,
    "sendTask": _service_task,
    "businessRuleTask": _business_rule_task,
    "callActivity": _call_activity,
    "sequenceFlow": _sequence_flow,
    "timerEventDefinition": _timer,
    "standardLoopCharacteristics": _loop,
    "multiInstanceLoopCharacteristics": _loop,
    "exclusiveGateway": _exclusive_gateway,
    "inclusiveGateway": _exclusive_gateway,
}


def _check_cycles(container: etree._Element, check: _Check) -> None:
    """A flow cycle grows Spiff's task tree each lap and silently stops near 333 laps (docs/decisions)."""
    edges: dict[str, list[str]] = {}
    for flow in container.iterfind("bpmn:sequenceFlow", NSMAP):
        edges.setdefault(flow.get("sourceRef", ""), []).append(flow.get("targetRef", ""))
    for start in cycle_nodes(edges):
        check.add(start, "The sequence flows loop back through this element; a loop in the flows can "
                         "grow a case without bound. Repeat with a loop or multi-instance "
                         "subprocess instead")


def _check_dmn(root: etree._Element, check: _Check) -> None:
    for decision in root.iter("{*}decision"):
        did = decision.get("id", "")
        for inp in decision.iter("{*}inputExpression"):
            text = inp.find("{*}text")
            check.expression(did, "input expression", text.text if text is not None else "")
        for entry in decision.iter("{*}inputEntry", "{*}outputEntry"):
            text = (entry.findtext("{*}text") or "").strip()
            if text in ("", "-"):
                continue
            _check_dmn_cell(entry.get("id") or did, text, etree.QName(entry).localname, check)


def _check_dmn_cell(eid: str, text: str, kind: str, check: _Check) -> None:
    candidates = [text] if kind == "outputEntry" else [text, f"value {text}", text.replace("?", "value")]
    for candidate in candidates:
        try:
            compile_expression(candidate)
            return
        except ExpressionError:
            continue
    check.add(eid, f"The DMN cell '{text}' cannot be read by the safe evaluator")

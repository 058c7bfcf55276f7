"""Parse a bundle of BPMN/DMN files into SpiffWorkflow specs, with our Camunda attributes attached."""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask as SubWorkflowTaskMixin
from SpiffWorkflow.camunda.parser.CamundaParser import CamundaParser
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask

from engine.errors import InvalidProcess, Problem
from engine.workflow.graphs import reachable
from engine.workflow.lifecycle import Lifecycle, lane_stages, lifecycle_of, with_owners
from engine.workflow.scripting import TIMER_CLASSES
from engine.workflow.xml import CAMUNDA_NS, NSMAP, document_kind, load_xml

MI_CHILD_SUFFIX = " [child]"
# camunda:properties entries the engine reads (docs/bpmn-conventions.md): "shows" on a user task names
# what its page shows above the form (docs/decisions.md, D21).
PROPERTIES = ("shows",)
CAMUNDA_ATTRS = ("formRef", "candidateGroups", "candidateUsers", "assignee", "dueDate", "priority",
                 "type", "topic", "decisionRef", "candidateStarterGroups", "candidateStarterUsers")


@dataclass(frozen=True)
class ElementMeta:
    """What the engine needs from one BPMN element beyond Spiff's spec: Camunda attributes and lane."""

    element_id: str
    tag: str
    name: str
    process_id: str
    attrs: Mapping[str, str]
    lane: str | None = None
    documentation: str = ""
    lifecycle: Lifecycle = field(default_factory=Lifecycle)  # clocks and stage it declares (lifecycle.py)
    properties: tuple[tuple[str, str], ...] = ()  # camunda:properties, in order (docs/bpmn-conventions.md)

    @property
    def groups(self) -> tuple[str, ...]:
        """Candidate groups, falling back to the lane's name (docs/decisions.md, D1).

        An expression (``${action.owner_agency}``) gives no fixed groups: the runtime works them out
        from the task's data when the task opens (docs/decisions.md, D47).
        """
        raw = self.attrs.get("candidateGroups", "")
        if is_groups_expression(raw):
            return ()
        groups = tuple(g.strip() for g in raw.split(",") if g.strip())
        if groups:
            return groups
        return (self.lane,) if self.lane else ()


def is_groups_expression(text: str | None) -> bool:
    """True when candidate groups are written as an expression (``${...}``) rather than a list of ids."""
    text = (text or "").strip()
    return text.startswith(("${", "#{")) and text.endswith("}")


def element_properties(node) -> tuple[tuple[str, str], ...]:
    """The element's own camunda:property name/value pairs (not those of elements nested inside it)."""
    found = node.findall(f"bpmn:extensionElements/{{{CAMUNDA_NS}}}properties/{{{CAMUNDA_NS}}}property", NSMAP)
    return tuple((p.get("name") or "", p.get("value") or "") for p in found if p.get("name"))


class TopicServiceTask(ServiceTask):
    """A service task that calls the registered Python operation named by camunda:topic."""

    def _execute(self, task):
        ours = self.extensions.get("frontdoor", {})
        topic = ours.get("topic", "")
        updates = task.workflow.script_engine.call_service(task, topic=topic,
                                                           properties=dict(ours.get("properties", ()))) or {}
        task.data.update(updates)
        return True


class ExplainedBusinessRuleTask(BusinessRuleTask):
    """A DMN business rule task that also records which rule fired (docs/decisions.md, D2: decisions keep their rule).

    The trace lands in the process data under ``decision_trace[<element id>]``: decision id, the
    rule ids and row numbers that matched, and the rule's annotation.
    """

    def _run_hook(self, my_task):
        result = super()._run_hook(my_task)
        rules = self.dmnEngine.decide(my_task)
        trace = {"decision": (self.extensions or {}).get("frontdoor", {}).get("decisionRef", ""),
                 "rules": [r.id for r in rules], "rows": [r.row_number for r in rules],
                 "description": rules[0].description if rules else "no rule matched"}
        # reassign rather than mutate: child task data is a shallow copy of its parent's (docs/decisions.md, S3)
        my_task.data["decision_trace"] = {**(my_task.data.get("decision_trace") or {}), self.name: trace}
        return result


@dataclass
class ParsedBundle:
    """Parsed specs for a set of files, plus element metadata keyed by (process id, element id)."""

    content_hash: str
    specs: dict[str, Any]
    parser: CamundaParser
    meta: dict[tuple[str, str], ElementMeta] = field(default_factory=dict)
    process_names: dict[str, str] = field(default_factory=dict)

    @cached_property
    def has_lifecycle(self) -> bool:
        """True when any element declares a clock or a stage (only then does a step look for them)."""
        return any(m.lifecycle for m in self.meta.values())

    def spec(self, process_id: str):
        """The top-level spec of a process in the bundle."""
        return self.specs[process_id]

    def subprocess_specs(self, process_id: str) -> dict[str, Any]:
        """Specs of every process or embedded subprocess the given one calls (transitively)."""
        def called_by(pid: str) -> list[str]:
            called = []
            for task_spec in self.specs[pid].task_specs.values():
                if isinstance(task_spec, SubWorkflowTaskMixin):
                    if task_spec.spec not in self.specs:
                        missing = f"Called process '{task_spec.spec}' is missing"
                        raise InvalidProcess([Problem(task_spec.name, missing)])
                    called.append(task_spec.spec)
            return called

        return {pid: self.specs[pid] for pid in reachable([process_id], called_by)[1:]}

    def element(self, process_id: str, element_id: str) -> ElementMeta | None:
        """Metadata of one element, or None."""
        return self.meta.get((process_id, element_id))

    def start_form(self, process_id: str) -> str | None:
        """The form id on the process's own start event (``camunda:formRef``), or None."""
        for (owner, _eid), element in self.meta.items():
            if owner == process_id and element.tag == "startEvent" and element.attrs.get("formRef"):
                return element.attrs["formRef"]
        return None

    def starters(self, process_id: str) -> tuple[frozenset[str], frozenset[str]]:
        """(groups, users) the process names as its candidate starters (Camunda 7 attributes on the process)."""
        attrs = (self.element(process_id, process_id) or ElementMeta("", "", "", "", {})).attrs

        def listed(name: str) -> frozenset[str]:
            return frozenset(v.strip() for v in attrs.get(name, "").split(",") if v.strip())

        return listed("candidateStarterGroups"), listed("candidateStarterUsers")


def bundle_hash(files: Mapping[str, bytes]) -> str:
    """Content hash of a set of files (names and bytes), independent of order."""
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
    return digest.hexdigest()


def _text(node) -> str:
    return (node.text or "").strip() if node is not None else ""


def _owner_id(node, default: str) -> str:
    """The process or embedded subprocess whose spec holds this element (Spiff parses each separately)."""
    parent = node.getparent()
    while parent is not None:
        if etree.QName(parent).localname in ("subProcess", "transaction", "process"):
            return parent.get("id", default)
        parent = parent.getparent()
    return default


def extract_meta(root: etree._Element) -> tuple[dict[tuple[str, str], ElementMeta], dict[str, str]]:
    """Camunda attributes, lanes and documentation for every element of every process in a file."""
    meta: dict[tuple[str, str], ElementMeta] = {}
    names: dict[str, str] = {}
    for process in root.iterfind("bpmn:process", NSMAP):
        pid = process.get("id", "")
        names[pid] = process.get("name") or pid
        lanes = {ref.text.strip(): lane.get("name") or lane.get("id")
                 for lane in process.iterfind(".//bpmn:lane", NSMAP)
                 for ref in lane.iterfind("bpmn:flowNodeRef", NSMAP) if ref.text}
        staged = lane_stages(process)
        for node in process.iter():
            if not isinstance(node.tag, str) or node.get("id") is None:
                continue
            owner = _owner_id(node, pid)
            attrs = {a: node.get(f"{{{CAMUNDA_NS}}}{a}") for a in CAMUNDA_ATTRS
                     if node.get(f"{{{CAMUNDA_NS}}}{a}") is not None}
            attrs.update(camunda_properties(node))
            eid = node.get("id")
            meta[(owner, eid)] = ElementMeta(
                element_id=eid, tag=etree.QName(node).localname, name=node.get("name") or eid,
                process_id=owner, attrs=attrs, lane=lanes.get(eid),
                documentation=_text(node.find("bpmn:documentation", NSMAP)),
                lifecycle=lifecycle_of(node, staged.get(eid)), properties=element_properties(node))
    return _owned(meta), names


def _owned(meta: dict[tuple[str, str], ElementMeta]) -> dict[tuple[str, str], ElementMeta]:
    """Give each clock a file starts the groups of the user task that stops it (lifecycle.with_owners)."""
    declared = {key[1]: m.lifecycle for key, m in meta.items() if m.lifecycle}
    if not declared:
        return meta
    groups = {key[1]: m.groups for key, m in meta.items() if m.tag == "userTask"}
    owned = with_owners(declared, groups)
    return {key: (replace(m, lifecycle=owned[key[1]]) if m.lifecycle else m) for key, m in meta.items()}


def camunda_properties(node) -> dict[str, str]:
    """The element's own ``camunda:properties`` entries the engine reads, by name."""
    found = {}
    for prop in node.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NSMAP):
        if prop.get("name") in PROPERTIES:
            found[prop.get("name")] = prop.get("value") or ""
    return found


def shown_names(value: str | None) -> list[str]:
    """The names a ``shows`` property lists (comma separated), in order, without repeats."""
    return list(dict.fromkeys(n.strip() for n in (value or "").split(",") if n.strip()))


def _annotate(spec, meta: Mapping[tuple[str, str], ElementMeta]) -> None:
    """Swap in clocked timers and topic service tasks; attach our metadata to each task spec."""
    for task_spec in spec.task_specs.values():
        # a multi-instance task's instances use a spec named "<id> [child]" (notes 1.7)
        element = meta.get((spec.name, task_spec.name.removesuffix(MI_CHILD_SUFFIX)))
        if element is not None:
            # loop wrappers (StandardLoopTask) have no extensions attribute of their own
            ours = {**element.attrs, "groups": list(element.groups),
                    "properties": [list(p) for p in element.properties]}
            if element.lifecycle:
                ours["lifecycle"] = {"element_id": element.element_id, "element_name": element.name,
                                     "stage": element.lifecycle.stage,
                                     "clocks": [c.to_dict() for c in element.lifecycle.clocks]}
            task_spec.extensions = {**(getattr(task_spec, "extensions", None) or {}), "frontdoor": ours}
        definition = getattr(task_spec, "event_definition", None)
        clocked = TIMER_CLASSES.get(type(definition))
        if clocked is not None:
            definition.__class__ = clocked
        if type(task_spec) is ServiceTask:
            task_spec.__class__ = TopicServiceTask
        elif type(task_spec) is BusinessRuleTask:
            task_spec.__class__ = ExplainedBusinessRuleTask


def parse_bundle(files: Mapping[str, bytes]) -> ParsedBundle:
    """Parse BPMN and DMN files together (call activities resolve across files); raises InvalidProcess."""
    parser = CamundaParser()
    meta: dict[tuple[str, str], ElementMeta] = {}
    names: dict[str, str] = {}
    problems: list[Problem] = []
    for name in sorted(files):
        if not (name.endswith(".bpmn") or name.endswith(".dmn")):
            continue
        root = load_xml(files[name], name)
        kind = document_kind(root)
        try:
            if kind == "bpmn":
                parser.add_bpmn_xml(etree.ElementTree(root), filename=name)
                file_meta, file_names = extract_meta(root)
                meta.update(file_meta)
                names.update(file_names)
            elif kind == "dmn":
                parser.add_dmn_xml(root, filename=name)
            else:
                problems.append(Problem("", "Not a BPMN 2.0 or DMN file", name))
        except ValidationException as exc:
            problems.append(Problem(getattr(exc, "id", "") or "", str(exc).splitlines()[0], name))
    if problems:
        raise InvalidProcess(problems)
    specs: dict[str, Any] = {}
    # Parsing a process registers parsers for its embedded subprocesses, so repeat until none are new.
    while pending := [pid for pid in parser.process_parsers if pid not in specs]:
        for pid in pending:
            try:
                specs[pid] = parser.process_parsers[pid].get_spec()
            except ValidationException as exc:
                problems.append(Problem(getattr(exc, "id", "") or pid, str(exc).splitlines()[0],
                                        getattr(exc, "file_name", "") or ""))
                specs[pid] = None
    specs = {pid: spec for pid, spec in specs.items() if spec is not None}
    for spec in specs.values():
        _annotate(spec, meta)
    if problems:
        raise InvalidProcess(problems)
    return ParsedBundle(bundle_hash(files), specs, parser, meta, names)


class BundleCache:
    """Parsed specs kept per content hash; parsing costs milliseconds, restoring an instance far less."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[str, ParsedBundle] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, files: Mapping[str, bytes], key: str | None = None) -> ParsedBundle:
        """The parsed bundle for these files, parsing on first use."""
        key = key or bundle_hash(files)
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        bundle = parse_bundle(files)
        with self._lock:
            self._items[key] = bundle
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return bundle


BUNDLES = BundleCache()

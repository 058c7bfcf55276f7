"""What changed between two versions' files, by meaning: BPMN elements by id, each change said in words.

Attributes equal to their BPMN (or Camunda) default count as absent, so a modeller dropping a redundant
``cancelActivity="true"`` changes nothing; whitespace, attribute order, namespace prefixes and the ids of
event definitions do not count; the diagram's layout (positions, waypoints, label bounds) counts only when
asked for (docs/decisions.md, D56). Whole files are compared too, byte for byte.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from lxml import etree

from engine.workflow.xml import BPMN_NS, CAMUNDA_NS, load_xml

CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
# BPMN 2.0 attribute defaults (and Camunda's), by attribute; a value equal to its default is as if absent.
DEFAULTS = {
    "cancelActivity": "true", "isInterrupting": "true", "parallelMultiple": "false", "isForCompensation": "false",
    "startQuantity": "1", "completionQuantity": "1", "gatewayDirection": "Unspecified", "instantiate": "false",
    "eventGatewayType": "Exclusive", "triggeredByEvent": "false", "isSequential": "false", "behavior": "All",
    "testBefore": "false", "isClosed": "false", "ordering": "Parallel", "cancelRemainingInstances": "true",
    "implementation": ("##unspecified", "##WebService"), f"{{{CAMUNDA_NS}}}exclusive": "true",
    f"{{{CAMUNDA_NS}}}async": "false", f"{{{CAMUNDA_NS}}}asyncBefore": "false",
    f"{{{CAMUNDA_NS}}}asyncAfter": "false", XSI_TYPE: ("tFormalExpression",),
}
# How each kind of change is named, in the order they are reported.
FACETS = {
    "type": "Type", "name": "Name", f"{{{CAMUNDA_NS}}}formRef": "Form",
    f"{{{CAMUNDA_NS}}}candidateGroups": "Groups", f"{{{CAMUNDA_NS}}}assignee": "Assigned to",
    f"{{{CAMUNDA_NS}}}dueDate": "Due date", "timer": "Timer", "condition": "Condition",
    f"{{{CAMUNDA_NS}}}priority": "Priority", f"{{{CAMUNDA_NS}}}topic": "Service operation",
    "calledElement": "Called process", f"{{{CAMUNDA_NS}}}decisionRef": "Decision table", "default": "Default route",
    "sourceRef": "Comes from", "targetRef": "Goes to", "attachedToRef": "Attached to",
    "cancelActivity": "Interrupts its step", "event": "Event", "loop": "Repetition", "lane": "Steps in the lane",
    "incoming": "Arrows in", "outgoing": "Arrows out", "documentation": "Description",
    "extensionElements": "Extension settings",
}
REFERENCES = {"sourceRef", "targetRef", "attachedToRef", "default", "incoming", "outgoing", "lane"}
_SPACE = re.compile(r"\s+")
_WORDS = re.compile(r"(?<!^)(?=[A-Z])")


@dataclass(frozen=True)
class ElementChanges:
    """Element ids added, removed and changed (by BPMN id) with the changes in words, and files changed."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    names: Mapping[str, str]
    files_added: tuple[str, ...]
    files_removed: tuple[str, ...]
    files_changed: tuple[str, ...]
    details: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    layout_changed: tuple[str, ...] = ()

    @property
    def none(self) -> bool:
        """True when no element was added, removed or changed (files may still differ in layout or bytes)."""
        return not (self.added or self.removed or self.changed)

    def to_dict(self) -> dict:
        """JSON-ready form (the compare page's diagram markers read it)."""
        return {"added": list(self.added), "removed": list(self.removed), "changed": list(self.changed),
                "names": dict(self.names), "details": {k: list(v) for k, v in self.details.items()},
                "layout_changed": list(self.layout_changed), "files_added": list(self.files_added),
                "files_removed": list(self.files_removed), "files_changed": list(self.files_changed)}


def element_changes(old: Mapping[str, bytes], new: Mapping[str, bytes], layout: bool = False) -> ElementChanges:
    """Compare two sets of files by meaning; with ``layout``, also list elements moved or redrawn."""
    before, names = _elements(old)
    after, new_names = _elements(new)
    digest = {n: hashlib.sha256(c).hexdigest() for n, c in old.items()}
    both = set(before) & set(after)
    labels = {**names, **new_names}
    details = {i: words for i in sorted(both) if (words := describe(before[i], after[i], labels))}
    return ElementChanges(
        added=tuple(sorted(set(after) - set(before))), removed=tuple(sorted(set(before) - set(after))),
        changed=tuple(details), names={**names, **new_names},
        files_added=tuple(sorted(set(new) - set(old))), files_removed=tuple(sorted(set(old) - set(new))),
        files_changed=tuple(sorted(n for n in set(old) & set(new)
                                   if digest[n] != hashlib.sha256(new[n]).hexdigest())),
        details=details, layout_changed=_moved(old, new) if layout else ())


def describe(old: Mapping[str, str], new: Mapping[str, str], names: Mapping[str, str] | None = None
             ) -> tuple[str, ...]:
    """The differences between two elements' facts, one sentence each; ``names`` turns element ids into names."""
    keys = sorted(set(old) | set(new), key=lambda k: (list(FACETS).index(k) if k in FACETS else len(FACETS), k))
    return tuple(_sentence(k, _named(k, old.get(k), names), _named(k, new.get(k), names))
                 for k in keys if old.get(k) != new.get(k))


def _named(key: str, value: str | None, names: Mapping[str, str] | None) -> str | None:
    """Element ids as names where a fact points at elements; a missing attribute with a default as that default."""
    if value is None:
        default = DEFAULTS.get(key)
        return default[0] if isinstance(default, tuple) else default
    if key in REFERENCES and names:
        return ", ".join(names.get(v, v) for v in value.split(", "))
    return value


def _sentence(key: str, old: str | None, new: str | None) -> str:
    label = FACETS.get(key) or f"Setting '{etree.QName(key).localname}'"
    if key == "type":
        return f"Type changed from {_humane(old)} to {_humane(new)}"
    if old is None:
        return f"{label} set to {_quote(new)}"
    if new is None:
        return f"{label} removed (it was {_quote(old)})"
    return f"{label} changed from {_quote(old)} to {_quote(new)}"


def _quote(value: str | None) -> str:
    text = value or ""
    return f"“{text[:200]}{'…' if len(text) > 200 else ''}”"


def _humane(local: str | None) -> str:
    return _WORDS.sub(" ", local or "").lower()


def _elements(files: Mapping[str, bytes]) -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    """Every flow element (and lane) of every process, as its facts with nested elements cut out."""
    found: dict[str, dict[str, str]] = {}
    names: dict[str, str] = {}
    for name, content in sorted(files.items()):
        if not name.endswith(".bpmn"):
            continue
        for process in load_xml(content, name).iterfind(f"{{{BPMN_NS}}}process"):
            for node in _flow_elements(process):
                found[node.get("id")] = facts(node)
                names[node.get("id")] = node.get("name") or node.get("id")
    return found, names


def _flow_elements(container: etree._Element):
    for node in container:
        if not isinstance(node.tag, str) or node.get("id") is None:
            continue
        local = etree.QName(node).localname
        if local == "laneSet":
            yield from (lane for lane in node.iter(f"{{{BPMN_NS}}}lane"))
            continue
        yield node
        if local in CONTAINERS:
            yield from _flow_elements(node)


def facts(node: etree._Element) -> dict[str, str]:
    """An element's meaning as named facts: its type, attributes that differ from their defaults, and what
    its child elements say (conditions, timers, events, loops, extensions), each normalised."""
    local = etree.QName(node).localname
    out = {"type": local}
    for key, value in node.attrib.items():
        if key != "id" and not _is_default(key, value):
            out[_attr_key(key)] = _clean(value)
    lists: dict[str, list[str]] = {}
    for child in node:
        if not isinstance(child.tag, str):
            continue
        kind = etree.QName(child).localname
        if local in CONTAINERS and child.get("id") is not None and not kind.endswith("LoopCharacteristics"):
            continue  # nested elements are compared on their own
        if kind in ("incoming", "outgoing", "flowNodeRef"):
            lists.setdefault("lane" if kind == "flowNodeRef" else kind, []).append(_clean(child.text))
        elif kind == "childLaneSet":
            continue
        else:
            key, text = _child_fact(kind, child)
            out[key] = f"{out[key]}; {text}" if key in out else text
    out |= {k: ", ".join(sorted(v)) for k, v in lists.items()}
    return out


def _child_fact(kind: str, child: etree._Element) -> tuple[str, str]:
    if kind == "conditionExpression":
        return "condition", _clean(child.text)
    if kind == "timerEventDefinition":
        parts = [f"{etree.QName(t).localname.removeprefix('time').lower()} {_clean(t.text)}" for t in child
                 if isinstance(t.tag, str)]
        return "timer", "; ".join(parts)
    if kind.endswith("EventDefinition"):
        return "event", f"{_humane(kind.removesuffix('EventDefinition'))} {_canonical(child)}".strip()
    if kind.endswith("LoopCharacteristics"):
        return "loop", f"{_humane(kind.removesuffix('LoopCharacteristics'))} {_canonical(child)}".strip()
    if kind == "documentation":
        return "documentation", _clean(child.text)
    return kind, _canonical(child)


def _canonical(node: etree._Element) -> str:
    """A child element as normalised text: its attributes (defaults and ids left out) and its children's."""
    attrs = " ".join(f"{_attr_key(k)}={_clean(v)}" for k, v in sorted(node.attrib.items())
                     if k != "id" and not _is_default(k, v))
    inner = " ".join(f"{etree.QName(c).localname}({_canonical(c)})" for c in node if isinstance(c.tag, str))
    text = _clean(node.text)
    return " ".join(p for p in (attrs, text, inner) if p)


def _is_default(key: str, value: str) -> bool:
    default = DEFAULTS.get(key)
    if default is None:
        return False
    value = value.split(":")[-1] if key == XSI_TYPE else value.strip()
    return value in default if isinstance(default, tuple) else value == default


def _attr_key(key: str) -> str:
    """Plain BPMN attributes by local name, others (Camunda's) in Clark notation: prefixes never count."""
    name = etree.QName(key)
    return name.localname if name.namespace in (None, BPMN_NS) else key


def _clean(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


def _moved(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> tuple[str, ...]:
    """Elements whose shape, label or arrow path is drawn differently (the diagram's layout only)."""
    before, after = _layout(old), _layout(new)
    return tuple(sorted(i for i in set(before) & set(after) if before[i] != after[i]))


def _layout(files: Mapping[str, bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, content in sorted(files.items()):
        if name.endswith(".bpmn"):
            for shape in load_xml(content, name).iter(f"{{{BPMNDI}}}BPMNShape", f"{{{BPMNDI}}}BPMNEdge"):
                points = [f"{_num(p.get('x'))},{_num(p.get('y'))},{_num(p.get('width'))},{_num(p.get('height'))}"
                          for p in shape.iter(f"{{{DC}}}Bounds", f"{{{DI}}}waypoint")]
                out[shape.get("bpmnElement", "")] = " ".join(points)
    return out


def _num(value: str | None) -> str:
    return "" if value is None else f"{float(value):g}"

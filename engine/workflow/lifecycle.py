"""Case clocks and stages declared on BPMN elements as Camunda extension properties (docs/bpmn-conventions.md).

An admin adds them in the modeller's properties panel ("Extension properties") on any flow element:

    clock.start   cfa_assessment from referral_received_at   when the element is reached (anchor optional)
    clock.pause   peer_assessment                            when the element is reached
    clock.resume  peer_assessment                            when the element is completed
    clock.stop    cfa_assessment                             when the element is completed
    stage         assessment                                 when the element is reached (also on lanes)

Each clock name is a timescale of config/timescales.toml; the anchor is an expression over the process
data giving a date (the clock starts counting from it) and defaults to the moment the element is reached.
This module reads the declarations and, during a step, lists which declared elements were reached or
completed; what they do to a case is the case package's business (engine/cases/route_lifecycle.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.workflow.xml import CAMUNDA_NS, NSMAP

CLOCK_ACTIONS = ("start", "pause", "resume", "stop")
STAGE = "stage"
PROPERTY_NAMES = frozenset({*(f"clock.{a}" for a in CLOCK_ACTIONS), STAGE})
STAGE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CLOCK_PATTERN = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\bfrom\b\s*(.+))?$", re.S)
# TaskState values (SpiffWorkflow 3.x): reached means waiting, ready, started, completed or failed.
REACHED_STATES = frozenset({8, 16, 32, 64, 128})
COMPLETED = 64


@dataclass(frozen=True)
class ClockDeclaration:
    """One clock change an element declares: the action, the clock (a timescale) and an optional anchor."""

    action: str
    clock: str
    anchor: str | None = None
    owner_groups: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain data, kept on the task spec."""
        return {"action": self.action, "clock": self.clock, "anchor": self.anchor, "owner_groups": self.owner_groups}


@dataclass(frozen=True)
class Lifecycle:
    """What an element declares: clock changes and the stage the case enters."""

    clocks: tuple[ClockDeclaration, ...] = ()
    stage: str | None = None

    def __bool__(self) -> bool:
        return bool(self.clocks or self.stage)


@dataclass(frozen=True)
class LifecycleEvent:
    """A declared element reached ("reached") or completed ("completed") during a step, in order."""

    element_id: str
    element_name: str
    moment: str
    clocks: tuple[ClockDeclaration, ...]
    stage: str | None
    data: Mapping[str, Any] = field(default_factory=dict)


def properties(node: etree._Element) -> list[tuple[str, str]]:
    """(name, value) of every Camunda extension property directly on this element."""
    found = []
    for prop in node.iterfind("bpmn:extensionElements/camunda:properties/camunda:property", NSMAP):
        found.append(((prop.get("name") or "").strip(), (prop.get("value") or "").strip()))
    return found


def parse_clock(action: str, value: str) -> ClockDeclaration | None:
    """``NAME`` or ``NAME from EXPRESSION``; None when the value cannot be read."""
    match = CLOCK_PATTERN.match(value or "")
    if match is None:
        return None
    return ClockDeclaration(action, match.group(1), (match.group(2) or "").strip() or None)


def lifecycle_of(node: etree._Element, lane_stage: str | None = None) -> Lifecycle:
    """The declarations on one element (its lane's stage when it declares none); unreadable ones are skipped
    here and reported by validation."""
    clocks, stage = [], None
    for name, value in properties(node):
        if name.startswith("clock.") and name.removeprefix("clock.") in CLOCK_ACTIONS:
            declared = parse_clock(name.removeprefix("clock."), value)
            if declared is not None:
                clocks.append(declared)
        elif name == STAGE and STAGE_PATTERN.match(value):
            stage = value
    return Lifecycle(tuple(clocks), stage or lane_stage)


def lane_stages(process: etree._Element) -> dict[str, str]:
    """Element id -> the stage its lane declares (for elements that declare none themselves)."""
    stages = {}
    for lane in process.iterfind(".//bpmn:lane", NSMAP):
        stage = dict(properties(lane)).get(STAGE)
        if stage and STAGE_PATTERN.match(stage):
            for ref in lane.iterfind("bpmn:flowNodeRef", NSMAP):
                stages[(ref.text or "").strip()] = stage
    return stages


def with_owners(declared: Mapping[str, Lifecycle], groups: Mapping[str, tuple[str, ...]]) -> dict[str, Lifecycle]:
    """Give each started clock the groups of the element that stops it (who must act before it runs out)."""
    stoppers: dict[str, tuple[str, ...]] = {}
    for element_id, life in declared.items():
        for c in life.clocks:
            if c.action == "stop" and groups.get(element_id):
                stoppers.setdefault(c.clock, groups[element_id])
    out = {}
    for element_id, life in declared.items():
        clocks = tuple(ClockDeclaration(c.action, c.clock, c.anchor, stoppers.get(c.clock, groups.get(element_id, ())))
                       if c.action == "start" else c for c in life.clocks)
        out[element_id] = Lifecycle(clocks, life.stage)
    return out


def camunda_property_nodes(root: etree._Element) -> Iterable[etree._Element]:
    """Every camunda:property element in a document (for validation)."""
    return root.iter(f"{{{CAMUNDA_NS}}}property")


def lifecycle_events(tasks: Iterable[Any], before: Mapping[Any, int]) -> list[LifecycleEvent]:
    """Declared elements reached or completed since ``before`` (task id -> state at load), in step order.

    A task reached and completed in the same step gives both events, reached first; across tasks the
    order is when each last changed state, so a loop lap's completion comes before the next lap's start.
    """
    found: list[tuple[float, int, LifecycleEvent]] = []
    for task in tasks:
        life = (getattr(task.task_spec, "extensions", None) or {}).get("frontdoor", {}).get("lifecycle")
        if not life:
            continue
        was, now = before.get(task.id, 0), task.state
        reached = now in REACHED_STATES and was not in REACHED_STATES
        completed = now == COMPLETED and was != COMPLETED
        for moment, happened in (("reached", reached), ("completed", completed)):
            if happened:
                event = LifecycleEvent(life["element_id"], life["element_name"], moment,
                                       tuple(ClockDeclaration(**c) for c in life["clocks"]),
                                       life["stage"] if moment == "reached" else None, dict(task.data))
                found.append((task.last_state_change, 0 if moment == "reached" else 1, event))
    found.sort(key=lambda item: (item[0], item[1]))
    return [event for _when, _order, event in found]

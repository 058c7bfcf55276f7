"""Automatic diagram layout for BPMN files, so hand-written XML opens cleanly in bpmn-js.

Usage::

    python -m tools.bpmn_layout workflows/bpmn/child_referral.bpmn [more.bpmn ...]

Each file is rewritten in place. Every ``bpmndi:BPMNDiagram`` is dropped and a new one is drawn:

- a process with lanes is drawn inside a pool: if the file has no ``bpmn:collaboration`` one is
  added with a single participant (Camunda Modeler does the same; bpmn-js edits lanes only in a pool);
- lanes are horizontal bands in the order they are written in the ``laneSet``; nodes in no lane go
  to an unlabelled band at the bottom;
- flow nodes go left to right by the longest path from the start (layered); a node keeps its
  predecessor's row when it can, so the main path is a straight line and branches drop below;
- boundary events sit on their host's bottom edge; what follows them is placed in a lower row;
- embedded subprocesses (and transactions, ad-hoc subprocesses) are drawn collapsed
  (``isExpanded="false"``) with their inner flow in a BPMNDiagram/BPMNPlane of their own, which bpmn-js
  (9+) opens with its drill-down arrow;
- sequence and message flows get orthogonal waypoints;
- sizes: tasks 100x80, events 36x36, gateways 50x50.

Labels are left to bpmn-js (no BPMNLabel bounds). Semantic elements are not changed, apart from the
added collaboration. Files with a DOCTYPE are refused, so are entities.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from tools.bpmn_routing import GATEWAYS, Box, route

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"

EVENTS = {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent"}
CONTAINERS = {"subProcess", "transaction", "adHocSubProcess"}
ACTIVITIES = CONTAINERS | {
    "task",
    "userTask",
    "serviceTask",
    "businessRuleTask",
    "scriptTask",
    "sendTask",
    "receiveTask",
    "manualTask",
    "callActivity",
}
SIZES = {"event": (36, 36), "gateway": (50, 50), "activity": (100, 80)}
COL_W, ROW_H = 150, 120
POOL_LABEL, LANE_LABEL, MARGIN = 30, 30, 40


def _local(el: etree._Element) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else ""


def _kind(el: etree._Element) -> str:
    name = _local(el)
    if name in EVENTS:
        return "event"
    return "gateway" if name in GATEWAYS else "activity"


@dataclass
class Plane:
    """Shapes and edges collected for one BPMNPlane."""

    element_id: str
    boxes: dict[str, Box] = field(default_factory=dict)
    kinds: dict[str, str] = field(default_factory=dict)
    edges: list[tuple[str, list[tuple[float, float]]]] = field(default_factory=list)
    collapsed: set[str] = field(default_factory=set)
    horizontal: set[str] = field(default_factory=set)  # pools and lanes
    cells: dict[str, Box] = field(default_factory=dict)  # each node's grid cell: edges run on its borders


def _flow_nodes(container: etree._Element) -> list[etree._Element]:
    return [c for c in container if _local(c) in EVENTS | GATEWAYS | ACTIVITIES]


def _layers(nodes: list[etree._Element], flows: list[etree._Element]) -> dict[str, int]:
    """Longest path from the sources; boundary events take their host's layer."""
    host = {n.get("id"): n.get("attachedToRef") for n in nodes if _local(n) == "boundaryEvent"}
    ids = [n.get("id") for n in nodes if n.get("id") not in host]
    preds: dict[str, list[str]] = {i: [] for i in ids}
    for f in flows:
        src, tgt = host.get(f.get("sourceRef"), f.get("sourceRef")), f.get("targetRef")
        if tgt in preds and src in preds and src != tgt:
            preds[tgt].append(src)
    layer: dict[str, int] = {}
    remaining = list(ids)
    while remaining:
        ready = [i for i in remaining if all(p in layer for p in preds[i])]
        # A cycle (not allowed by our conventions, but be robust): place the first waiting node.
        chosen = ready or remaining[:1]
        for i in chosen:
            layer[i] = max((layer[p] + 1 for p in preds[i] if p in layer), default=0)
            remaining.remove(i)
    for b, h in host.items():
        layer[b] = layer.get(h, 0)
    return layer


def _lane_of(process: etree._Element) -> tuple[list[etree._Element], dict[str, str]]:
    lanes = process.findall(f"{{{BPMN}}}laneSet/{{{BPMN}}}lane")
    lane_of: dict[str, str] = {}
    for lane in lanes:
        for ref in lane.iter(f"{{{BPMN}}}flowNodeRef"):
            lane_of.setdefault((ref.text or "").strip(), lane.get("id"))
    return lanes, lane_of


def _rows(nodes, flows, layer, lane_of) -> dict[str, int]:
    """Give each node a row inside its band, keeping a predecessor's row when free."""
    by_id = {n.get("id"): n for n in nodes}
    host = {i: n.get("attachedToRef") for i, n in by_id.items() if _local(n) == "boundaryEvent"}
    preds: dict[str, list[tuple[str, int]]] = {i: [] for i in by_id}
    for f in flows:
        src, tgt = f.get("sourceRef"), f.get("targetRef")
        if tgt in preds and src in by_id:
            preds[tgt].append((host.get(src, src), 1 if src in host else 0))
    row: dict[str, int] = {}
    taken: set[tuple[str | None, int, int]] = set()
    order = sorted((i for i in by_id if i not in host), key=lambda i: layer[i])
    for i in order:
        band = lane_of.get(i)
        wanted = [row[p] + below for p, below in preds[i] if p in row and lane_of.get(p) == band]
        r = min(wanted, default=0)
        while (band, layer[i], r) in taken:
            r += 1
        row[i] = r
        taken.add((band, layer[i], r))
    for b, h in host.items():
        row[b] = row.get(h, 0)
    return row


def _place(container, top: float, left: float, plane: Plane, lanes=None, lane_of=None) -> tuple[float, float]:
    """Place the container's nodes from (left, top); returns (width, height) used."""
    nodes = _flow_nodes(container)
    flows = container.findall(f"{{{BPMN}}}sequenceFlow")
    lanes, lane_of = lanes or [], lane_of or {}
    layer = _layers(nodes, flows)
    row = _rows(nodes, flows, layer, lane_of)
    bands = [lane.get("id") for lane in lanes]
    if any(n.get("id") not in lane_of for n in nodes) or not bands:
        bands.append(None)
    heights = {b: ROW_H * (1 + max((row[i] for i in row if lane_of.get(i) == b), default=0)) for b in bands}
    band_top, y = {}, top
    for b in bands:
        band_top[b], y = y, y + heights[b]
    on_host: dict[str, int] = {}
    # Hosts first, so each boundary event can be put on its host's bottom edge.
    for n in sorted(nodes, key=lambda n: _local(n) == "boundaryEvent"):
        i, (w, h) = n.get("id"), SIZES[_kind(n)]
        cx = left + COL_W / 2 + layer[i] * COL_W
        cy = band_top[lane_of.get(i)] + ROW_H / 2 + row[i] * ROW_H
        host = plane.boxes.get(n.get("attachedToRef") or "")
        if _local(n) == "boundaryEvent" and host:
            k = on_host[n.get("attachedToRef")] = on_host.get(n.get("attachedToRef"), -1) + 1
            cx, cy = host.right - 22 - 40 * k, host.bottom
        plane.cells[i] = Box(
            left + COL_W / 2 + layer[i] * COL_W, band_top[lane_of.get(i)] + ROW_H / 2 + row[i] * ROW_H, COL_W, ROW_H
        )
        plane.boxes[i], plane.kinds[i] = Box(cx, cy, w, h), _local(n)
        if _local(n) in CONTAINERS:
            plane.collapsed.add(i)
    width = COL_W * (1 + max(layer.values(), default=0))
    for b in bands:
        if b is not None:
            plane.boxes[b] = Box(
                left - LANE_LABEL + (width + LANE_LABEL) / 2,
                band_top[b] + heights[b] / 2,
                width + LANE_LABEL,
                heights[b],
            )
            plane.horizontal.add(b)
    return width, y - top


def _add_edges(container: etree._Element, plane: Plane, tag: str = "sequenceFlow") -> None:
    for f in container.findall(f"{{{BPMN}}}{tag}"):
        if f.get("sourceRef") in plane.boxes and f.get("targetRef") in plane.boxes:
            plane.edges.append((f.get("id"), route(plane, f.get("sourceRef"), f.get("targetRef"))))


def _subprocess_planes(container: etree._Element) -> list[Plane]:
    """One plane per embedded subprocess, at any depth, drawn from the origin."""
    planes = []
    for sub in container.iter(*(f"{{{BPMN}}}{c}" for c in CONTAINERS)):
        if sub is container:
            continue
        plane = Plane(sub.get("id"))
        _place(sub, MARGIN + 60, MARGIN + 120, plane)
        _add_edges(sub, plane)
        planes.append(plane)
    return planes


def _ensure_collaboration(root: etree._Element, process: etree._Element) -> etree._Element:
    collab = root.find(f"{{{BPMN}}}collaboration")
    if collab is None:
        pid = process.get("id")
        collab = etree.Element(f"{{{BPMN}}}collaboration", id=f"collaboration_{pid}")
        etree.SubElement(
            collab,
            f"{{{BPMN}}}participant",
            id=f"pool_{pid}",
            name=process.get("name") or pid,
            processRef=pid,
        )
        process.addprevious(collab)
    return collab


def _main_plane(root: etree._Element) -> tuple[Plane, list[Plane]]:
    processes = root.findall(f"{{{BPMN}}}process")
    if any(p.find(f"{{{BPMN}}}laneSet") is not None for p in processes):
        _ensure_collaboration(root, processes[0])
    collab = root.find(f"{{{BPMN}}}collaboration")
    plane = Plane(collab.get("id") if collab is not None else processes[0].get("id"))
    subs: list[Plane] = []
    by_id = {p.get("id"): p for p in processes}
    participants = collab.findall(f"{{{BPMN}}}participant") if collab is not None else [None]
    top = MARGIN
    for part in participants:
        process = by_id.get(part.get("processRef")) if part is not None else processes[0]
        left = MARGIN + (POOL_LABEL if part is not None else 0)
        height = 100.0
        if process is not None:
            lanes, lane_of = _lane_of(process)
            width, height = _place(process, top, left + (LANE_LABEL if lanes else 0), plane, lanes, lane_of)
            _add_edges(process, plane)
            subs += _subprocess_planes(process)
        else:
            width = max((b.right for b in plane.boxes.values()), default=600) - left
        if part is not None:
            total = width + POOL_LABEL + (LANE_LABEL if process is not None and _lane_of(process)[0] else 0)
            plane.boxes[part.get("id")] = Box(MARGIN + total / 2, top + height / 2, total, height)
            plane.horizontal.add(part.get("id"))
        top += height + MARGIN
    if collab is not None:
        _add_edges(collab, plane, "messageFlow")
    return plane, subs


def _write_plane(root: etree._Element, plane: Plane, n: int) -> None:
    diagram = etree.SubElement(root, f"{{{BPMNDI}}}BPMNDiagram", id=f"diagram_{n}")
    di_plane = etree.SubElement(
        diagram, f"{{{BPMNDI}}}BPMNPlane", id=f"plane_{plane.element_id}", bpmnElement=plane.element_id
    )
    # Pools and lanes first, so bpmn-js draws them underneath the flow.
    order = sorted(plane.boxes, key=lambda i: i not in plane.horizontal)
    for el_id in order:
        box = plane.boxes[el_id]
        shape = etree.SubElement(di_plane, f"{{{BPMNDI}}}BPMNShape", id=f"{el_id}_di", bpmnElement=el_id)
        if el_id in plane.horizontal:
            shape.set("isHorizontal", "true")
        if el_id in plane.collapsed:
            shape.set("isExpanded", "false")
        etree.SubElement(
            shape, f"{{{DC}}}Bounds", x=_num(box.left), y=_num(box.top), width=_num(box.w), height=_num(box.h)
        )
    for flow_id, points in plane.edges:
        edge = etree.SubElement(di_plane, f"{{{BPMNDI}}}BPMNEdge", id=f"{flow_id}_di", bpmnElement=flow_id)
        for x, y in points:
            etree.SubElement(edge, f"{{{DI}}}waypoint", x=_num(x), y=_num(y))


def _num(v: float) -> str:
    return str(int(round(v)))


def layout_tree(root: etree._Element) -> None:
    """Replace every BPMNDiagram under ``root`` (bpmn:definitions) with an automatic layout."""
    for old in root.findall(f"{{{BPMNDI}}}BPMNDiagram"):
        root.remove(old)
    main, subs = _main_plane(root)
    for n, plane in enumerate([main, *subs], start=1):
        _write_plane(root, plane, n)


def layout_file(path: str | Path) -> None:
    """Rewrite one BPMN file in place with an automatic layout."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True, huge_tree=False)
    tree = etree.parse(str(path), parser)
    if tree.docinfo.doctype:
        raise ValueError(f"{path}: a DOCTYPE is not allowed in BPMN files")
    layout_tree(tree.getroot())
    etree.cleanup_namespaces(tree.getroot(), top_nsmap={"bpmn": BPMN, "bpmndi": BPMNDI, "dc": DC, "di": DI})
    tree.write(str(path), xml_declaration=True, encoding="UTF-8", pretty_print=True)


def main(argv: list[str] | None = None) -> int:
    """Command line: lay out each named file in place."""
    paths = sys.argv[1:] if argv is None else argv
    if not paths:
        print(__doc__)
        return 2
    for path in paths:
        layout_file(path)
        print(f"laid out {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

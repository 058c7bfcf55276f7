"""Shapes and orthogonal edge routes for tools.bpmn_layout (geometry only, no XML)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

GATEWAYS = {"exclusiveGateway", "parallelGateway", "inclusiveGateway", "eventBasedGateway", "complexGateway"}


@dataclass
class Box:
    """A placed shape: centre and size."""

    cx: float
    cy: float
    w: float
    h: float

    @property
    def left(self) -> float:
        return self.cx - self.w / 2

    @property
    def right(self) -> float:
        return self.cx + self.w / 2

    @property
    def top(self) -> float:
        return self.cy - self.h / 2

    @property
    def bottom(self) -> float:
        return self.cy + self.h / 2


Point = tuple[float, float]


def _candidates(src: Box, tgt: Box, kinds: tuple[str, str], cells: tuple[Box, Box]) -> list[list[Point]]:
    """Orthogonal routes to try in order; the last runs along cell borders, where no shape sits."""
    (src_kind, tgt_kind), (sc, tc) = kinds, cells
    # The border between the target's row and the source's side of it is free of shapes.
    channel = tc.top if src.cy < tgt.cy else tc.bottom
    if src_kind == "boundaryEvent":
        return [
            [(src.cx, src.bottom), (src.cx, tgt.cy), (tgt.left, tgt.cy)],
            [(src.cx, src.bottom), (src.cx, sc.bottom), (tc.left, sc.bottom), (tc.left, tgt.cy), (tgt.left, tgt.cy)],
        ]
    routes: list[list[Point]] = []
    if abs(src.cy - tgt.cy) < 1:
        routes.append([(src.right, src.cy), (tgt.left, tgt.cy)])
    elif src_kind in GATEWAYS:
        exit_y = src.bottom if tgt.cy > src.cy else src.top
        routes.append([(src.cx, exit_y), (src.cx, tgt.cy), (tgt.left, tgt.cy)])
    if tgt_kind in GATEWAYS and abs(src.cy - tgt.cy) >= 1:
        entry_y = tgt.bottom if src.cy > tgt.cy else tgt.top
        routes.append([(src.right, src.cy), (tgt.cx, src.cy), (tgt.cx, entry_y)])
    for x in (tc.left, sc.right):
        routes.append([(src.right, src.cy), (x, src.cy), (x, tgt.cy), (tgt.left, tgt.cy)])
    routes.append(
        [
            (src.right, src.cy),
            (sc.right, src.cy),
            (sc.right, channel),
            (tc.left, channel),
            (tc.left, tgt.cy),
            (tgt.left, tgt.cy),
        ]
    )
    return routes


def _crosses(points: list[Point], box: Box) -> bool:
    for (x1, y1), (x2, y2) in zip(points, points[1:], strict=False):
        if (
            min(x1, x2) < box.right - 1
            and max(x1, x2) > box.left + 1
            and min(y1, y2) < box.bottom - 1
            and max(y1, y2) > box.top + 1
        ):
            return True
    return False


def route(plane: Any, source: str, target: str) -> list[Point]:
    """Orthogonal waypoints from one shape to another, avoiding the other shapes when it can.

    ``plane`` has ``boxes``, ``cells``, ``kinds`` (BPMN tag names) and ``horizontal`` (pools, lanes).
    """
    src, tgt = plane.boxes[source], plane.boxes[target]
    if tgt.left < src.right or source not in plane.cells or target not in plane.cells:
        low = max(src.bottom, tgt.bottom) + 25  # backwards (or between pools): round underneath
        return [
            (src.right, src.cy),
            (src.right + 20, src.cy),
            (src.right + 20, low),
            (tgt.left - 20, low),
            (tgt.left - 20, tgt.cy),
            (tgt.left, tgt.cy),
        ]
    kinds = plane.kinds.get(source, ""), plane.kinds.get(target, "")
    routes = _candidates(src, tgt, kinds, (plane.cells[source], plane.cells[target]))
    others = [b for i, b in plane.boxes.items() if i not in (source, target) and i not in plane.horizontal]
    return next((r for r in routes if not any(_crosses(r, b) for b in others)), routes[-1])

"""Walking the graphs BPMN files make: what a node reaches (called processes, needed files) and flow cycles."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TypeVar

Node = TypeVar("Node", bound=Hashable)


def reachable(start: Iterable[Node], neighbours: Callable[[Node], Iterable[Node]]) -> list[Node]:
    """Every node reachable from ``start`` (the starts included), each once, in the order found.

    Safe on graphs with cycles: a node already found is not walked again.
    """
    found: dict[Node, None] = dict.fromkeys(start)
    pending = list(found)
    while pending:
        for nxt in neighbours(pending.pop()):
            if nxt not in found:
                found[nxt] = None
                pending.append(nxt)
    return list(found)


def cycle_nodes(edges: Mapping[str, Iterable[str]]) -> list[str]:
    """One node per cycle found by depth-first search (the node the back edge returns to), sorted."""
    state: dict[str, int] = {}
    found: list[str] = []
    for root in list(edges):
        if state.get(root):
            continue
        stack = [(root, iter(edges.get(root, ())))]
        state[root] = 1
        while stack:
            node, children = stack[-1]
            nxt = next(children, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                found.append(nxt)
            elif not state.get(nxt):
                state[nxt] = 1
                stack.append((nxt, iter(edges.get(nxt, ()))))
    return sorted(set(found))

"""Where a process reads case data: conditions, loop conditions, due dates, timers and decision inputs.

The form editor uses this to tell an admin that a renamed or removed field would leave a condition
reading a name nobody sets any more, before the change reaches a running route.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from lxml import etree

from engine.errors import ExpressionError, InvalidProcess
from engine.workflow.expressions import compile_expression, is_iso8601_literal, strip_expression
from engine.workflow.xml import BPMN_NS, CAMUNDA_NS, NSMAP, document_kind, load_xml

LOOP_TAGS = ("loopCondition", "completionCondition", "loopCardinality")
TIMER_TAGS = ("timeDate", "timeDuration", "timeCycle")


@dataclass(frozen=True)
class DataRead:
    """One expression of a process and the data paths it reads (``immediate_risk``, ``consent.status``)."""

    element_id: str
    place: str
    paths: frozenset[str]
    file: str = ""


def data_reads(files: Mapping[str, bytes]) -> list[DataRead]:
    """Every expression in the BPMN and DMN files given, with the data paths each reads."""
    reads: list[DataRead] = []
    for name in sorted(files):
        if not name.endswith((".bpmn", ".dmn")):
            continue
        try:
            root = load_xml(files[name], name)
        except InvalidProcess:
            continue  # deploy-time validation reports unreadable files; nothing here can be read
        found = _bpmn_reads(root) if document_kind(root) == "bpmn" else _dmn_reads(root)
        for element_id, place, text in found:
            paths = read_paths(text)
            if paths:
                reads.append(DataRead(element_id, place, paths, name))
    return reads


def read_paths(text: str | None) -> frozenset[str]:
    """The dotted data paths an expression reads; empty for ISO 8601 literals and unusable text."""
    text = strip_expression(text or "")
    if not text or is_iso8601_literal(text):
        return frozenset()
    try:
        expression = compile_expression(text)
    except ExpressionError:
        return frozenset()  # already a deploy-time problem of its own
    return frozenset(p for p in _chains(expression.tree) if p.split(".")[0] in expression.names)


def _bpmn_reads(root: etree._Element) -> Iterator[tuple[str, str, str]]:
    for node in root.iter():
        if not isinstance(node.tag, str):
            continue
        local = etree.QName(node).localname
        if local == "sequenceFlow":
            condition = node.find("bpmn:conditionExpression", NSMAP)
            if condition is not None:
                yield node.get("id", ""), f"The condition on '{_label(node)}'", condition.text or ""
        elif node.get(f"{{{CAMUNDA_NS}}}dueDate") or local == "userTask":
            if node.get(f"{{{CAMUNDA_NS}}}dueDate"):
                yield node.get("id", ""), f"The due date of '{_label(node)}'", node.get(f"{{{CAMUNDA_NS}}}dueDate")
            groups = node.get(f"{{{CAMUNDA_NS}}}candidateGroups") or ""
            if groups.strip().startswith("${"):
                yield node.get("id", ""), f"The candidate groups of '{_label(node)}'", groups
        elif local in ("standardLoopCharacteristics", "multiInstanceLoopCharacteristics"):
            owner = node.getparent()
            for tag in LOOP_TAGS:
                child = node.find(f"bpmn:{tag}", NSMAP)
                if child is not None:
                    yield owner.get("id", ""), f"The loop condition of '{_label(owner)}'", child.text or ""
        elif local == "timerEventDefinition":
            owner = node.getparent()
            for child in node.iter(*(f"{{{BPMN_NS}}}{t}" for t in TIMER_TAGS)):
                yield owner.get("id", ""), f"The timer of '{_label(owner)}'", child.text or ""


def _dmn_reads(root: etree._Element) -> Iterator[tuple[str, str, str]]:
    for decision in root.iter("{*}decision"):
        for item in decision.iter("{*}input"):
            text = item.findtext("{*}inputExpression/{*}text") or ""
            label = item.get("label") or item.get("id", "")
            yield item.get("id", ""), f"The input '{label}' of decision '{_label(decision)}'", text


def _label(node: etree._Element) -> str:
    return node.get("name") or node.get("id", "")


def _chains(tree: ast.AST) -> set[str]:
    """Maximal name.attribute['key'] chains, so ``consent.status`` is read, not just ``consent``."""
    called = {id(n.func) for n in ast.walk(tree) if isinstance(n, ast.Call)}
    extended = {id(n.value) for n in ast.walk(tree)
                if isinstance(n, (ast.Attribute, ast.Subscript)) and id(n) not in called and _chain(n)}
    out: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in extended:
            continue
        if id(node) not in called:
            path = _chain(node)
        elif isinstance(node, ast.Attribute):  # value.get(...) reads value
            path = _chain(node.value)
        else:  # timescale(...) reads nothing itself
            continue
        if path:
            out.add(path)
    return out


def _chain(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        base = _chain(node.value)
        return f"{base}.{node.attr}" if base else None
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant) \
            and isinstance(node.slice.value, str):
        base = _chain(node.value)
        return f"{base}.{node.slice.value}" if base else None
    return None

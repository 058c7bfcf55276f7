"""What changed between two versions' files: BPMN elements by id (ignoring layout) and whole files."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from engine.workflow.xml import BPMN_NS, load_xml

CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
_SPACE = re.compile(rb">\s+<")


@dataclass(frozen=True)
class ElementChanges:
    """Element ids added, removed and changed (by BPMN id), and files added, removed and changed."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    names: Mapping[str, str]
    files_added: tuple[str, ...]
    files_removed: tuple[str, ...]
    files_changed: tuple[str, ...]

    def to_dict(self) -> dict:
        """JSON-ready form (the compare page's diagram markers read it)."""
        return {"added": list(self.added), "removed": list(self.removed), "changed": list(self.changed),
                "names": dict(self.names), "files_added": list(self.files_added),
                "files_removed": list(self.files_removed), "files_changed": list(self.files_changed)}


def element_changes(old: Mapping[str, bytes], new: Mapping[str, bytes]) -> ElementChanges:
    """Compare two sets of files; BPMN elements are compared as canonical XML without diagram layout."""
    before, names = _elements(old)
    after, new_names = _elements(new)
    digest = {n: hashlib.sha256(c).hexdigest() for n, c in old.items()}
    return ElementChanges(
        added=tuple(sorted(set(after) - set(before))), removed=tuple(sorted(set(before) - set(after))),
        changed=tuple(sorted(i for i in set(before) & set(after) if before[i] != after[i])),
        names={**names, **new_names},
        files_added=tuple(sorted(set(new) - set(old))), files_removed=tuple(sorted(set(old) - set(new))),
        files_changed=tuple(sorted(n for n in set(old) & set(new)
                                   if digest[n] != hashlib.sha256(new[n]).hexdigest())))


def _elements(files: Mapping[str, bytes]) -> tuple[dict[str, bytes], dict[str, str]]:
    """Every flow element (and lane) of every process, as canonical XML with nested elements cut out."""
    found: dict[str, bytes] = {}
    names: dict[str, str] = {}
    for name, content in sorted(files.items()):
        if not name.endswith(".bpmn"):
            continue
        for process in load_xml(content, name).iterfind(f"{{{BPMN_NS}}}process"):
            for node in _flow_elements(process):
                found[node.get("id")] = _canonical(node)
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


def _canonical(node: etree._Element) -> bytes:
    copy = etree.fromstring(etree.tostring(node))
    if etree.QName(copy).localname in CONTAINERS:  # nested elements are compared on their own
        for child in list(copy):
            if isinstance(child.tag, str) and child.get("id") is not None and \
                    etree.QName(child).localname not in ("multiInstanceLoopCharacteristics",
                                                         "standardLoopCharacteristics"):
                copy.remove(child)
    if etree.QName(copy).localname == "lane":
        for child in copy.findall(f"{{{BPMN_NS}}}childLaneSet"):
            copy.remove(child)
    return _SPACE.sub(b"><", etree.tostring(copy, method="c14n")).strip()

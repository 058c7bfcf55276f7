"""Hardened XML loading: the one door through which BPMN and DMN text enters the engine."""

from __future__ import annotations

import re

from lxml import etree

from engine.errors import InvalidProcess, Problem

MAX_FILE_BYTES = 5 * 1024 * 1024  # 5 MB per file is far above any real diagram

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)
NSMAP = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}

# A DOCTYPE is how XXE and entity-expansion bombs ("billion laughs") get in; BPMN never needs one.
_DOCTYPE = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)


def _parser() -> etree.XMLParser:
    # Every network and entity feature off; huge_tree off keeps lxml's own depth/size limits.
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=False,
        remove_pis=True,
    )


def load_xml(data: bytes | str, filename: str = "") -> etree._Element:
    """Parse untrusted BPMN/DMN text safely; raises InvalidProcess with a clear reason."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if len(data) > MAX_FILE_BYTES:
        raise InvalidProcess(
            [Problem("", f"The file is {len(data) // 1024} KB; the limit is {MAX_FILE_BYTES // 1024} KB",
                     filename)]
        )
    if _DOCTYPE.search(data):
        raise InvalidProcess(
            [Problem("", "The file contains a DOCTYPE or ENTITY declaration, which is not allowed "
                         "(it can be used to read files or exhaust memory)", filename)]
        )
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise InvalidProcess([Problem("", f"The file is not well-formed XML: {exc}", filename)]) from exc
    if root.getroottree().docinfo.doctype:
        raise InvalidProcess([Problem("", "The file declares a DOCTYPE, which is not allowed", filename)])
    return root


def document_kind(root: etree._Element) -> str:
    """'bpmn' or 'dmn' for a parsed root element; anything else is refused."""
    ns = etree.QName(root).namespace
    if ns == BPMN_NS and etree.QName(root).localname == "definitions":
        return "bpmn"
    if ns in DMN_NAMESPACES and etree.QName(root).localname == "definitions":
        return "dmn"
    return "unknown"

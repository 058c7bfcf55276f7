"""What people read carries no source tags, drafting notes or internal ids: the shipped forms, the names in the
shipped diagrams (lanes aside: only the modeller shows them) and the measures' explanations."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine.insight.catalogue import MEASURES

ROOT = Path(__file__).resolve().parent.parent
NOT_FOR_PEOPLE = re.compile(r"\[S\d+\]|\bbrief P\d|\bTODO\b|\bFIXME\b|\bXXX\b|\bTBC\b")
USER_KEYS = ("label", "text", "description", "title")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"


def _form_words(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in USER_KEYS and isinstance(value, str):
                yield value
            yield from _form_words(value)
    elif isinstance(node, list):
        for item in node:
            yield from _form_words(item)


def _diagram_names(path: Path):
    tree = ET.parse(path)
    lanes = {id(e) for e in tree.iter(f"{BPMN}lane")}
    for element in tree.iter():
        if id(element) not in lanes and element.get("name"):
            yield element.get("name")


@pytest.mark.parametrize("path", sorted((ROOT / "forms").glob("*.form")), ids=lambda p: p.stem)
def test_shipped_forms_carry_no_source_tags_or_drafting_notes(path):
    for words in _form_words(json.loads(path.read_text())):
        assert not NOT_FOR_PEOPLE.search(words), (path.name, words)


@pytest.mark.parametrize("path", sorted((ROOT / "workflows/bpmn").glob("*.bpmn")), ids=lambda p: p.stem)
def test_names_in_the_shipped_diagrams_carry_no_source_tags_or_internal_ids(path):
    for name in _diagram_names(path):
        assert not NOT_FOR_PEOPLE.search(name), (path.name, name)
        assert not re.search(r"\b(task|ut|gw|end|start)_[a-z_]+\b", name), (path.name, name)


def test_the_measures_explain_themselves_without_source_tags():
    for measure in MEASURES:
        for words in (measure.title, measure.how, measure.yes_means):
            assert not NOT_FOR_PEOPLE.search(words), (measure.key, words)


def test_the_check_finds_a_source_tag():
    assert NOT_FOR_PEOPLE.search("Working Together 2023 [S74].")
    assert NOT_FOR_PEOPLE.search("as the brief P2.6 says")

"""The record renderer: every shipped form's answers as people read them, and need-to-know inside it."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.forms import parse_form
from engine.forms.answers import render_answers, shown_value
from engine.forms.words import date_words
from tests.forms.test_validation import make_form
from tests.support.walker import sample_answers

FORMS = sorted((Path(__file__).resolve().parents[2] / "forms").glob("*.form"))


def _flat(answers, prefix=""):
    """(label, value) of every plain answer, rows and groups included."""
    out = []
    for a in answers:
        if a.kind == "text":
            out.append((a.label, a.value))
        elif a.kind == "group":
            out += _flat(a.value)
        else:
            for row in a.value:
                out += _flat(row)
    return out


@pytest.mark.parametrize("path", FORMS, ids=[p.stem for p in FORMS])
def test_every_shipped_form_reads_with_its_labels_and_no_raw_values(path):
    form = parse_form(path.read_bytes(), path.name)
    data = sample_answers(form.fields, {})
    shown = dict(_flat(render_answers(form, data)))
    for f in form.iter_fields():
        if not f.is_input or f.readonly:
            continue
        assert (f.label or f.key.replace("_", " ").capitalize()) in shown, (path.stem, f.path)
        value = shown[f.label or f.key.replace("_", " ").capitalize()]
        assert "{{" not in value
        if f.options:
            raw = {v for v, label in f.options if v != label}
            assert value not in raw, (path.stem, f.path, value)  # a choice shows its label, never its value
        if f.type == "datetime" and (f.subtype or "date") == "date":
            assert value == "2 March 2026"


CHOICES = make_form(
    {"type": "radio", "key": "kind", "label": "What kind of context is it?",
     "values": [{"label": "Public space", "value": "public_space"}, {"label": "School", "value": "school"}]},
    {"type": "checklist", "key": "harm", "label": "Types of harm",
     "values": [{"label": "Criminal exploitation", "value": "EFH-CCE"}, {"label": "County lines", "value": "EFH-CL"}]},
    {"type": "datetime", "subtype": "date", "key": "born", "label": "Date of birth"},
    {"type": "datetime", "subtype": "datetime", "key": "seen", "label": "Seen"},
    {"type": "checkbox", "key": "urgent", "label": "Urgent"},
    {"type": "number", "key": "level", "label": "Level"},
    {"type": "textfield", "key": "empty", "label": "Left empty"},
    {"type": "group", "path": "child", "label": "The child", "components": [
        {"type": "textfield", "key": "name", "label": "Name"},
        {"type": "textarea", "key": "address", "label": "Home address", "properties": {"record": "address"}}]},
    {"type": "dynamiclist", "path": "people", "label": "Associates", "components": [
        {"type": "textfield", "key": "initials", "label": "Initials"},
        {"type": "textfield", "key": "ref", "label": "Case reference", "properties": {"record": "child_reference"}}]},
)
ANSWERS = {"kind": "public_space", "harm": ["EFH-CCE", "EFH-CL"], "born": "2013-03-14",
           "seen": "2026-07-01T13:30:00+00:00", "urgent": True, "level": 3.0, "empty": "  ",
           "child": {"name": "Robin Testcase", "address": "1 Refuge Road"},
           "people": [{"initials": "AB", "ref": "CH-000002"}, {"initials": "", "ref": ""}]}


def test_each_component_type_reads_as_gov_uk_writes_it():
    answers = render_answers(CHOICES, ANSWERS)
    assert [(a.label, a.kind) for a in answers] == [
        ("What kind of context is it?", "text"), ("Types of harm", "text"), ("Date of birth", "text"),
        ("Seen", "text"), ("Urgent", "text"), ("Level", "text"), ("The child", "group"), ("Associates", "rows")]
    values = {a.label: a.value for a in answers if a.kind == "text"}
    assert values == {"What kind of context is it?": "Public space",
                      "Types of harm": "Criminal exploitation, County lines", "Date of birth": "14 March 2013",
                      "Seen": "1 July 2026 at 2:30pm", "Urgent": "Yes", "Level": "3"}
    rows = answers[-1].to_dict()["value"]
    assert rows == [[{"label": "Initials", "value": "AB", "kind": "text"},
                     {"label": "Case reference", "value": "CH-000002", "kind": "text"}]]  # the empty row is left out


def test_a_mask_withholds_what_the_viewer_may_not_see():
    def mask(spec, value):
        if spec.record == "address":
            return "Withheld: protected address"
        if spec.record == "child_reference":
            return "A child you are not involved with"
        return None

    shown = dict(_flat(render_answers(CHOICES, ANSWERS, mask)))
    assert shown["Home address"] == "Withheld: protected address"
    assert shown["Case reference"] == "A child you are not involved with"
    assert "1 Refuge Road" not in str(render_answers(CHOICES, ANSWERS, mask))


def test_values_a_newer_form_no_longer_offers_are_shown_as_stored():
    spec = next(f for f in CHOICES.iter_fields() if f.key == "kind")
    assert shown_value(spec, "peer_group") == "peer_group"
    assert date_words("not a date") == "not a date"

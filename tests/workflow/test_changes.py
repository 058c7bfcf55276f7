"""Compare by meaning: defaults, prefixes, whitespace, event-definition ids and layout do not count; real changes
are said in words per element (name, type, form, groups, due date, timer, condition)."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.workflow.changes import element_changes
from tests.support.factories import demo_files

ROOT = Path(__file__).resolve().parents[2]
ROUTE = (ROOT / "workflows" / "bpmn" / "context_referral.bpmn").read_bytes()
NAME = "demo_intake.bpmn"


def _edited(*pairs: tuple[bytes, bytes]) -> dict[str, bytes]:
    files = demo_files()
    for old, new in pairs:
        assert old in files[NAME], old
        files[NAME] = files[NAME].replace(old, new)
    return files


NOISE = {
    "a boundary event's default cancelActivity written out": [
        (b'cancelActivity="false"', b'cancelActivity="false" parallelMultiple="false"')],
    "default quantities and gateway direction": [
        (b'<bpmn:userTask id="triage"', b'<bpmn:userTask id="triage" startQuantity="1" completionQuantity="1"'),
        (b'<bpmn:parallelGateway id="split">', b'<bpmn:parallelGateway id="split" gatewayDirection="Unspecified">')],
    "camunda's defaults": [(b'camunda:topic="demo_lookup"', b'camunda:topic="demo_lookup" camunda:exclusive="true" '
                                                             b'camunda:asyncBefore="false"')],
    "a condition without its xsi:type and with other spacing": [
        (b'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${rag == \'red\'}',
         b'<bpmn:conditionExpression>\n   ${rag   == \'red\'}  ')],
    "an id given to an event definition": [(b"<bpmn:timerEventDefinition>",
                                            b'<bpmn:timerEventDefinition id="TimerEventDefinition_1x2y">')],
    "attributes in another order": [(b'<bpmn:sequenceFlow id="f2" sourceRef="triage" targetRef="lookup"/>',
                                     b'<bpmn:sequenceFlow targetRef="lookup" id="f2" sourceRef="triage"/>')],
}


@pytest.mark.parametrize("edits", NOISE.values(), ids=NOISE.keys())
def test_what_means_the_same_is_no_change(edits):
    changes = element_changes(demo_files(), _edited(*edits))
    assert (changes.added, changes.removed, changes.changed, changes.none) == ((), (), (), True)
    assert changes.files_changed == (NAME,)  # the bytes did change


def test_a_redundant_cancel_activity_dropped_by_the_modeller_is_no_change():
    assert ROUTE.count(b'cancelActivity="true"') == 2
    changes = element_changes({"c.bpmn": ROUTE}, {"c.bpmn": ROUTE.replace(b' cancelActivity="true"', b"")})
    assert changes.none


def test_another_namespace_prefix_is_no_change():
    renamed = ROUTE.replace(b"xmlns:bpmn=", b"xmlns:b2=").replace(b"<bpmn:", b"<b2:").replace(b"</bpmn:", b"</b2:")
    renamed = renamed.replace(b'"bpmn:tFormalExpression"', b'"b2:tFormalExpression"')
    assert element_changes({"c.bpmn": ROUTE}, {"c.bpmn": renamed}).none


def test_layout_counts_only_when_asked():
    moved = ROUTE.replace(b'<dc:Bounds x="', b'<dc:Bounds x="1', 1)
    assert moved != ROUTE
    assert element_changes({"c.bpmn": ROUTE}, {"c.bpmn": moved}).none
    asked = element_changes({"c.bpmn": ROUTE}, {"c.bpmn": moved}, layout=True)
    assert asked.none and len(asked.layout_changed) == 1


def test_real_changes_are_said_in_words_per_element():
    changes = element_changes(demo_files(), _edited(
        (b'name="Triage the contact" camunda:formRef="demo_triage"',
         b'name="Triage the referral" camunda:formRef="demo_note" camunda:candidateGroups="front_door"'),
        (b'camunda:dueDate="${working_days(1)}"', b'camunda:dueDate="${working_days(2)}"'),
        (b">PT4H<", b">PT8H<"), (b"${rag == 'red'}", b"${rag in ['red', 'amber']}"),
        (b'<bpmn:serviceTask id="lookup" name="Look up the child" camunda:type="external" camunda:topic="demo_lookup">',
         b'<bpmn:userTask id="lookup" name="Look up the child" camunda:formRef="demo_note">'),
        (b"<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>\n    </bpmn:serviceTask>",
         b"<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>\n    </bpmn:userTask>")))
    assert changes.details["triage"] == (
        "Name changed from “Triage the contact” to “Triage the referral”",
        "Form changed from “demo_triage” to “demo_note”",
        "Groups set to “front_door”",
        "Due date changed from “${working_days(1)}” to “${working_days(2)}”")
    assert changes.details["decision_overdue"] == ("Timer changed from “duration PT4H” to “duration PT8H”",)
    assert changes.details["f_urgent"] == ("Condition changed from “${rag == 'red'}” to “${rag in ['red', 'amber']}”",)
    assert changes.details["lookup"][0] == "Type changed from service task to user task"
    assert set(changes.changed) == {"triage", "decision_overdue", "f_urgent", "lookup"}


def test_an_interrupting_boundary_event_is_a_change_from_the_default():
    changes = element_changes(demo_files(), _edited((b'cancelActivity="false"', b"")))
    assert changes.details["decision_overdue"] == ("Interrupts its step changed from “false” to “true”",)

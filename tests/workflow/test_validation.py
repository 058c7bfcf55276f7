"""Deploy-time validation and hardened loading: every hostile input refused with its own message."""

from __future__ import annotations

import pytest

from engine.errors import InvalidProcess
from engine.workflow.validation import Catalogue, validate_bundle
from engine.workflow.xml import load_xml
from tests.workflow.bpmn_text import HEAD, linear, process, user_task

CATALOGUE = Catalogue(forms={"demo_note"}, topics={"demo_lookup"}, processes=set())


def problems(text: str | bytes, name: str = "p.bpmn", catalogue: Catalogue = CATALOGUE, **more) -> list[str]:
    files = {name: text.encode() if isinstance(text, str) else text, **more}
    return [f"{p.element_id}: {p.message}" for p in validate_bundle(files, catalogue)]


def test_a_good_process_has_no_problems():
    assert problems(linear(user_task())) == []


def test_xxe_reading_a_local_file_is_refused():
    xxe = ('<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
           + linear(user_task(inner="<bpmn:documentation>&x;</bpmn:documentation>")).split("?>", 1)[1])
    [msg] = problems(xxe)
    assert "DOCTYPE or ENTITY" in msg
    with pytest.raises(InvalidProcess):
        load_xml(xxe)


def test_billion_laughs_is_refused_before_expansion():
    lol = '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">' for i in range(1, 10)
    ) + ']><lolz>&lol9;</lolz>'
    [msg] = problems(lol)
    assert "DOCTYPE or ENTITY" in msg


def test_a_ten_megabyte_file_is_refused():
    big = linear(user_task(inner=f"<bpmn:documentation>{'x' * 10_000_000}</bpmn:documentation>"))
    [msg] = problems(big)
    assert "limit is 5120 KB" in msg


def test_malformed_xml_is_refused():
    [msg] = problems("<bpmn:definitions><unclosed>")
    assert "not well-formed XML" in msg


def test_script_task_is_refused():
    text = linear('<bpmn:scriptTask id="t" scriptFormat="python"><bpmn:incoming>f1</bpmn:incoming>'
                  '<bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>import os</bpmn:script></bpmn:scriptTask>')
    found = problems(text)
    assert any(m.startswith("t: Script tasks are not allowed") for m in found)


def test_camunda_scripts_and_listeners_are_refused():
    inner = ('<bpmn:extensionElements><camunda:executionListener event="start">'
             '<camunda:script scriptFormat="groovy">x</camunda:script></camunda:executionListener>'
             '</bpmn:extensionElements>')
    found = problems(linear(user_task(inner=inner)))
    assert any("listeners are not supported" in m for m in found)
    assert any("Scripts are not allowed" in m for m in found)


def test_import_in_a_condition_is_refused():
    body = ('<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="f2"/>'
            '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
            '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="e1"><bpmn:conditionExpression '
            'xsi:type="bpmn:tFormalExpression">${__import__("os").system("id")}</bpmn:conditionExpression>'
            '</bpmn:sequenceFlow><bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e2"/>')
    [msg] = problems(process(body))
    assert msg.startswith("f1: The condition") and "underscore" in msg


def test_unknown_form_is_refused():
    [msg] = problems(linear(user_task('camunda:formRef="no_such" camunda:candidateGroups="x"')))
    assert msg == "t: The form 'no_such' is not known: deploy forms/no_such.form with it"


def test_user_task_without_group_or_form():
    found = problems(linear(user_task("")))
    assert "t: The user task has no candidate group, assignee or lane" in found[0]
    assert "has no form" in found[1]


def test_unknown_topic_is_refused():
    text = linear('<bpmn:serviceTask id="t" camunda:type="external" camunda:topic="launch_missiles">'
                  '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>')
    [msg] = problems(text)
    assert "The service topic 'launch_missiles' is unknown; known topics: demo_lookup" in msg


@pytest.mark.parametrize("attr", ["class", "delegateExpression", "expression"])
def test_java_only_implementations_are_unsupported(attr):
    text = linear(f'<bpmn:serviceTask id="t" camunda:{attr}="com.example.Foo">'
                  '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>')
    found = problems(text)
    assert any(f"camunda:{attr} is a Java-only implementation" in m for m in found)


def test_bad_due_date_and_timer_are_reported_with_their_element():
    due = user_task('camunda:formRef="demo_note" camunda:candidateGroups="x" camunda:dueDate="${open(1)}"')
    timer = ('<bpmn:boundaryEvent id="late" attachedToRef="t"><bpmn:timerEventDefinition>'
             '<bpmn:timeDuration>banana soon</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>')
    found = problems(linear(due + timer))
    assert any(m.startswith("t: The due date") and "'open' is not available" in m for m in found)
    assert any(m.startswith("late: The timer timeDuration") for m in found)


def test_iso_literals_and_camunda_wrapped_expressions_are_accepted():
    due = user_task('camunda:formRef="demo_note" camunda:candidateGroups="x" '
                    'camunda:dueDate="${working_days(1)}"')
    timer = ('<bpmn:boundaryEvent id="late" attachedToRef="t" cancelActivity="false">'
             '<bpmn:timerEventDefinition><bpmn:timeCycle>R3/P6M</bpmn:timeCycle></bpmn:timerEventDefinition>'
             '</bpmn:boundaryEvent>')
    assert problems(linear(due + timer)) == []


def test_missing_called_process_is_reported():
    text = linear('<bpmn:callActivity id="t" calledElement="ghost"><bpmn:incoming>f1</bpmn:incoming>'
                  '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:callActivity>')
    [msg] = problems(text)
    assert msg == "t: The called process 'ghost' is not in this deploy and not deployed"


def test_a_flow_loop_is_reported_at_the_gateway():
    body = ('<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="merge"/>'
            + user_task().replace("<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>", "")
            + '<bpmn:exclusiveGateway id="again" default="out"/><bpmn:endEvent id="e"/>'
            '<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="merge"/>'
            '<bpmn:sequenceFlow id="b" sourceRef="merge" targetRef="t"/>'
            '<bpmn:sequenceFlow id="c" sourceRef="t" targetRef="again"/>'
            '<bpmn:sequenceFlow id="back" sourceRef="again" targetRef="merge">'
            '<bpmn:conditionExpression>${again == "yes"}</bpmn:conditionExpression></bpmn:sequenceFlow>'
            '<bpmn:sequenceFlow id="out" sourceRef="again" targetRef="e"/>')
    found = problems(process(body))
    assert any(m.startswith("merge: The sequence flows loop back") for m in found)


def test_gateway_without_default_is_reported():
    body = ('<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g"><bpmn:outgoing>f1</bpmn:outgoing>'
            '<bpmn:outgoing>f2</bpmn:outgoing></bpmn:exclusiveGateway><bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
            '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="e1"><bpmn:conditionExpression>${a == 1}'
            '</bpmn:conditionExpression></bpmn:sequenceFlow><bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e2">'
            '<bpmn:conditionExpression>${a == 2}</bpmn:conditionExpression></bpmn:sequenceFlow>')
    assert problems(process(body)) == ["g: The exclusive gateway has no default flow: if no condition matches "
                                       "the case would stop here"]


def test_every_problem_is_reported_at_once():
    text = process(
        '<bpmn:startEvent id="s"/>'
        '<bpmn:scriptTask id="a"><bpmn:script>x</bpmn:script></bpmn:scriptTask>'
        '<bpmn:userTask id="b"/>'
        '<bpmn:serviceTask id="c" camunda:type="external" camunda:topic="nope"/>'
        '<bpmn:callActivity id="d" calledElement="ghost"/>')
    ids = {m.split(":")[0] for m in problems(text)}
    assert {"a", "b", "c", "d"} <= ids


def test_dmn_cells_go_through_the_safe_evaluator():
    dmn = ('<?xml version="1.0"?><definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="x" '
           'name="x" namespace="x"><decision id="dec"><decisionTable id="tbl">'
           '<input id="i"><inputExpression id="ie"><text>score</text></inputExpression></input>'
           '<output id="o" name="level"/>'
           '<rule id="r1"><inputEntry id="c1"><text>&gt;= 3</text></inputEntry><outputEntry id="o1"><text>2</text>'
           '</outputEntry></rule>'
           '<rule id="r2"><inputEntry id="c2"><text>__import__("os")</text></inputEntry>'
           '<outputEntry id="o2"><text>1</text></outputEntry></rule></decisionTable></decision></definitions>')
    assert problems(dmn, name="d.dmn") == ["c2: The DMN cell '__import__(\"os\")' cannot be read by the safe evaluator"]


def test_not_bpmn_at_all():
    assert problems("<html/>") == [": Not a BPMN 2.0 or DMN 1.x file"]


def test_a_process_file_with_bad_structure_is_reported_by_the_parser():
    assert HEAD  # documents without processes are rejected
    assert problems(f"{HEAD}</bpmn:definitions>") == [": The file has no process"]


def test_multi_instance_user_tasks_keep_their_form_and_groups(lite):
    from engine.processes.deploy import deploy
    from engine.runtime.instances import start_process
    from tests.support.factories import FIXTURES

    body = user_task(inner='<bpmn:multiInstanceLoopCharacteristics camunda:collection="actions" '
                           'camunda:elementVariable="action"/>')
    files = {"p.bpmn": linear(body).encode(), "demo_note.form": (FIXTURES / "forms" / "demo_note.form").read_bytes()}
    deploy(lite, files, actor="t")
    view = start_process(lite, "p", {"actions": ["lighting", "licensing"]}, actor="t")
    assert [(w["element_id"], w["form"], w["groups"]) for w in view.open_work_items] == [
        ("t", "demo_note", ["front_door"])] * 2


def _declaring(*props: tuple[str, str]) -> str:
    lines = "".join(f'<camunda:property name="{n}" value="{v}"/>' for n, v in props)
    return linear(user_task(inner=f"<bpmn:extensionElements><camunda:properties>{lines}"
                                  "</camunda:properties></bpmn:extensionElements>"))


WITH_TIMESCALES = Catalogue(forms={"demo_note"}, topics={"demo_lookup"}, processes=set(),
                            timescales={"referral_decision", "icpc", "screening", "agency_check"})


def test_declared_clocks_and_stages_that_can_be_read_pass():
    text = _declaring(("stage", "threshold_decision"), ("clock.start", "icpc from strategy_discussion_at"),
                      ("clock.stop", "referral_decision"), ("note", "any other property is left alone"))
    assert problems(text, catalogue=WITH_TIMESCALES) == []


@pytest.mark.parametrize("prop, words", [
    (("clock.begin", "icpc"), "is not a clock property"),
    (("clock.start", "icpc from"), "cannot be read"),
    (("clock.start", "no_such_clock"), "is not a configured timescale"),
    (("clock.stop", "icpc from strategy_discussion_at"), "Only clock.start takes an anchor"),
    (("clock.start", "icpc from __import__('os')"), "anchor of the clock 'icpc'"),
    (("stage", "Threshold Decision!"), "must be lower-case letters"),
])
def test_unreadable_clock_or_stage_declarations_are_refused_on_their_element(prop, words):
    [found] = problems(_declaring(prop), catalogue=WITH_TIMESCALES)
    assert found.startswith("t: ") and words in found

def _gateway(condition: str) -> str:
    return process('<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="f2"/>'
                   '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
                   '<bpmn:sequenceFlow id="f0" sourceRef="s" targetRef="g"/>'
                   '<bpmn:sequenceFlow id="f1" sourceRef="g" targetRef="e1"><bpmn:conditionExpression '
                   f'xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
                   '</bpmn:sequenceFlow><bpmn:sequenceFlow id="f2" sourceRef="g" targetRef="e2"/>')


def _due(expression: str) -> str:
    return linear(user_task(f'camunda:formRef="demo_note" camunda:candidateGroups="x" camunda:dueDate="{expression}"'))


def _timer(literal: str, kind: str = "timeDuration") -> str:
    return linear(user_task() + '<bpmn:boundaryEvent id="late" attachedToRef="t" cancelActivity="false">'
                  f'<bpmn:timerEventDefinition><bpmn:{kind}>{literal}</bpmn:{kind}></bpmn:timerEventDefinition>'
                  '</bpmn:boundaryEvent>')


@pytest.mark.parametrize(("text", "element", "words"), [
    (_gateway("${9**9**9**9 == 1}"), "f1", "can never be worked out"),
    (_gateway("${amount > 10**20}"), "f1", "is too large"),
    (_gateway("${'P99999999Y' == period}"), "f1", "longer than 10 years"),
    (_due("${working_days(10**12)}"), "t", "working_days(10 ** 12) is out of range"),
    (_due("${days(-20000)}"), "t", "out of range"),
    (_due("${timescale('../../etc/passwd', now())}"), "t", "is not a timescale name"),
    (_due("${timescale('no_such_step')}"), "t", "no timescale called 'no_such_step'"),
    (_due("${timescale(step_name)}"), "t", "written as text"),
    (_due("P99999999Y"), "t", "longer than 10 years"),
    (_timer("P99999999Y"), "late", "longer than 10 years"),
    (_timer("PT999999999H"), "late", "longer than 10 years"),
    (_timer("R999999/P1D", "timeCycle"), "late", "at most 1000 times"),
    (_timer("R3/P11Y", "timeCycle"), "late", "longer than 10 years"),
])
def test_f12_what_can_never_evaluate_is_refused_at_deploy_with_its_element(text, element, words):
    found = problems(text, catalogue=WITH_TIMESCALES)
    assert len(found) == 1 and found[0].startswith(f"{element}: ") and words in found[0], found


@pytest.mark.parametrize("text", [
    _gateway("${rag == 'red' and count(1) > 2}".replace("count(1)", "len(items)")),
    _gateway("${2**10 > limit}"), _due("${working_days(10)}"), _due("${timescale('screening', received_at)}"),
    _due("${hours(4)}"), _due("P10D"), _timer("PT4H"), _timer("R3/P6M", "timeCycle"), _timer("P10Y"),
    _timer("2026-12-01T09:00:00Z", "timeDate"),
])
def test_f12_ordinary_conditions_due_dates_and_timers_stay_valid(text):
    assert problems(text, catalogue=WITH_TIMESCALES) == []


def test_f12_the_modellers_check_reports_the_bounds_at_the_element(lite):
    from engine.processes.deploy import check_files
    from tests.support.factories import demo_files

    files = demo_files()
    bpmn = files["demo_intake.bpmn"].replace(b"${working_days(1)}", b"${working_days(10**12)}")
    bpmn = bpmn.replace(b">PT4H<", b">P99999999Y<").replace(b"${hours(4)}", b"${timescale('../../etc/passwd', now())}")
    found = check_files(lite, {**files, "demo_intake.bpmn": bpmn})
    assert {(p.element_id, "cannot be used" in p.message) for p in found} == {
        ("triage", True), ("decision_overdue", True), ("manager_decision", True)}

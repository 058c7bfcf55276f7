"""Every alert the routes raise, end to end: the step writes it, the scheduler e-mails it through a real SMTP
server (aiosmtpd on 127.0.0.1), a send that fails is retried and shown to administrators, and an urgent
alert nobody acknowledges escalates on the injected clock (docs/decisions.md, D45)."""

from __future__ import annotations

import email
import email.policy

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.alerts.mail_queue import send_again, unsent_mail
from engine.alerts.notifications import acknowledge, list_notifications
from engine.cases.allocation import allocate_case
from engine.cases.instance_page import view_instance
from engine.cases.intake import log_context_referral, refer_child
from engine.errors import WorkflowFailed
from engine.people.directory import add_user
from engine.processes.deploy import deploy
from engine.runtime.instances import get_instance, start_process
from engine.scheduler import ReminderPolicy, run_tick
from engine.store.alerts import Alert, MailOutbox
from tests.scheduler.test_email import free_port, with_smtp
from tests.support.case_data import child_referral, context_referral, deploy_routes
from tests.support.walker import complete, ensure_group_users, walk
from tests.workflow.bpmn_text import linear

POLICY = ReminderPolicy(digest_hour=23)  # keep digests out of these tests
STAFF = {"pc": ("police", "practitioner"), "duty": ("mash_manager", "manager"),
         "smgr": ("service_manager", "manager"), "fd": ("front_door", "front_door"), "sw": ("assessment_team",
                                                                                            "practitioner"),
         "root": ("admins", "admin")}


class Server:
    """aiosmtpd handler keeping what it accepts; ``answers`` are given to the next messages first (451, 550)."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []
        self.answers: list[str] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        if self.answers:
            return self.answers.pop(0)
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        text = f"Subject: {str(message['Subject']).strip()}\n{message.get_content()}"
        self.messages.append((envelope.rcpt_tos, text))
        return "250 OK"

    def to(self, address: str) -> list[str]:
        """The subject line and decoded text of the messages sent to ``address``."""
        return [body for rcpt, body in self.messages if address in rcpt]


@pytest.fixture
def server():
    handler = Server()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, handler
    controller.stop()


@pytest.fixture
def routes(lite, server):
    """The shipped routes, one user per group, and staff with e-mail addresses; e-mail on."""
    deploy_routes(lite)
    ensure_group_users(lite)
    for name, (group, role) in STAFF.items():
        add_user(lite, name, [group], "test", role=role, email=f"{name}@example.org")
    return with_smtp(lite, server[0])


def tick(svc) -> int:
    return run_tick(svc, "w1", policy=POLICY).emails_sent


def alerts(svc, person: str, kind: str) -> list:
    return [n for n in list_notifications(svc, person) if n.kind == kind]


def test_immediate_danger_alerts_police_and_duty_managers_at_once_and_the_strategy_is_due_today(routes, server):
    _, mail = server
    referral = refer_child(routes, child_referral(immediate_risk="yes"), "fd")
    [for_police] = alerts(routes, "pc", "immediate_danger")
    assert for_police.alert.urgent and for_police.case_ref == referral.case_ref
    assert "Monday 2 March" in for_police.alert.todo and "same working day" in for_police.alert.todo
    assert alerts(routes, "duty", "immediate_danger") and not alerts(routes, "smgr", "immediate_danger")
    assert tick(routes) >= 2
    [police_mail] = mail.to("pc@example.org")
    assert f"Subject: frontdoor: URGENT: Child in immediate danger ({referral.case_ref})" in police_mail
    assert "same working day" in police_mail and "acknowledge this alert" in police_mail
    assert "Robin" not in police_mail and "Testcase" not in police_mail  # no names travel by e-mail
    assert mail.to("duty@example.org")
    strategy = [w for w in get_instance(routes, referral.instance_id).open_work_items
                if w["element_id"] == "task_strategy_discussion"]
    assert strategy[0]["due_at"] == "2026-03-02T23:59:00+00:00"  # the end of the same working day (GMT)
    assert view_instance(routes, referral.instance_id, "pc")  # the alert lets the officer open the case


def test_an_urgent_alert_nobody_acknowledges_escalates_to_the_service_manager(routes, server, clock):
    _, mail = server
    refer_child(routes, child_referral(immediate_risk="yes"), "fd")
    tick(routes)
    clock.advance(minutes=59)
    assert run_tick(routes, "w1", policy=POLICY).alerts_escalated == 0
    clock.advance(minutes=2)
    assert run_tick(routes, "w1", policy=POLICY).alerts_escalated == 1
    [escalated] = alerts(routes, "smgr", "immediate_danger")
    assert escalated.text.startswith("Nobody acknowledged this alert within 1 hour")
    assert len(alerts(routes, "duty", "immediate_danger")) == 1  # already told: passed over, not told twice
    assert mail.to("smgr@example.org")
    clock.advance(hours=5)
    assert run_tick(routes, "w1", policy=POLICY).alerts_escalated == 0  # the last level has it
    acknowledged = acknowledge(routes, escalated.id, "smgr")
    assert acknowledged.alert.acknowledged_by == "smgr"


def test_an_acknowledged_alert_does_not_escalate(routes, clock):
    log_context_referral(routes, context_referral(persons_or_premises_of_concern=True,
                                                  persons_of_concern_details="An adult in a grey van."), "fd")
    [for_police] = alerts(routes, "pc", "persons_of_concern")
    clock.advance(minutes=30)
    seen = acknowledge(routes, for_police.id, "pc")
    assert seen.acknowledged_at is not None and seen.alert.acknowledged_by == "pc"
    clock.advance(hours=3)
    assert run_tick(routes, "w1", policy=POLICY).alerts_escalated == 0
    assert alerts(routes, "duty", "persons_of_concern") == []


def test_persons_of_concern_alert_the_police_and_then_climb_the_levels(routes, server, clock):
    _, mail = server
    logged = log_context_referral(routes, context_referral(persons_or_premises_of_concern=True,
                                                           persons_of_concern_details="An adult in a grey van."), "fd")
    tick(routes)
    [police_mail] = mail.to("pc@example.org")
    assert "URGENT: Persons or premises of concern" in police_mail and "grey van" not in police_mail
    clock.advance(hours=1, minutes=1)
    tick(routes)
    assert alerts(routes, "duty", "persons_of_concern") and not alerts(routes, "smgr", "persons_of_concern")
    clock.advance(hours=1, minutes=1)
    tick(routes)
    assert alerts(routes, "smgr", "persons_of_concern")
    with routes.db.read() as session:
        assert session.scalar(select(Alert.level).where(Alert.case_ref == logged.case_ref)) == 2


def test_the_referrer_is_told_the_decision_by_email_in_words_fit_for_them(routes, server):
    _, mail = server
    logged = log_context_referral(routes, context_referral(), "fd")
    walk(routes, logged.instance_id, {}, stop_at="ut_decide_threshold")
    complete(routes, logged.instance_id, "ut_decide_threshold",
             {"context_route": "panel", "assessment_type": "not_applicable", "decision_date": "2026-03-03"})
    tick(routes)
    [body] = mail.to("alex@example.invalid")
    assert "Subject: Your referral: what happens next" in body
    assert "the agencies involved will agree an action plan together" in body and logged.case_ref in body
    assert "Riverside" not in body and "Alex" not in body


def test_a_referrer_without_an_email_address_is_told_by_the_front_door_instead(routes):
    referral = refer_child(routes, child_referral(), "fd")
    walk(routes, referral.instance_id, {"task_screening": {"screening_rag": "green", "efh_indicated": "no"}},
         stop_at="task_threshold_decision")
    complete(routes, referral.instance_id, "task_threshold_decision", {"threshold_outcome": "advice"})
    [task] = alerts(routes, "fd", "referrer_feedback")
    assert "Sam Teacher" in task.alert.todo and "information and advice" in task.alert.todo


def test_linked_childrens_workers_are_told_of_the_contexts_plan(routes, server):
    _, mail = server
    child = refer_child(routes, child_referral(), "fd")
    allocate_case(routes, child.case_ref, "duty", worker="sw")
    park = log_context_referral(routes, context_referral(
        linked_children=[{"child_reference": child.case_ref, "role": "at_risk_at"}]), "fd")
    _to_agreed_plan_for(routes, park.instance_id)
    [told] = alerts(routes, "sw", "linked_worker_summary")
    assert told.case_ref == child.case_ref and park.case_ref in told.alert.reason
    tick(routes)
    [body] = mail.to("sw@example.org")
    assert "Subject: frontdoor: A context linked to your child has a safety plan" in body


def _to_agreed_plan_for(svc, instance: int) -> None:
    answers = {"ut_decide_threshold": {"context_route": "assessment", "assessment_type": "neighbourhood",
                                       "decision_date": "2026-03-03"},
               "ut_convene_conference": {"conference_date": "2026-04-01"},
               "ut_context_conference": {"plan_agreed": "yes", "conference_date": "2026-04-01",
                                         "actions": [{"action": "Lighting", "owner_agency": "town_planning",
                                                      "due_date": "2026-12-01"}]}}
    walk(svc, instance, answers, stop_at="ut_deliver_action_first")


def test_a_send_that_fails_is_retried_with_back_off_and_shown_to_administrators(routes, server, clock):
    _, mail = server
    mail.answers = ["451 4.3.0 Try again later"]
    refer_child(routes, child_referral(immediate_risk="yes"), "fd")
    tick(routes)
    [failing] = unsent_mail(routes, "root")
    assert failing.status == "pending" and failing.attempts == 1 and "451" in failing.last_error
    assert tick(routes) == 0  # backing off: the next try is a minute away
    clock.advance(minutes=1)
    tick(routes)
    assert unsent_mail(routes, "root") == []
    with routes.db.read() as session:
        assert set(session.scalars(select(MailOutbox.status))) == {"sent"}
        attempts = sorted(session.scalars(select(MailOutbox.attempts)))
    assert attempts[-1] == 2 and set(attempts[:-1]) == {1}  # the refused one went on its second try


def test_a_send_refused_for_good_waits_for_an_administrator_and_is_never_lost(routes, server, clock):
    _, mail = server
    mail.answers = ["550 5.1.1 No such mailbox"]
    log_context_referral(routes, context_referral(persons_or_premises_of_concern=True), "fd")
    tick(routes)
    [failed] = unsent_mail(routes, "root")
    assert failed.status == "failed" and failed.to_address == "pc@example.org"
    clock.advance(hours=3)
    tick(routes)
    assert mail.to("pc@example.org") == [] and [m.id for m in unsent_mail(routes, "root")] == [failed.id]
    assert alerts(routes, "pc", "persons_of_concern")  # still seen in the app meanwhile
    send_again(routes, failed.id, "root")
    tick(routes)
    assert mail.to("pc@example.org") and unsent_mail(routes, "root") == []


def test_nobody_listening_is_a_failure_that_is_retried(routes, server, clock):
    refer_child(routes, child_referral(immediate_risk="yes"), "fd")
    assert tick(with_smtp(routes, free_port())) == 0
    [failing] = unsent_mail(routes, "root")
    assert "Connection" in failing.last_error
    clock.advance(minutes=1)
    assert tick(routes) >= 2


def test_a_diagram_raises_its_own_alert_to_groups_with_reason_and_what_to_do(routes, server):
    _, mail = server
    task = ('<bpmn:serviceTask id="t" name="Tell the police" camunda:type="external" camunda:topic="raise_alert">'
            '<bpmn:extensionElements><camunda:properties>'
            '<camunda:property name="to_groups" value="police"/><camunda:property name="urgent" value="true"/>'
            '<camunda:property name="kind" value="sighting"/>'
            "<camunda:property name=\"reason\" value=\"${'Seen at ' + place}\"/>"
            '<camunda:property name="todo" value="Send a patrol"/>'
            '</camunda:properties></bpmn:extensionElements>'
            '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>')
    deploy(routes, {"sighting.bpmn": linear(task, "sighting").encode()}, "admin")
    start_process(routes, "sighting", {"place": "the bandstand"}, "fd", case_ref="CX-000099")
    [told] = alerts(routes, "pc", "sighting")
    assert (told.alert.reason, told.alert.todo, told.alert.urgent) == ("Seen at the bandstand", "Send a patrol", True)
    tick(routes)
    assert "URGENT: Alert (CX-000099)" in mail.to("pc@example.org")[0]
    silent = task.replace('<camunda:property name="to_groups" value="police"/>', "").replace('"sighting"', '"x"')
    deploy(routes, {"silent.bpmn": linear(silent, "silent").encode()}, "admin")
    with pytest.raises(WorkflowFailed):
        start_process(routes, "silent", {"place": "x"}, "fd")


def test_an_alert_to_a_group_with_nobody_in_it_goes_to_the_duty_managers_at_once(routes):
    task = ('<bpmn:serviceTask id="t" name="Tell probation" camunda:type="external" camunda:topic="raise_alert">'
            '<bpmn:extensionElements><camunda:properties>'
            '<camunda:property name="to_groups" value="nobody_works_here"/>'
            '<camunda:property name="reason" value="A named adult is on licence"/>'
            '</camunda:properties></bpmn:extensionElements>'
            '<bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing></bpmn:serviceTask>')
    deploy(routes, {"licence.bpmn": linear(task, "licence").encode()}, "admin")
    start_process(routes, "licence", {}, "fd")
    assert [n.alert.reason for n in alerts(routes, "duty", "alert")] == ["A named adult is on licence"]


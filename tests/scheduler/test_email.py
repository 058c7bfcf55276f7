"""Notifications are emailed once through a real local SMTP server (aiosmtpd on 127.0.0.1)."""

from __future__ import annotations

import dataclasses
import socket

import pytest
from aiosmtpd.controller import Controller

from engine.alerts.notifications import list_notifications
from engine.clocks.case_clocks import start_clock
from engine.people.directory import add_user
from engine.scheduler import ReminderPolicy, run_tick

POLICY = ReminderPolicy(digest_hour=23)  # keep digests out of these tests


class Inbox:
    """aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, envelope.content.decode()))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield controller.port, inbox
    controller.stop()


def with_smtp(svc, port: int):
    return dataclasses.replace(svc, settings=dataclasses.replace(svc.settings, smtp_port=port, smtp_host="127.0.0.1"))


def test_breach_is_emailed_once(svc, clock, smtp):
    port, inbox = smtp
    add_user(svc, "sw", ["mash_social_worker"], actor="test", email="sw@example.org")
    add_user(svc, "mgr", [], actor="test", role="manager")  # no email address
    start_clock(svc, "C-1", "referral_decision", owner_user="sw")
    start_clock(svc, "C-2", "referral_decision", owner_user="mgr")
    clock.advance(days=2)
    mailing = with_smtp(svc, port)
    assert run_tick(mailing, "w1", policy=POLICY).emails_sent == 1
    assert run_tick(mailing, "w1", policy=POLICY).emails_sent == 0
    [(to, body)] = inbox.messages
    assert to == ["sw@example.org"]
    assert "Subject: frontdoor: Timescale exceeded: reason needed" in body and "C-1" in body
    assert len(list_notifications(svc, "mgr")) == 1  # still in the app, just not emailed


def test_email_waits_while_no_server_is_configured_or_reachable(lite, clock, smtp):
    port, inbox = smtp
    add_user(lite, "sw", [], actor="test", email="sw@example.org")
    start_clock(lite, "C-1", "referral_decision", owner_user="sw")
    clock.advance(days=2)
    assert run_tick(lite, "w1", policy=POLICY).emails_sent == 0  # smtp_port unset: in-app only
    assert run_tick(with_smtp(lite, free_port()), "w1", policy=POLICY).emails_sent == 0  # nobody listening
    assert run_tick(with_smtp(lite, port), "w1", policy=POLICY).emails_sent == 0  # backing off for a minute
    clock.advance(minutes=1)
    assert run_tick(with_smtp(lite, port), "w1", policy=POLICY).emails_sent == 1
    assert len(inbox.messages) == 1

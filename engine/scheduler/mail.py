"""E-mail from the outbox, through the SMTP server named in settings (FRONTDOOR_SMTP_HOST/PORT).

Every e-mail frontdoor sends (alerts, reminders, digests, the referrer's feedback) is an outbox row
written in the transaction that decided to send it (engine/runtime/alerting.py). Here each due row is
claimed and marked sent in the transaction that sends it: if the server refuses, that transaction rolls
back and the failure is recorded in another one, with the next attempt backed off (1, 2, 4 ... minutes,
then hourly). A server that says "try later" (4xx) or cannot be reached is retried for ever; one that
refuses the message for good (5xx) marks it failed. Both show on the administrators' mail page
(``/admin/mail``), which can send a failed one again. A crash between the server accepting and our
commit can send one e-mail twice; it can never lose one.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from datetime import datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import select, update

from engine.runtime.services import Services
from engine.store.alerts import MailOutbox
from engine.store.models import User

log = logging.getLogger(__name__)
BACKOFF_MINUTES = (1, 2, 4, 8, 15, 30)  # after the 1st, 2nd ... failure; then every hour
MAX_BACKOFF_MINUTES = 60


class _Refused(Exception):
    """The server refused this one message (the connection is still usable)."""

    def __init__(self, error: str, permanent: bool) -> None:
        super().__init__(error)
        self.permanent = permanent


def next_attempt(now: datetime, attempts: int) -> datetime:
    """When to try again after ``attempts`` failures."""
    minutes = BACKOFF_MINUTES[attempts - 1] if attempts <= len(BACKOFF_MINUTES) else MAX_BACKOFF_MINUTES
    return now + timedelta(minutes=minutes)


def due_emails_query(svc: Services):
    """Outbox rows waiting to go whose next attempt has come (the tick's idle check uses it)."""
    return select(MailOutbox.id).where(MailOutbox.status == "pending", MailOutbox.next_attempt_at <= svc.now())


def send_pending_emails(svc: Services, limit: int = 200) -> int:
    """Send due outbox rows when an SMTP port is configured; returns how many were sent."""
    if not svc.settings.smtp_port:
        return 0
    with svc.db.read() as session:
        due = list(session.scalars(due_emails_query(svc).order_by(MailOutbox.next_attempt_at, MailOutbox.id)
                                   .limit(limit)))
    sent = 0
    smtp: smtplib.SMTP | None = None
    try:
        for mail_id in due:
            try:
                if smtp is None:
                    smtp = smtplib.SMTP(svc.settings.smtp_host, svc.settings.smtp_port, timeout=10)
                sent += _send_one(svc, smtp, mail_id)
            except _Refused as exc:
                _record_failure(svc, mail_id, str(exc), exc.permanent)
            except (OSError, smtplib.SMTPException) as exc:  # the server went away: the rest wait for a tick
                _record_failure(svc, mail_id, f"{exc.__class__.__name__}: {exc}", permanent=False)
                break
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    return sent


def _send_one(svc: Services, smtp: smtplib.SMTP, mail_id: int) -> int:
    now = svc.now()
    with svc.db.transaction() as session:
        query = select(MailOutbox).where(MailOutbox.id == mail_id, MailOutbox.status == "pending")
        if not svc.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        row = session.scalars(query).first()
        if row is None:
            return 0  # another scheduler has it, or it went already
        if row.recipient and session.scalar(select(User.active).where(User.username == row.recipient)) is not True:
            row.status, row.last_error = "cancelled", "the account was disabled before it was sent"
            return 0
        session.execute(update(MailOutbox).where(MailOutbox.id == row.id, MailOutbox.status == "pending")
                        .values(status="sent", sent_at=now, attempts=row.attempts + 1))
        _deliver(svc, smtp, row)  # raises: the transaction rolls back and the row stays pending
        return 1


def _deliver(svc: Services, smtp: smtplib.SMTP, row: MailOutbox) -> None:
    message = EmailMessage()
    message["From"] = svc.settings.mail_from
    message["To"] = row.to_address
    message["Subject"] = row.subject
    message.set_content(row.body)
    try:
        smtp.send_message(message)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _text in exc.recipients.values()]
        raise _Refused(f"recipient refused: {exc.recipients}", all(c >= 500 for c in codes)) from exc
    except (smtplib.SMTPDataError, smtplib.SMTPSenderRefused) as exc:
        raise _Refused(f"{exc.smtp_code} {exc.smtp_error!r}", exc.smtp_code >= 500) from exc


def _record_failure(svc: Services, mail_id: int, error: str, permanent: bool) -> None:
    """Count the failed attempt and back off (or mark it failed for good), in its own transaction."""
    now = svc.now()
    log.warning("e-mail %s not sent (%s): %s", mail_id, "failed" if permanent else "will retry", error)
    with svc.db.transaction() as session:
        row = session.get(MailOutbox, mail_id)
        if row is None or row.status != "pending":
            return
        row.attempts += 1
        row.last_error = error[:1000]
        row.next_attempt_at = next_attempt(now, row.attempts)
        if permanent:
            row.status = "failed"

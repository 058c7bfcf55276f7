"""Email for notifications, through the SMTP server named in settings (FRONTDOOR_SMTP_HOST/PORT).

Each email is claimed and marked sent in the transaction that sends it: if the server refuses, the
transaction rolls back and the notification stays pending for the next tick. A crash between the
server accepting and our commit can send one email twice; it can never lose one.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
from email.message import EmailMessage

from sqlalchemy import select, update

from engine.runtime.services import Services
from engine.store.clocks import Notification
from engine.store.models import User

log = logging.getLogger(__name__)
SUBJECTS = {
    "due_soon": "Task due soon",
    "overdue": "Task overdue",
    "escalation": "Escalation: task overdue",
    "digest": "Your tasks today",
    "exceed_reason_needed": "Timescale exceeded: reason needed",
}


def send_pending_emails(svc: Services, limit: int = 200) -> int:
    """Email pending notifications when an SMTP port is configured; returns how many were sent."""
    if not svc.settings.smtp_port:
        return 0
    with svc.db.read() as session:
        pending = list(session.scalars(select(Notification.id).where(Notification.email_status == "pending")
                                       .order_by(Notification.id).limit(limit)))
    sent = 0
    smtp: smtplib.SMTP | None = None
    try:
        for notification_id in pending:
            if smtp is None:
                smtp = smtplib.SMTP(svc.settings.smtp_host, svc.settings.smtp_port, timeout=10)
            sent += _send_one(svc, smtp, notification_id)
    except (OSError, smtplib.SMTPException) as exc:
        log.warning("email paused until the next tick: %s", exc)  # rows stay pending; nothing is lost
    finally:
        if smtp is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
    return sent


def _send_one(svc: Services, smtp: smtplib.SMTP, notification_id: int) -> int:
    now = svc.now()
    with svc.db.transaction() as session:
        query = select(Notification).where(Notification.id == notification_id,
                                           Notification.email_status == "pending")
        if not svc.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        row = session.scalars(query).first()
        if row is None:
            return 0  # another scheduler has it
        address = session.scalar(select(User.email).where(User.username == row.recipient, User.active.is_(True)))
        status = "sent" if address else "no_address"
        session.execute(update(Notification).where(Notification.id == row.id, Notification.email_status == "pending")
                        .values(email_status=status, emailed_at=now if address else None))
        if not address:
            return 0
        message = EmailMessage()
        message["From"] = svc.settings.mail_from
        message["To"] = address
        message["Subject"] = f"frontdoor: {SUBJECTS.get(row.kind, row.kind)}"
        message.set_content(f"{row.text}\n\nSign in to frontdoor to see the details.\n")
        smtp.send_message(message)
        return 1

"""E-mail that has not gone (administrators): what is failing and why, and sending one again."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for

from engine.alerts.mail_queue import send_again, unsent_mail
from web.context import current_user, services

bp = Blueprint("admin_mail", __name__, url_prefix="/admin/mail")


@bp.get("")
def index():
    """Every e-mail still being retried or refused for good, oldest first."""
    return render_template("admin_mail/index.html", title="E-mail not yet sent",
                           mails=unsent_mail(services(), current_user().username))


@bp.post("/<int:mail_id>/send-again")
def send(mail_id: int):
    """Put one e-mail back at the front of the outbox."""
    send_again(services(), mail_id, current_user().username)
    return redirect(url_for("admin_mail.index"))

"""Every error a person can meet, mapped to a page in one place; never a stack trace (ASVS 5.0 16.5.1)."""

from __future__ import annotations

import logging

from flask import Flask, g, redirect, render_template, url_for
from werkzeug.exceptions import HTTPException

from engine.access.need_to_know import may_break_glass
from engine.cases.views import NoNeedToKnow
from engine.errors import FrontdoorError

log = logging.getLogger("frontdoor.web")

TITLES = {400: "There is a problem with this request", 401: "Sign in to continue",
          403: "You do not have access to this page", 404: "Page not found", 405: "Page not found",
          409: "This has already been done", 413: "What you sent is too large", 422: "There is a problem",
          429: "Too many attempts", 500: "Sorry, there is a problem with the service"}


def _page(status: int, message: str):
    title = TITLES.get(status, TITLES[500])
    return render_template("errors/error.html", title=title, message=message, status=status), status


def _domain_error(exc: FrontdoorError):
    return _page(exc.status, exc.message)


def _no_need_to_know(exc: NoNeedToKnow):
    """A case refused for lack of need-to-know: offer break glass (not to reviewers); anything else is a 403."""
    user = g.get("user")
    if exc.case_ref and user is not None and may_break_glass(user.role):
        return redirect(url_for("cases.break_glass_page", ref=exc.case_ref))
    return _page(exc.status, exc.message)


def _http_error(exc: HTTPException):
    status = exc.code or 500
    message = {404: "If you typed the web address, check it is correct.",
               405: "If you typed the web address, check it is correct.",
               413: "Send less at a time, or contact the service desk."}.get(status, "")
    return _page(status, message)


def _unexpected(exc: Exception):
    # Logged in full for the service desk; the person sees only a generic page.
    log.exception("unhandled error", exc_info=exc)
    return _page(500, "Try again later. If it keeps happening, contact the service desk.")


def init_app(app: Flask) -> None:
    """Register the handlers: domain errors by their status, HTTP errors, anything else as a 500."""
    app.register_error_handler(NoNeedToKnow, _no_need_to_know)
    app.register_error_handler(FrontdoorError, _domain_error)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(Exception, _unexpected)

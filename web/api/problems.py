"""Every API error as ``application/problem+json`` (RFC 9457) with a stable ``code``; never a stack trace.

The pages keep their HTML error pages (web/errors.py): these handlers wrap the app's own and answer
in JSON only for paths under /api/, so one module decides how the API reports every failure.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from apispec import BasePlugin
from flask import Flask, request
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from engine.errors import FrontdoorError

log = logging.getLogger("frontdoor.api")
API_PREFIX = "/api/"
MEDIA_TYPE = "application/problem+json"
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "not_permitted", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large",
              415: "unsupported_media_type", 422: "invalid_form_data", 428: "precondition_required",
              429: "too_many_requests"}


def is_api_request() -> bool:
    """True for a request under /api/ (answered in JSON, authenticated by bearer token)."""
    return request.path.startswith(API_PREFIX)


RESERVED = ("type", "title", "status", "detail", "code")


def problem(status: int, code: str, detail: str, headers: dict[str, str] | None = None,
            extra: dict[str, Any] | None = None) -> Response:
    """A problem+json response: type, title, status, detail, the stable code and any extra members.

    An extra member named like a standard one keeps its value under ``subject_<name>`` (a work item's
    own ``status``, say), so the standard members always mean what RFC 9457 says.
    """
    title = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {f"subject_{k}" if k in RESERVED else k: v for k, v in (extra or {}).items()}
    body.update({"type": f"urn:frontdoor:problem:{code}", "title": title, "status": status, "detail": detail,
                 "code": code})
    return Response(json.dumps(body, default=str), status=status, mimetype=MEDIA_TYPE, headers=headers or {})


def _domain_error(exc: FrontdoorError) -> Response:
    extra = {k: v for k, v in exc.to_dict().items() if k not in ("code", "message")}
    headers = {"WWW-Authenticate": 'Bearer realm="frontdoor"'} if exc.status == 401 else None
    return problem(exc.status, exc.code, exc.message, headers, extra)


def field_errors(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' nested messages ({"json": {"data": {"x": [...]}}}) flattened to {"data.x": [...]}."""
    if isinstance(messages, list | tuple | str):
        return {prefix or "_body": [str(m) for m in ([messages] if isinstance(messages, str) else messages)]}
    found: dict[str, list[str]] = {}
    for key, value in (messages or {}).items():
        name = str(key) if not prefix else f"{prefix}.{key}"
        found.update(field_errors(value, name))
    return found


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status < 400:  # 304 Not Modified from an ETag match is an answer, not an error
        return exc.get_response()
    data = getattr(exc, "data", None) or {}
    if "messages" in data:  # webargs: the request's parameters or body failed their schema
        by_location = data["messages"]
        errors = field_errors({k: v for loc in by_location.values()
                               for k, v in (loc.items() if isinstance(loc, dict) else [("_body", loc)])})
        return problem(422, "invalid_form_data", "The request has errors", extra={"errors": errors})
    headers = {"Allow": ", ".join(exc.valid_methods)} if status == 405 and getattr(exc, "valid_methods", None) else None
    return problem(status, HTTP_CODES.get(status, "error"), exc.description or "", headers)


class ProblemMediaType(BasePlugin):
    """Documents every error response as ``application/problem+json``, the type it is sent with.

    flask-smorest documents each response with the API's default media type (application/json); an
    error's documented type must be the one clients receive (and schemathesis checks it is).
    """

    def response_helper(self, response: dict, **kwargs: Any) -> dict | None:
        """Component responses (the default error, one per status) that carry the Problem schema."""
        return _as_problem(response) if _is_problem(response) else None

    def operation_helper(self, path: str | None = None, operations: dict | None = None, **kwargs: Any) -> None:
        """Each operation's own 4xx, 5xx and default responses."""
        for operation in (operations or {}).values():
            for status, response in operation.get("responses", {}).items():
                if isinstance(response, dict) and (str(status) == "default" or str(status) >= "400"):
                    response.update(_as_problem(response))


class BodyRules(BasePlugin):
    """Adds a request schema's ``OPENAPI_EXTRA`` (rules across members, web/api/schemas.py) to its definition."""

    def schema_helper(self, name: str, definition: dict, **kwargs: Any) -> dict | None:
        """The definition with the schema's own extra rules merged in."""
        extra = getattr(kwargs.get("schema"), "OPENAPI_EXTRA", None)
        return {**definition, **extra} if extra else None


def _is_problem(response: dict) -> bool:
    return "Problem" in json.dumps(response.get("content", {}))


def _as_problem(response: dict) -> dict:
    content = response.get("content", {})
    if "application/json" not in content:
        return {}
    return {"content": {MEDIA_TYPE if kind == "application/json" else kind: value for kind, value in content.items()}}


def _unexpected(exc: Exception) -> Response:
    log.exception("unhandled API error", exc_info=exc)  # in full for the service desk, never to the caller
    return problem(500, "internal_error", "Something went wrong on our side. Try again later; if it keeps "
                   "happening, contact the service desk.")


def api_answer(exc: Exception) -> Response:
    """The problem+json answer to any exception raised while handling an API request."""
    if isinstance(exc, FrontdoorError):
        return _domain_error(exc)
    if isinstance(exc, HTTPException):
        return _http_error(exc)
    return _unexpected(exc)


def _for_api(page_handler: Callable | None) -> Callable:
    def handle(exc):
        if is_api_request() or page_handler is None:
            return api_answer(exc)
        return page_handler(exc)
    return handle


def init_app(app: Flask) -> None:
    """Answer errors under /api/ as problem+json; leave every other path to the app's own handlers.

    Every handler the app already has (by status code or exception class) is wrapped, so a page's
    special case (a break-glass offer, say) never leaks into the API.
    """
    for code, by_class in list(app.error_handler_spec.get(None, {}).items()):
        for cls, handler in list(by_class.items()):
            by_class[cls] = _for_api(handler)
        if code is None:
            for cls in (FrontdoorError, HTTPException, Exception):
                by_class.setdefault(cls, _for_api(None))
    if None not in app.error_handler_spec.get(None, {}):
        for cls in (FrontdoorError, HTTPException, Exception):
            app.register_error_handler(cls, _for_api(None))

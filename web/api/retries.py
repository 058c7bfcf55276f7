"""The ``Idempotency-Key`` header on POSTs that create (referrals, starts) or advance (completing a work item).

Two ways: ``idempotent`` claims the key and keeps the answer in transactions of their own around the view
(referrals, whose use case runs several transactions); ``idempotent_in_step`` hands the key to the use
case as a ``StepRetry``, claimed and answered inside the step's own transaction (starts, completions).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from flask import request
from werkzeug.wrappers import Response

from engine.runtime.idempotency import (
    Replay,
    StepRetry,
    StoredResponse,
    claim_key,
    keep_response,
    release_key,
    request_fingerprint,
)
from web.api.answers import json_answer, json_text
from web.api.auth import caller
from web.context import services

HEADER = "Idempotency-Key"
DOC = {"parameters": [{"in": "header", "name": HEADER, "required": False,
                       "description": "Any unique string (a UUID); a retry with the same key and body replays "
                                      "the first answer instead of acting twice",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 200}}]}


def idempotent(view: Callable) -> Callable:
    """Replay the stored answer for a repeated key; store the answer to a first, successful request."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        svc, who = services(), caller().username
        fingerprint = request_fingerprint(request.method, request.path, request.get_data())
        stored = claim_key(svc, who, key, request.path, fingerprint)
        if stored is not None:
            return _replayed(stored)
        try:
            response = view(*args, **kwargs)
        except BaseException:
            release_key(svc, who, key)
            raise
        keep_response(svc, who, key, response.status_code, response.get_data(as_text=True))
        return response
    return guarded


def _replayed(stored: StoredResponse) -> Response:
    return json_answer(stored.body, stored.status, {"Idempotent-Replayed": "true"})


def idempotent_in_step(view: Callable) -> Callable:
    """For a view that hands ``step_retry(...)`` to its use case: a key answered before replays that answer."""
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except Replay as replay:  # raised by the step before it wrote anything
            return _replayed(replay.stored)
    return guarded


def step_retry(status: int, shape: Callable[[Any], Any]) -> StepRetry | None:
    """The request's Idempotency-Key for the use case's step (None without one); ``shape`` makes the JSON data."""
    key = request.headers.get(HEADER)
    if key is None:
        return None
    fingerprint = request_fingerprint(request.method, request.path, request.get_data())
    return StepRetry(caller().username, key, request.path, fingerprint,
                     lambda result: (status, json_text(shape(result))))


def answered(result: Any, retry: StepRetry | None, status: int, shape: Callable[[Any], Any]) -> Response:
    """The response to a step: the answer the step kept for replays when there is one, else made now."""
    text = retry.kept.body if retry is not None and retry.kept is not None else json_text(shape(result))
    return json_answer(text, status)

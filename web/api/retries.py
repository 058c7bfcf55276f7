"""The ``Idempotency-Key`` header on POSTs that create (referrals) or advance (completing a work item)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import request
from werkzeug.wrappers import Response

from engine.runtime.idempotency import request_fingerprint, run_once
from web.api.auth import caller
from web.context import services

HEADER = "Idempotency-Key"
DOC = {"parameters": [{"in": "header", "name": HEADER, "required": False,
                       "description": "Any unique string (a UUID); a retry with the same key and body replays "
                                      "the first answer instead of acting twice",
                       "schema": {"type": "string", "minLength": 1, "maxLength": 200}}]}


def idempotent(view: Callable) -> Callable:
    """Replay the stored answer for a repeated key; otherwise run the view once, its answer stored with its work.

    The claim, the view's work and the stored answer commit together (engine/runtime/idempotency.py), so
    a crash anywhere leaves either nothing (the retry does the work) or the answer (the retry replays it).
    """
    @functools.wraps(view)
    def guarded(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        fingerprint = request_fingerprint(request.method, request.path, request.get_data())
        stored, response = run_once(services(), caller().username, key, request.path, fingerprint,
                                    lambda: view(*args, **kwargs),
                                    lambda answer: (answer.status_code, answer.get_data(as_text=True)))
        if stored is not None:
            return Response(stored.body, status=stored.status, mimetype="application/json",
                            headers={"Idempotent-Replayed": "true"})
        return response
    return guarded

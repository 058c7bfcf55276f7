"""The ``Idempotency-Key`` header on POSTs that create (referrals) or advance (completing a work item)."""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import request
from werkzeug.wrappers import Response

from engine.runtime.idempotency import claim_key, keep_response, release_key, request_fingerprint
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
            return Response(stored.body, status=stored.status, mimetype="application/json",
                            headers={"Idempotent-Replayed": "true"})
        try:
            response = view(*args, **kwargs)
        except BaseException:
            release_key(svc, who, key)
            raise
        keep_response(svc, who, key, response.status_code, response.get_data(as_text=True))
        return response
    return guarded

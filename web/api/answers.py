"""Answers written once: JSON text made in one pass and sent as it is (and kept as it is for replays).

flask-smorest dumps a view's result through its marshmallow schema and then serialises the dump; our
results are already in their schema's shape (tests/store/test_shapes.py checks the work item's), so the
hot endpoints serialise their result once with the app's JSON settings and hand flask-smorest a ready
Response (the schema still documents it). An ETag is the hash of that same text.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import current_app
from werkzeug.wrappers import Response

from web.api.blueprint import Blueprint

MEDIA_TYPE = "application/json"


def json_text(data: Any) -> str:
    """``data`` as the app's JSON (compact, keys sorted), with the trailing newline Flask adds."""
    return current_app.json.dumps(data, separators=(",", ":")) + "\n"


def json_answer(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A response carrying JSON text made earlier."""
    return Response(text, status=status, mimetype=MEDIA_TYPE, headers=headers)


def etagged(bp: Blueprint, text: str) -> None:
    """Give the answer an ETag from its text; answers 304 Not Modified when the caller already has it."""
    bp.set_etag(hashlib.sha256(text.encode("utf-8")).hexdigest())

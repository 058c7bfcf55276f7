"""Request bodies the API cannot read are a 400 problem, never a 500 (docs/security.md).

A JSON body is read here once before any endpoint sees it: bytes that are not UTF-8, text that is not
JSON (JavaScript's NaN and Infinity included), and nesting deeper than ``MAX_DEPTH`` are refused with
``bad_request``. Python's parser gives up on very deep nesting with a RecursionError, and the form
validation walks what it is given, so depth is bounded before anything else looks at the value.
"""

from __future__ import annotations

import json

from flask import Flask, request
from werkzeug.exceptions import BadRequest

from web.api.problems import is_api_request

MAX_DEPTH = 32  # a referral's answers nest three or four levels; nothing legitimate comes close
BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


class UnreadableBody(BadRequest):
    """The request's body could not be read as the JSON it claims to be."""


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON value")


def _depth(value: object) -> int:
    """How deeply arrays and objects nest in ``value`` (walked without recursion)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            if deepest > MAX_DEPTH:
                break
            stack.extend((child, depth + 1) for child in (node.values() if isinstance(node, dict) else node))
    return deepest


def read_json_body() -> None:
    """Refuse an API request whose JSON body cannot be read (400, problem+json); others pass untouched."""
    if not is_api_request() or request.method not in BODY_METHODS or not request.is_json:
        return
    raw = request.get_data(cache=True)
    if not raw:
        return  # no body at all: the endpoint's own schema says whether one was needed
    try:
        value = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise UnreadableBody("The request body is not UTF-8 text") from None
    except RecursionError:
        raise UnreadableBody(f"The request body nests deeper than {MAX_DEPTH} levels") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError, and so is NaN or Infinity
        raise UnreadableBody(f"The request body is not valid JSON: {exc}") from None
    if _depth(value) > MAX_DEPTH:
        raise UnreadableBody(f"The request body nests deeper than {MAX_DEPTH} levels")


def init_app(app: Flask) -> None:
    """Check JSON bodies before any API endpoint reads them."""
    app.before_request(read_json_body)

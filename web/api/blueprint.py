"""The API's Blueprint: flask-smorest's, with each request schema built once instead of on every request.

webargs builds a new instance of an arguments schema class for every request it parses (marshmallow
copies every declared field as it does), which cost about a tenth of a short request such as a page of
the work-item list (bench/peer.py --profile). A schema instance keeps no state between loads, so one per
class serves every request; the OpenAPI document still names the class as before.
"""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint as SmorestBlueprint
from webargs.flaskparser import FlaskParser


class _BuiltOnce(FlaskParser):
    """A parser that builds an arguments schema class once and reuses the instance."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[type, ma.Schema] = {}

    def _get_schema(self, argmap, req) -> ma.Schema:
        if isinstance(argmap, type) and issubclass(argmap, ma.Schema):
            schema = self._built.get(argmap)
            if schema is None:
                schema = self._built[argmap] = argmap()
            return schema
        return super()._get_schema(argmap, req)


class Blueprint(SmorestBlueprint):
    """flask-smorest's Blueprint with the arguments parser above."""

    ARGUMENTS_PARSER = _BuiltOnce()

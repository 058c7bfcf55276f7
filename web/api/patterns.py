"""Patterns across referrals: read the open ones (masked by need-to-know) and act on one."""

from __future__ import annotations

import marshmallow as ma

from engine.patterns.actions import REASON_MAX, REASON_MIN, add_to_context, dismiss_pattern, open_context
from engine.patterns.views import list_patterns
from web.api.auth import ROW_ID, caller, requires
from web.api.blueprint import Blueprint
from web.api.schemas import NOT_BLANK, Problem, ReferralOut, Strict, not_blank
from web.context import services

PATH = "/patterns"
bp = Blueprint("api-patterns", __name__, description="Patterns across referrals: places, schools, platforms and "
               "named associates shared by different children")
Time = ma.fields.String(metadata={"format": "date-time"})


class PatternQuery(Strict):
    """Which patterns: open (the default), dismissed or actioned."""

    status = ma.fields.String(load_default="open", validate=ma.validate.OneOf(("open", "dismissed", "actioned")))


class Evidence(ma.Schema):
    """One referral in a pattern; ``case_ref`` is null where the caller has no need to know the case."""

    case_ref = ma.fields.String(allow_none=True)
    who = ma.fields.String(required=True, metadata={"description": "the child's name and reference, or "
                                                    "'a child (age 14)' when masked"})
    received_at = Time
    shares = ma.fields.String(required=True)
    harm_types = ma.fields.List(ma.fields.String())
    subject_type = ma.fields.String(required=True)


class Covering(ma.Schema):
    """An open context that covers the pattern (``case_ref`` null where the caller may not open it)."""

    case_ref = ma.fields.String(allow_none=True)
    name = ma.fields.String(required=True)


class PatternOut(ma.Schema):
    """A pattern with its evidence."""

    id = ma.fields.Integer(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "place, school, platform or associate"})
    shared = ma.fields.String(required=True, metadata={"description": "what the referrals share, in words"})
    status = ma.fields.String(required=True)
    referrals = ma.fields.List(ma.fields.Nested(Evidence), required=True)
    first_at = Time
    last_at = Time
    children = ma.fields.Integer(required=True)
    covered_by = ma.fields.List(ma.fields.Nested(Covering), required=True)
    harm_types = ma.fields.List(ma.fields.String())
    closed_reason = ma.fields.String(allow_none=True)


class AddIn(Strict):
    """The open context to add the pattern's children to."""

    case_ref = ma.fields.String(required=True, validate=[ma.validate.Length(min=1, max=40), not_blank],
                                metadata=NOT_BLANK)


class DismissIn(Strict):
    """Why the pattern is not one to act on (10 to 2000 characters)."""

    reason = ma.fields.String(required=True, validate=[ma.validate.Length(min=REASON_MIN, max=REASON_MAX), not_blank],
                              metadata=NOT_BLANK)


class Acted(ma.Schema):
    """What an action on a pattern did."""

    pattern_id = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    context_ref = ma.fields.String(allow_none=True)


def _problems(view):
    view = bp.alt_response(403, schema=Problem, description="not_permitted: only the front door, a manager or "
                           "the CS lead act on patterns")(view)
    view = bp.alt_response(404, schema=Problem, description="not_found")(view)
    view = bp.alt_response(409, schema=Problem, description="conflict: the pattern is not open")(view)
    return bp.alt_response(422, schema=Problem, description="invalid_form_data")(view)


@bp.get("")
@requires("cases:read")
@bp.arguments(PatternQuery, location="query")
@bp.response(200, PatternOut(many=True))
def read(args):
    """The patterns the caller may see, newest first; children they may not open are masked. Audited."""
    return [v.to_dict() for v in list_patterns(services(), caller().username, args["status"])]


@bp.post(f"/<{ROW_ID}:pattern_id>/open-context")
@requires("referrals:write")
@_problems
@bp.response(201, ReferralOut)
def open_from(pattern_id: int):
    """Open a context referral from the pattern, its children linked with roles; starts the context route."""
    return open_context(services(), pattern_id, caller().username).to_dict()


@bp.post(f"/<{ROW_ID}:pattern_id>/add-to-context")
@requires("referrals:write")
@_problems
@bp.arguments(AddIn)
@bp.response(200, Acted)
def add(body, pattern_id: int):
    """Link the pattern's children to an open context."""
    ref = add_to_context(services(), pattern_id, caller().username, body["case_ref"])
    return {"pattern_id": pattern_id, "status": "actioned", "context_ref": ref}


@bp.post(f"/<{ROW_ID}:pattern_id>/dismiss")
@requires("referrals:write")
@_problems
@bp.arguments(DismissIn)
@bp.response(200, Acted)
def dismiss(body, pattern_id: int):
    """Dismiss the pattern with a reason; it comes back only when new evidence joins it."""
    dismiss_pattern(services(), pattern_id, caller().username, body["reason"])
    return {"pattern_id": pattern_id, "status": "dismissed", "context_ref": None}

"""Referrals from partner systems: a context of concern, or a child (docs/domain.md)."""

from __future__ import annotations

from engine.cases.intake import log_context_referral, refer_child
from engine.cases.views import may_refer
from engine.errors import NotPermitted
from web.api.auth import caller, requires
from web.api.blueprint import Blueprint
from web.api.retries import DOC, idempotent
from web.api.schemas import Problem, ReferralIn, ReferralOut
from web.context import services

PATH = ""
bp = Blueprint("api-referrals", __name__, description="Log a context of concern or refer a child")


def _may_refer() -> None:
    """The front door's rule (engine/access/rules.py): administrators and reviewers do not refer."""
    if not may_refer(caller().role):
        raise NotPermitted("Your role does not make referrals: administrators and reviewers act on the system, "
                           "not on children")


def _document(view):
    view = bp.alt_response(403, schema=Problem, description="not_permitted: the token lacks referrals:write, or "
                           "the caller's role does not refer (administrators and reviewers)")(view)
    view = bp.alt_response(409, schema=Problem, description="possible_matches: choose a case or give "
                           "new_reason; idempotency_in_progress")(view)
    view = bp.alt_response(422, schema=Problem, description="invalid_form_data with per-field errors; "
                           "idempotency_key_reused")(view)
    return bp.doc(**DOC)(view)


@bp.post("/contexts")
@requires("referrals:write")
@_document
@idempotent
@bp.arguments(ReferralIn)
@bp.response(201, ReferralOut)
def log_context(body):
    """Log a context of concern and start its route (as the front-door page does)."""
    _may_refer()
    logged = log_context_referral(services(), body["data"], caller().username, add_to_case=body.get("add_to_case"),
                                  new_reason=body.get("new_reason"))
    return logged.to_dict()


@bp.post("/children")
@requires("referrals:write")
@_document
@idempotent
@bp.arguments(ReferralIn)
@bp.response(201, ReferralOut)
def refer(body):
    """Refer a child and start the child referral route."""
    _may_refer()
    logged = refer_child(services(), body["data"], caller().username, add_to_case=body.get("add_to_case"),
                         new_reason=body.get("new_reason"))
    return logged.to_dict()

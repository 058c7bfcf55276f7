"""Cases: read one (need-to-know, audited like a page view) and search."""

from __future__ import annotations

from dataclasses import asdict

from engine.cases.record import case_record
from engine.cases.views import get_case, search_cases
from engine.clocks.case_clocks import list_clocks
from engine.errors import InvalidFormData
from web.api.auth import caller, requires
from web.api.blueprint import Blueprint
from web.api.schemas import Case, CaseRecord, CaseSearch, CaseSummary, Problem
from web.context import services

PATH = "/cases"
bp = Blueprint("api-cases", __name__, description="Read and search cases")


@bp.get("/<ref>")
@requires("cases:read")
@bp.etag
@bp.response(200, Case)
@bp.alt_response(403, schema=Problem, description="not_permitted: no need to know this case (the refusal is "
                 "audited)")
@bp.alt_response(404, schema=Problem, description="not_found")
def read(ref: str):
    """One case as the token's user may see it, with its clocks and stage; audited as a case view."""
    view = get_case(services(), ref[:40], caller().username, section="api")
    return {**view.to_dict(), "clocks": [c.to_dict() for c in list_clocks(services(), view.ref)]}


@bp.get("/<ref>/record")
@requires("cases:read")
@bp.etag
@bp.response(200, CaseRecord)
@bp.alt_response(403, schema=Problem, description="not_permitted: no need to know this case (the refusal is "
                 "audited)")
@bp.alt_response(404, schema=Problem, description="not_found")
def record(ref: str):
    """What was written on the case: each referral and completed task with its answers as the page shows them.

    The same record as the case page (labels and values in form order), with the same need-to-know: a
    protected address is withheld and a child the caller may not open is not named. Audited as a case view.
    """
    return case_record(services(), ref[:40], caller().username, section="api").to_dict()


@bp.get("")
@requires("cases:read")
@bp.etag
@bp.arguments(CaseSearch, location="query")
@bp.response(200, CaseSummary(many=True))
def search(args):
    """Cases by reference, name (spelling variants too), postcode, school URN, date of birth, NHS number or UPN;
    children only where the user may open them."""
    terms = ("q", "postcode", "school_urn", "dob", "nhs_number", "upn")
    if not any(args.get(t) for t in terms):
        raise InvalidFormData({"q": ["Give a reference, a name, a postcode, a school URN, a date of birth, "
                                     "an NHS number or a UPN"]})
    found = search_cases(services(), caller().username, text=args.get("q"), postcode=args.get("postcode"),
                         school_urn=args.get("school_urn"), dob=args.get("dob"), nhs_number=args.get("nhs_number"),
                         upn=args.get("upn"), limit=args["limit"])
    return [asdict(s) for s in found]

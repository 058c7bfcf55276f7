"""Work items: list (filtered, paged, stable order), read one, claim, unclaim, reassign and complete."""

from __future__ import annotations

from urllib.parse import urlencode

from flask import request

from engine.work.inbox import InboxQuery, work_page
from engine.work.item_view import view_work_item
from engine.work.items import claim, complete_work_item, reassign, unclaim
from web.api.answers import etagged, json_answer, json_text
from web.api.auth import ROW_ID, caller, requires
from web.api.blueprint import Blueprint
from web.api.retries import DOC, answered, idempotent_in_step, step_retry
from web.api.schemas import (
    CompleteIn,
    Problem,
    ReassignIn,
    StepOutcome,
    WorkItem,
    WorkItemPage,
    WorkItemQuery,
    WorkItemRead,
)
from web.context import services

PATH = "/work-items"
bp = Blueprint("api-work-items", __name__, description="List and act on work items")
CONFLICT = "task_already_completed (with completed_by and completed_at) or conflict"


def _links(args: dict, page: int, has_next: bool, pages: int | None) -> str:
    """RFC 8288 Link header: first, prev and next where they exist, last when the list was counted."""
    kept = {k: v for k, v in args.items() if k != "page" and v not in ("", None, False)}

    def url(n: int) -> str:
        return f"<{request.base_url}?{urlencode({**kept, 'page': n})}>"

    rels = [(1, "first")] + ([(pages, "last")] if pages else [])
    rels += [(page - 1, "prev")] if page > 1 else []
    rels += [(page + 1, "next")] if has_next else []
    return ", ".join(f'{url(n)}; rel="{rel}"' for n, rel in rels)


@bp.get("")
@requires("work:read")
@bp.etag
@bp.arguments(WorkItemQuery, location="query")
@bp.response(200, WorkItemPage)
def index(args):
    """Your items and your groups' unclaimed ones; filter by view, group, process, case and due; paged.

    The page costs what it returns: the whole filtered list is counted only with `count=true`.
    """
    count = args.pop("count")
    found = work_page(services(), caller().username, InboxQuery(**args), count=count)
    page = found.query.page
    pagination = {"page": page, "per_page": found.query.per_page, "has_next": found.has_next}
    if found.total is not None:
        pagination.update(total=found.total, pages=found.pages)
    text = json_text({"items": found.items, "pagination": pagination})
    etagged(bp, text)
    return json_answer(text, headers={"Link": _links({**args, "count": count}, page, found.has_next, found.pages)})


@bp.get(f"/<{ROW_ID}:work_item_id>")
@requires("work:read")
@bp.etag
@bp.response(200, WorkItemRead)
@bp.alt_response(403, schema=Problem, description="not_permitted: not yours, not offered to your groups and not "
                 "completed by you (the refusal is audited)")
@bp.alt_response(404, schema=Problem, description="not_found")
def read(work_item_id: int):
    """One work item, as the list shows it, to whoever may see its task page; audited as a task view.

    ``context`` holds what the task page shows above its form (the task's diagram names it), in the shape of
    ``GET /cases/{ref}/record`` entries.
    """
    return view_work_item(services(), work_item_id, caller().username, section="api")


def _acting(description: str):
    def document(view):
        view = bp.alt_response(403, schema=Problem, description="not_permitted")(view)
        view = bp.alt_response(404, schema=Problem, description="not_found")(view)
        return bp.alt_response(409, schema=Problem, description=description)(view)
    return document


@bp.post(f"/<{ROW_ID}:work_item_id>/claim")
@requires("work:write")
@_acting(CONFLICT)
@bp.response(200, WorkItem)
def claim_item(work_item_id: int):
    """Take an unclaimed item offered to one of your groups."""
    return json_answer(json_text(claim(services(), work_item_id, caller().username)))


@bp.post(f"/<{ROW_ID}:work_item_id>/unclaim")
@requires("work:write")
@_acting(CONFLICT)
@bp.response(200, WorkItem)
def unclaim_item(work_item_id: int):
    """Give an item you hold back to its groups."""
    return unclaim(services(), work_item_id, caller().username)


@bp.post(f"/<{ROW_ID}:work_item_id>/reassign")
@requires("work:write")
@_acting(CONFLICT)
@bp.arguments(ReassignIn)
@bp.response(200, WorkItem)
@bp.alt_response(422, schema=Problem, description="invalid_form_data")
def reassign_item(body, work_item_id: int):
    """Hand an item to a person or a group; the reason is audited."""
    return reassign(services(), work_item_id, caller().username, body["reason"], to_user=body.get("to_user"),
                    to_group=body.get("to_group"))


@bp.post(f"/<{ROW_ID}:work_item_id>/complete")
@requires("work:write")
@_acting(CONFLICT + "; idempotency_in_progress")
@bp.doc(**DOC)
@idempotent_in_step
@bp.arguments(CompleteIn)
@bp.response(200, StepOutcome)
@bp.alt_response(422, schema=Problem, description="invalid_form_data with per-field errors; idempotency_key_reused")
def complete(body, work_item_id: int):
    """Complete the item with its form's answers (validated as on the task page) and advance the route."""
    retry = step_retry(200, _outcome)
    outcome = complete_work_item(services(), work_item_id, caller().username, body["data"], retry=retry)
    return answered(outcome, retry, 200, _outcome)


def _outcome(outcome) -> dict:
    return {"instance_id": outcome.id, "status": outcome.status, "open_work_items": outcome.open_work_items}

"""The inbox: my work, my groups' unclaimed work, due soon and overdue, with filters and paging."""

from __future__ import annotations

from flask import Blueprint, render_template, request, url_for

from engine.work.inbox import InboxQuery, inbox
from web.context import current_user, services

bp = Blueprint("inbox", __name__)

NOTICES = {"claimed": "You claimed the task.", "unclaimed": "You gave the task back to its groups.",
           "reassigned": "The task was reassigned.", "draft": "Your draft was saved."}


def _query() -> InboxQuery:
    args = request.args
    page = args.get("page", "1")
    return InboxQuery(view=args.get("view", "all"), process=args.get("process", ""), group=args.get("group", ""),
                      due=args.get("due", ""), sort=args.get("sort", "due"),
                      page=int(page) if page.isdigit() else 1)


def page_url(query: InboxQuery, **changes) -> str:
    """This inbox view's address with some settings changed (defaults left out to keep it short)."""
    values = {"view": query.view, "process": query.process, "group": query.group, "due": query.due,
              "sort": query.sort, "page": query.page, **changes}
    defaults = {"view": "all", "process": "", "group": "", "due": "", "sort": "due", "page": 1}
    return url_for("inbox.index", **{k: v for k, v in values.items() if v != defaults[k]})


def pager(query: InboxQuery, pages: int) -> dict:
    """GOV.UK pagination: first, last, and the pages either side of this one, with ellipses between."""
    shown = sorted({1, pages, *range(max(1, query.page - 1), min(pages, query.page + 1) + 1)})
    items: list[dict] = []
    for number in shown:
        if items and number - items[-1].get("number", number) > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": page_url(query, page=number), "current": number == query.page})
    return {"items": [i if "ellipsis" in i else {**i, "number": str(i["number"])} for i in items],
            "previous": {"href": page_url(query, page=query.page - 1)} if query.page > 1 else None,
            "next": {"href": page_url(query, page=query.page + 1)} if query.page < pages else None}


def _options(values: list[str]) -> list[dict[str, str]]:
    return [{"value": v, "text": v.replace("_", " ").capitalize()} for v in values]


@bp.get("/inbox")
def index():
    """One page of the signed-in person's inbox."""
    result = inbox(services(), current_user().username, _query())
    return render_template("inbox/index.html", title="Inbox", inbox=result, page_url=page_url,
                           pager=pager(result.query, result.pages), options=_options,
                           notice=NOTICES.get(request.args.get("notice", "")))

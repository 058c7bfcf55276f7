"""The inbox: a person's open work items and their groups' unclaimed ones, filtered, sorted and paged.

``inbox`` is the inbox page's: the page with the counts its tabs show. ``work_page`` is the API's list:
counts only when asked, and otherwise a cost that follows the page, not the open items (see below).

The page and every count come from one statement. Its first part (``mine``) finds the person's open
items through two indexes (``ix_work_items_assignee_status`` for held items,
``ix_work_item_groups_group_open`` for offered ones) and keeps only the few columns the counts, filters
and sorts need; the counts and the page's ids are both read from that one result, and only the page's
rows are fetched whole. Finding the person's items is most of the cost (a primary-key lookup for each
of them), so doing it once instead of once for the counts and again for the page halves the time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, case, func, select, true, union

from engine.runtime.services import Services
from engine.store import hotpath, worklist
from engine.store.models import ProcessVersion, WorkItem, WorkItemGroup
from engine.store.reads import reads
from engine.store.shapes import WorkItemView

VIEWS = ("all", "mine", "groups")
DUE = ("", "overdue", "soon")
SORTS = ("due", "priority", "newest")
SOON_WORKING_DAYS = 2  # "due soon": by the end of the next two working days
MAX_PER_PAGE = 100
# What the counts, filters and sorts read; everything else is fetched for the page's rows only.
_NARROW = ("id", "assignee", "due_at", "priority", "created_at", "process_id", "case_ref")


@dataclass(frozen=True)
class InboxQuery:
    """What the person asked to see; unknown values fall back to the defaults."""

    view: str = "all"
    process: str = ""
    group: str = ""
    due: str = ""
    sort: str = "due"
    page: int = 1
    per_page: int = 25
    case: str = ""  # one case's items (the API's ?case= filter)

    def cleaned(self) -> InboxQuery:
        """The same query with every value forced into its allowed range."""
        return InboxQuery(self.view if self.view in VIEWS else "all", self.process[:120], self.group[:80],
                          self.due if self.due in DUE else "", self.sort if self.sort in SORTS else "due",
                          max(1, min(self.page, 100_000)), max(1, min(self.per_page, MAX_PER_PAGE)), self.case[:40])


@dataclass(frozen=True)
class InboxPage:
    """One page of the inbox with the totals the page's tabs and pager need."""

    query: InboxQuery
    items: list[dict[str, Any]]
    total: int
    counts: dict[str, int]
    groups: list[str]
    processes: list[str] = field(default_factory=list)

    @property
    def pages(self) -> int:
        """How many pages the filtered list has (at least one)."""
        return max(1, -(-self.total // self.query.per_page))


def inbox(svc: Services, username: str, query: InboxQuery | None = None) -> InboxPage:
    """A person's inbox page: held items, their groups' unclaimed items, due soon and overdue."""
    query = (query or InboxQuery()).cleaned()
    now = svc.now()
    values = {"username": username, "now": now, "soon": svc.timescales.calendar.add_working_days(
        now, SOON_WORKING_DAYS), "process": query.process, "case": query.case, "group": query.group,
        "limit": query.per_page, "offset": (query.page - 1) * query.per_page}
    with reads(svc.db) as conn:
        mine = hotpath.groups_of(conn, username)  # on the driver: the ORM select cost more than the page
        statement = _page_with_counts(query.view, query.sort, bool(query.process), bool(query.case),
                                      bool(query.group), query.due)
        rows = conn.execute(statement, {**values, "groups": mine}).all()
        processes = list(conn.scalars(_PROCESSES))
    first = rows[0]
    everyone, held, overdue, due_soon, total = (int(v or 0) for v in (first.everyone, first.held, first.overdue,
                                                                     first.soon, first.total))
    calendar = svc.timescales.calendar
    items = [WorkItemView.of(r).seen_at(calendar, now).to_dict() for r in rows if r.id is not None]
    counts = {"mine": held, "groups": everyone - held, "overdue": overdue, "soon": due_soon}
    return InboxPage(query, items, total, counts, mine, processes)


_PROCESSES = select(ProcessVersion.process_id).distinct().order_by(ProcessVersion.process_id)


@dataclass(frozen=True)
class WorkPage:
    """One page of the API's work-item list; ``total`` only when counting was asked for."""

    query: InboxQuery
    items: list[dict[str, Any]]
    has_next: bool
    total: int | None = None

    @property
    def pages(self) -> int | None:
        """How many pages the filtered list has, when counted."""
        return None if self.total is None else max(1, -(-self.total // self.query.per_page))


WALK_BUDGET = 1000  # open items a page may walk past before it gathers the person's items instead


def work_page(svc: Services, username: str, query: InboxQuery | None = None, *, count: bool = False) -> WorkPage:
    """A page of a person's work items whose cost follows the page, not everything open.

    Counting the filtered list reads all of it, so it happens only when asked (``count``). Otherwise a
    case filter reads that case's items through its index, and the default order (due date) walks the
    open items in that order through ``ix_work_items_status_due_id`` until the page is full, checking
    each for the person; a walk that passes ``WALK_BUDGET`` items without filling the page (a person
    with few of the open items) gathers the person's own items as the inbox page does.
    """
    query = (query or InboxQuery()).cleaned()
    if count:
        found = inbox(svc, username, query)
        return WorkPage(query, found.items, query.page < found.pages, found.total)
    now, need = svc.now(), query.page * query.per_page + 1  # one more than the page: is there a next?
    due = _due_window(query.due, now, svc.timescales.calendar.add_working_days(now, SOON_WORKING_DAYS))
    with reads(svc.db) as conn:
        mine = hotpath.groups_of(conn, username)  # on the driver: the ORM select cost more than the page
        if query.case:
            rows = _ordered(worklist.case_items(conn, username, mine, query.case, view=query.view,
                                                process=query.process, group=query.group), query.sort, due)
        else:
            ids = _walked(conn, username, mine, query, need, due) if _walkable(query, need) else None
            rows = worklist.items_by_id(conn, ids) if ids is not None else None
    if rows is None:
        found = inbox(svc, username, query)
        return WorkPage(query, found.items, query.page < found.pages)
    start = (query.page - 1) * query.per_page
    calendar = svc.timescales.calendar
    items = [WorkItemView.of(r).seen_at(calendar, now).to_dict() for r in rows[start:start + query.per_page]]
    return WorkPage(query, items, len(rows) > start + query.per_page)


def _walkable(query: InboxQuery, need: int) -> bool:
    return query.sort == "due" and query.view != "mine" and need <= WALK_BUDGET


def _due_window(due: str, now, soon) -> tuple[Any, Any]:
    """(from, before) of the due filter: overdue is before now, soon from now to the end of the window."""
    return {"overdue": (None, now), "soon": (now, soon)}.get(due, (None, None))


def _walked(conn, username: str, mine: list[str], query: InboxQuery, need: int, due: tuple) -> list[int] | None:
    """Ids of the first ``need`` items of the list in order, or None when the walk ran out of budget."""
    found: list[int] = []
    walked = 0
    for dated in (True, False) if not query.due else (True,):  # undated items come last; a due filter skips them
        after = None
        while len(found) < need:
            chunk = min(max(2 * (need - len(found)), 50), WALK_BUDGET - walked)
            if chunk <= 0:
                return None
            rows = worklist.walk(conn, username, mine, dated=dated, after=after, chunk=chunk, view=query.view,
                                 process=query.process, group=query.group, due_from=due[0], due_before=due[1])
            walked += len(rows)
            found += [r.id for r in rows if r.mine and r.passes]
            if len(rows) < chunk:
                break  # every item of this part was walked
            after = (rows[-1].due_at, rows[-1].id)
    return found[:need]


def _ordered(rows: list[Any], sort: str, due: tuple) -> list[Any]:
    """A case's few items, filtered by due date and in the list's order (ties by id, as everywhere)."""
    start, before = due
    if start is not None or before is not None:
        rows = [r for r in rows if r.due_at is not None and (start is None or r.due_at >= start)
                and (before is None or r.due_at < before)]
    if sort == "newest":
        return sorted(rows, key=lambda r: (r.created_at, r.id), reverse=True)
    by_due = sorted(rows, key=lambda r: (r.due_at is None, r.due_at.timestamp() if r.due_at else 0, r.id))
    if sort == "priority":
        return sorted(by_due, key=lambda r: -(r.priority or 0))  # stable: ties keep the due order
    return by_due


@lru_cache(maxsize=256)  # one statement per shape of query (at most 216), values bound at each call
def _page_with_counts(view: str, sort: str, process: bool, case_ref: bool, group: bool, due: str) -> Select:
    """One row per item on the page (a single row of NULLs when the page is empty), each carrying the
    tabs' counts and the filtered total (held and offered are disjoint: a held item has an assignee,
    an offered one has none)."""
    mine = select(*(getattr(WorkItem, c) for c in _NARROW)).where(_everything()).cte("mine")
    c = mine.c
    held = c.assignee == bindparam("username")
    in_view = {"all": true(), "mine": held, "groups": c.assignee.is_(None)}[view]
    shown = and_(in_view, *_filters(c, process, case_ref, group, due))

    def tally(*conditions) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((and_(*conditions), 1), else_=0)), 0)

    now, soon = bindparam("now"), bindparam("soon")
    totals = select(func.count().label("everyone"), tally(held).label("held"), tally(c.due_at < now).label("overdue"),
                    tally(c.due_at >= now, c.due_at < soon).label("soon"), tally(shown).label("total")).cte("totals")
    page = (select(c.id).where(shown).order_by(*_order(sort, c))
            .offset(bindparam("offset")).limit(bindparam("limit")).cte("page"))
    rows = page.join(WorkItem, WorkItem.id == page.c.id)
    return (select(WorkItem.__table__, *totals.c).select_from(totals).outerjoin(rows, true())
            .order_by(*_order(sort, WorkItem)))


def _everything() -> ColumnElement[bool]:
    """The person's open items as ``id IN (ids)``, the ids found through an index, so nothing walks every
    open item.

    An OR of "held" and "offered", or a bare ``assignee IS NULL``, lets the planner walk every open item
    instead (150 ms on SQLite, 450 ms on PostgreSQL at 100,000 open items). ``work_item_groups.open``
    is cleared when an item closes, so the group index alone finds open offered items; whether one is
    still unclaimed is checked on those few rows, through an expression no index can serve. A union is
    hashed first, then looked up by id: a bare IN (offered) lets PostgreSQL merge-join along the primary
    key over every work item (220 ms).
    """
    username = bindparam("username")
    held = select(WorkItem.id).where(WorkItem.assignee == username, WorkItem.status == "open")
    offered = select(WorkItemGroup.work_item_id).where(WorkItemGroup.group_id.in_(bindparam("groups", expanding=True)),
                                                       WorkItemGroup.open.is_(True))
    return and_(WorkItem.id.in_(union(held, offered)), func.coalesce(WorkItem.assignee, "").in_(["", username]))


def _order(sort: str, c) -> tuple:
    """The sort's ORDER BY over ``c`` (the work items table or the narrow ``mine`` rows); ties by id."""
    if sort == "priority":
        return c.priority.desc(), c.due_at.is_(None), c.due_at, c.id
    if sort == "newest":
        return c.created_at.desc(), c.id.desc()
    return c.due_at.is_(None), c.due_at, c.id


def _filters(c, process: bool, case_ref: bool, group: bool, due: str) -> list[ColumnElement[bool]]:
    found: list[ColumnElement[bool]] = []
    if process:
        found.append(c.process_id == bindparam("process"))
    if case_ref:
        found.append(c.case_ref == bindparam("case"))
    if group:
        found.append(c.id.in_(select(WorkItemGroup.work_item_id).where(WorkItemGroup.group_id == bindparam("group"))))
    if due == "overdue":
        found.append(c.due_at < bindparam("now"))
    elif due == "soon":
        found.append(and_(c.due_at >= bindparam("now"), c.due_at < bindparam("soon")))
    return found

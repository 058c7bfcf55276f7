"""The work-item list's SQL on the driver: walk open items in due order, one case's items, rows by id.

Each statement is an index range scan with a LIMIT (``ix_work_items_status_due_id``: status, due date,
id; ``ix_work_items_case``: case, status), so its cost follows the rows it returns, not the open items
in the database. Whether a row is the person's (held by them, or offered unclaimed to one of their
groups) and whether it passes the filters are computed per row in the select list, never in the WHERE
clause, so neither planner can trade the ordered scan for a walk over everything (docs/performance.md).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from engine.store.hotpath import OPEN_ITEM_COLUMNS, Driver, read_row

# what a walked row carries: its position in the order, whether it is the person's, whether it passes
_WALKED = ("id", "due_at", "mine", "passes")
_VIEWS = {"all": "1 = 1", "mine": "w.assignee = :me", "groups": "w.assignee IS NULL"}


def _offered(groups: list[str], params: dict[str, Any]) -> str:
    if not groups:
        return "1 = 0"
    marks = []
    for n, group in enumerate(groups):
        params[f"g{n}"] = group
        marks.append(f":g{n}")
    return ("EXISTS (SELECT 1 FROM work_item_groups g WHERE g.work_item_id = w.id AND g.open = TRUE "
            f"AND g.group_id IN ({', '.join(marks)}))")


def _person(me: str, groups: list[str], params: dict[str, Any]) -> str:
    """SQL true for an item ``me`` holds, or one offered unclaimed to one of ``groups``."""
    params["me"] = me
    return f"(w.assignee = :me OR (w.assignee IS NULL AND {_offered(groups, params)}))"


def _passes(view: str, process: str, group: str, params: dict[str, Any]) -> str:
    conditions = [_VIEWS[view]]
    if process:
        params["process"] = process
        conditions.append("w.process_id = :process")
    if group:
        params["group"] = group
        conditions.append("EXISTS (SELECT 1 FROM work_item_groups f WHERE f.work_item_id = w.id "
                          "AND f.group_id = :group)")
    return " AND ".join(conditions)


def walk(conn: Connection, me: str, groups: list[str], *, dated: bool, after: tuple[datetime | None, int] | None,
         chunk: int, view: str = "all", process: str = "", group: str = "",
         due_from: datetime | None = None, due_before: datetime | None = None) -> list[Any]:
    """The next ``chunk`` open items in list order (due date, then id; undated ones apart, by id) after
    ``after``, each with ``mine`` (the person's) and ``passes`` (in the view and filters) worked out.

    ``dated`` walks the items with a due date (optionally from ``due_from`` and before ``due_before``),
    else those without. Every row of the chunk comes back, so the caller knows how far it walked.
    """
    driver = Driver(conn)
    params: dict[str, Any] = {"chunk": chunk}
    where = ["w.status = 'open'", "w.due_at IS NOT NULL" if dated else "w.due_at IS NULL"]
    if due_from is not None:
        params["due_from"] = driver.time(due_from)
        where.append("w.due_at >= :due_from")
    if due_before is not None:
        params["due_before"] = driver.time(due_before)
        where.append("w.due_at < :due_before")
    if after is not None:
        params["after_id"] = after[1]
        if dated:
            params["after_due"] = driver.time(after[0])
            where.append("(w.due_at, w.id) > (:after_due, :after_id)")
        else:
            where.append("w.id > :after_id")
    mine, passes = _person(me, groups, params), _passes(view, process, group, params)
    sql = (f"SELECT w.id, w.due_at, CASE WHEN {mine} THEN 1 ELSE 0 END, CASE WHEN {passes} THEN 1 ELSE 0 END "
           f"FROM work_items w WHERE {' AND '.join(where)} ORDER BY {'w.due_at, ' if dated else ''}w.id LIMIT :chunk")
    return [read_row(driver, _WALKED, tuple(r)) for r in driver.execute(sql, params).fetchall()]


def case_items(conn: Connection, me: str, groups: list[str], case_ref: str, *, view: str = "all",
               process: str = "", group: str = "") -> list[Any]:
    """One case's open items that are the person's and pass the filters (through the case index)."""
    driver = Driver(conn)
    params: dict[str, Any] = {"case": case_ref}
    condition = f"{_person(me, groups, params)} AND {_passes(view, process, group, params)}"
    sql = (f"SELECT {', '.join('w.' + c for c in OPEN_ITEM_COLUMNS)} FROM work_items w "
           f"WHERE w.case_ref = :case AND w.status = 'open' AND {condition}")
    return [read_row(driver, OPEN_ITEM_COLUMNS, tuple(r)) for r in driver.execute(sql, params).fetchall()]


def items_by_id(conn: Connection, ids: list[int]) -> list[Any]:
    """Work items by id, in the order of ``ids``."""
    if not ids:
        return []
    driver = Driver(conn)
    params = {f"i{n}": i for n, i in enumerate(ids)}
    sql = (f"SELECT {', '.join(OPEN_ITEM_COLUMNS)} FROM work_items "
           f"WHERE id IN ({', '.join(':' + k for k in params)})")
    found = {r.id: r for r in (read_row(driver, OPEN_ITEM_COLUMNS, tuple(v))
                               for v in driver.execute(sql, params).fetchall())}
    return [found[i] for i in ids if i in found]

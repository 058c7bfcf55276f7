"""The one shape of each row the engine hands around: an instance as a step reads it, and a work item.

The hand-written step SQL (``hotpath``) reads exactly ``INSTANCE_COLUMNS``; every reader of a work item
(a step that creates it, the inbox, the task page, the case page, the API) goes through ``WorkItemView``,
and the API schema's fields are checked against it (tests/store/test_shapes.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, Protocol


@dataclass
class InstanceRow:
    """The columns of an instance a step needs, read with Core (cheaper than an ORM object)."""

    id: int
    version_id: int
    process_id: str
    case_ref: str | None
    status: str
    state: str
    lock_version: int
    next_timer_at: datetime | None
    waiting_for: str
    # set by save(): the instance's open work items when this step created every one of them (so the
    # caller need not read them back), else None
    open_items: list[dict[str, Any]] | None = field(default=None, compare=False)

    @classmethod
    def read(cls, source: Any, prefix: str = "") -> InstanceRow:
        """From a row (or ORM object) carrying the columns, optionally under a prefix (``i_id``)."""
        return cls(**{c: getattr(source, prefix + c) for c in INSTANCE_COLUMNS})


INSTANCE_COLUMNS = tuple(f.name for f in fields(InstanceRow) if f.name != "open_items")


class DueWords(Protocol):
    """What ``WorkItemView.seen_at`` needs of a calendar: a deadline in words."""

    def describe_due(self, due: datetime, now: datetime) -> str: ...


@dataclass(frozen=True)
class WorkItemView:
    """A work item as every reader shows it; ``to_dict`` is its JSON form (API, CLI, pages)."""

    id: int
    instance_id: int
    name: str
    element_id: str
    process_id: str
    case_ref: str | None
    form: str | None
    groups: list[str]
    assignee: str | None
    status: str
    priority: int | None
    due_at: datetime | None
    due_reason: str | None
    completed_by: str | None
    completed_at: datetime | None
    due_words: str | None = None  # set by seen_at: "due in 2 working days", "overdue by 1 working day"
    overdue: bool | None = None

    @classmethod
    def of(cls, row: Any) -> WorkItemView:
        """From an ORM ``WorkItem`` or a hot-path row with the same column names."""
        return cls(id=row.id, instance_id=row.instance_id, name=row.name, element_id=row.element_id,
                   process_id=row.process_id, case_ref=row.case_ref, form=row.form_ref,
                   groups=[g for g in (row.groups or "").split(",") if g], assignee=row.assignee,
                   status=row.status, priority=row.priority, due_at=row.due_at, due_reason=row.due_reason,
                   completed_by=row.completed_by, completed_at=row.completed_at)

    def seen_at(self, calendar: DueWords, now: datetime) -> WorkItemView:
        """The same item with its due date in words and whether it is overdue, as of ``now``."""
        due = self.due_at
        return replace(self, due_words=calendar.describe_due(due, now) if due else "",
                       overdue=bool(due and due < now))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form; ``due_words`` and ``overdue`` only once ``seen_at`` has set them."""
        out = {"id": self.id, "instance_id": self.instance_id, "name": self.name, "element_id": self.element_id,
               "process_id": self.process_id, "case_ref": self.case_ref, "form": self.form,
               "groups": list(self.groups), "assignee": self.assignee, "status": self.status,
               "priority": self.priority, "due_at": _iso(self.due_at), "due_reason": self.due_reason,
               "completed_by": self.completed_by, "completed_at": _iso(self.completed_at)}
        if self.due_words is not None:
            out["due_words"], out["overdue"] = self.due_words, self.overdue
        return out


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def work_item_dict(row: Any) -> dict[str, Any]:
    """A work item row's JSON form (``WorkItemView.of(row).to_dict()``)."""
    return WorkItemView.of(row).to_dict()

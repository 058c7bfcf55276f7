"""Reading one work item without acting on it (the API's GET /work-items/{id}); audited like the task page.

The rule is the task page's (engine/access/rules.py ``can_view_item``): its holder, whoever completed
it and the members of the groups it is offered to. Seeing a task does not open its case. Every look
is audited: ``task_viewed`` as the task page writes it, and a refusal as ``case_view_refused`` (DPA
2018 s.62 logs consultation attempts too), so the auditors' view of who looked stays complete.
"""

from __future__ import annotations

from typing import Any

from engine import audit
from engine.access.rules import can_view_item
from engine.cases.instance_page import audit_view
from engine.cases.task_context import task_context
from engine.errors import NotFound, NotPermitted
from engine.runtime.services import Services
from engine.store.models import Instance, WorkItem
from engine.store.shapes import WorkItemView
from engine.work.items import viewer_of, work_seen


def view_work_item(svc: Services, work_item_id: int, viewer: str, section: str = "api") -> dict[str, Any]:
    """One work item as the inbox lists it (with due words and overdue), for someone who may see it.

    ``context`` is what its task page shows above the form (engine/cases/task_context.py), in the record's
    shape, with the same need-to-know.

    Raises NotFound, or NotPermitted when the item is not theirs, not offered to their groups and not
    completed by them (the refusal is audited, and committed before it is raised).
    """
    now = svc.now()
    with svc.db.transaction() as session:
        item = session.get(WorkItem, work_item_id)
        if item is None:
            raise NotFound(f"Work item {work_item_id} does not exist")
        allowed = can_view_item(viewer_of(session, viewer), work_seen(item))
        if allowed:
            context = task_context(session, viewer, item, session.get(Instance, item.instance_id), now)
            audit.record(session, at=now, actor=viewer, action="task_viewed", subject_type="work_item",
                         subject_id=item.id, case_ref=item.case_ref, section=section,
                         shown=[e.anchor for e in context])
            shown = {**WorkItemView.of(item).seen_at(svc.timescales.calendar, now).to_dict(),
                     "context": [e.to_dict() for e in context]}
        else:
            audit_view(session, now, viewer, False, "work_item", item.id, item.case_ref, section)
    if not allowed:
        raise NotPermitted("This work item is not yours, not offered to your groups and not completed by you")
    return shown

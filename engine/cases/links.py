"""Links between children and contexts, made by hand (a referral or a screening links through records)."""

from __future__ import annotations

from typing import Any

from engine.access.need_to_know import may_see_child
from engine.cases.records import add_link, case_by_ref
from engine.errors import NotPermitted
from engine.runtime.services import Services


def link_child_to_context(svc: Services, child_ref: str, context_ref: str, role: str, actor: str, *,
                          source: str = "recorded by hand") -> dict[str, Any]:
    """Link a child to a context; only someone who may see the child may link it (NotPermitted)."""
    with svc.db.transaction() as session:
        child = case_by_ref(session, child_ref, "child")
        context = case_by_ref(session, context_ref, "context")
        if not may_see_child(session, actor, child.id):
            raise NotPermitted("You have no need to know this child's case, so you cannot link it")
        link = add_link(session, child, context, role, source, actor, svc.now())
        session.flush()
        return {"link_id": link.id, "child_ref": child.ref, "context_ref": context.ref, "role": link.role,
                "started_on": link.started_on.isoformat()}

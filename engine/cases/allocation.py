"""Allocating a case: its worker and its manager, who become involved in it (need-to-know)."""

from __future__ import annotations

from typing import Any

from engine import audit
from engine.cases.records import involve, live_case
from engine.errors import Conflict, InvalidFormData
from engine.runtime.services import Services


def allocate_case(svc: Services, ref: str, actor: str, *, worker: str | None = None,
                  manager: str | None = None) -> dict[str, Any]:
    """Set a case's allocated worker and/or manager; both become involved (need-to-know); audited."""
    if not worker and not manager:
        raise InvalidFormData({"worker": ["Choose a worker or a manager"]})
    with svc.db.transaction() as session:
        case, now = live_case(session, ref), svc.now()
        if case.status != "open":
            raise Conflict(f"Case {case.ref} is closed")
        if worker:
            case.allocated_worker = worker
            involve(session, case, worker, "allocated", now)
        if manager:
            case.manager = manager
            involve(session, case, manager, "manager", now)
        audit.record(session, at=now, actor=actor, action="case_allocated", subject_type="case",
                     subject_id=case.ref, worker=worker, manager=manager)
        return {"ref": case.ref, "allocated_worker": case.allocated_worker, "manager": case.manager}

"""Disposal runs: propose what falls due, a manager approves, and everything goes in one audited step
with a disposal certificate. Items are checked again at approval: one put under a legal hold, reopened
or otherwise no longer due since the proposal is skipped and named in the certificate."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from engine import audit
from engine.cases.documents import document_store
from engine.errors import Conflict, FrontdoorError, NotFound, NotPermitted
from engine.governance import erasure
from engine.governance.holds import governance_actor
from engine.governance.retention import bulk_rows, due, summary
from engine.runtime.services import Services
from engine.store.casework import Document
from engine.store.governance import DisposalRun


class NothingDue(FrontdoorError):
    """A disposal was asked for but nothing falls due under the retention schedule."""

    code = "nothing_due"
    status = 409


def dry_run(svc: Services) -> dict[str, Any]:
    """What a disposal now would remove, by schedule; changes nothing."""
    with svc.db.transaction() as session:
        items = due(session, svc.settings.retention, svc.now())
        return {"as_of": svc.now().isoformat(), "schedules": summary(items), "items": [i.to_dict() for i in items]}


def propose(svc: Services, *, actor: str) -> dict[str, Any]:
    """Record a disposal run of everything due now, for a manager to approve; audited."""
    now = svc.now()
    with svc.db.transaction() as session:
        items = due(session, svc.settings.retention, now)
        if not items:
            raise NothingDue("Nothing falls due for disposal under the retention schedule")
        run = DisposalRun(status="proposed", proposed_by=actor, proposed_at=now, items=[i.to_dict() for i in items])
        session.add(run)
        session.flush()
        audit.record(session, at=now, actor=actor, action="disposal_proposed", subject_type="disposal_run",
                     subject_id=run.id, schedules=summary(items))
        return _run_dict(run)


def approve(svc: Services, run_id: int, *, actor: str) -> dict[str, Any]:
    """A manager approves a proposed run: dispose of what is still due, in one transaction, and return the
    certificate. The proposer may not approve their own run."""
    now = svc.now()
    with svc.db.transaction() as session:
        governance_actor(session, actor)
        run = session.get(DisposalRun, run_id)
        if run is None:
            raise NotFound(f"No disposal run {run_id}")
        if run.status != "proposed":
            raise Conflict(f"Disposal run {run_id} is already {run.status}")
        if run.proposed_by == actor:
            raise NotPermitted("A disposal needs a second person's approval: you proposed this one")
        still_due = {(i.schedule, i.id) for i in due(session, svc.settings.retention, now) if i.id is not None}
        disposed, skipped, files = [], [], []
        for item in run.items:
            if item.get("id") is None:
                disposed.append({**item, "count": _dispose_rows(session, item)})
            elif (item["schedule"], item["id"]) in still_due:
                files += erasure.dispose_item(session, item, run.id, now)
                disposed.append(item)
            else:
                skipped.append({**item, "why": "no longer due (a legal hold, reopened, or changed since)"})
        run.status, run.approved_by, run.approved_at = "done", actor, now
        run.certificate = _certificate(svc, run, disposed, skipped)
        audit.record(session, at=now, actor=actor, action="disposal_approved", subject_type="disposal_run",
                     subject_id=run.id, proposed_by=run.proposed_by, disposed=len(disposed), skipped=len(skipped),
                     cases=[i["case_ref"] for i in disposed if i["kind"] == "case"])
        certificate = run.certificate
    _erase_files(svc, files)  # after the commit: a rolled-back disposal keeps its files
    return certificate


def withdraw(svc: Services, run_id: int, *, actor: str) -> dict[str, Any]:
    """Withdraw a proposed run without disposing of anything; audited."""
    with svc.db.transaction() as session:
        run = session.get(DisposalRun, run_id)
        if run is None or run.status != "proposed":
            raise NotFound(f"No proposed disposal run {run_id}")
        run.status = "withdrawn"
        audit.record(session, at=svc.now(), actor=actor, action="disposal_withdrawn", subject_type="disposal_run",
                     subject_id=run.id)
        return _run_dict(run)


def certificate(svc: Services, run_id: int) -> dict[str, Any]:
    """The certificate of a finished run (NotFound for one not approved)."""
    with svc.db.transaction() as session:
        run = session.get(DisposalRun, run_id)
        if run is None or run.certificate is None:
            raise NotFound(f"No disposal certificate for run {run_id}")
        return run.certificate


def _dispose_rows(session, item: dict[str, Any]) -> int:
    """Delete the rows of a bulk schedule older than the cutoff the proposal showed."""
    cutoff = datetime.fromisoformat(item["before"])
    if item["schedule"] == "audit_rows":
        return erasure.dispose_audit_rows(session, cutoff)
    count = 0
    for query in bulk_rows(item["schedule"], cutoff):
        table = query.selected_columns[0].table
        count += session.execute(delete(table).where(table.c.id.in_(query.scalar_subquery()))).rowcount or 0
    return count


def _erase_files(svc: Services, hashes: list[str]) -> None:
    """Erase the stored files no remaining document row points at."""
    if not hashes:
        return
    with svc.db.transaction() as session:
        kept = set(session.scalars(select(Document.sha256).where(Document.sha256.in_(hashes))))
    store = document_store(svc)
    for sha in set(hashes) - kept:
        store.erase(sha)


def _certificate(svc: Services, run: DisposalRun, disposed: list, skipped: list) -> dict[str, Any]:
    schedule = svc.settings.retention
    return {"run": run.id, "proposed_by": run.proposed_by, "proposed_at": run.proposed_at.isoformat(),
            "approved_by": run.approved_by, "approved_at": run.approved_at.isoformat(),
            "schedule": {k: getattr(schedule, k) for k in schedule.__dataclass_fields__},
            "disposed": disposed, "skipped": skipped}


def _run_dict(run: DisposalRun) -> dict[str, Any]:
    return {"id": run.id, "status": run.status, "proposed_by": run.proposed_by,
            "proposed_at": run.proposed_at.isoformat(), "items": run.items}

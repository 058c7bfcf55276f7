"""Routes by the names their diagrams give them, for pages that list work from several routes."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.runtime.services import Services
from engine.store.models import ProcessVersion


def process_names(svc: Services) -> dict[str, str]:
    """Every deployed process id with the name of its newest version."""
    newest = (select(ProcessVersion.process_id, func.max(ProcessVersion.number).label("n"))
              .group_by(ProcessVersion.process_id).subquery())
    with svc.db.read() as session:
        rows = session.execute(select(ProcessVersion.process_id, ProcessVersion.name)
                               .join(newest, (newest.c.process_id == ProcessVersion.process_id)
                                     & (newest.c.n == ProcessVersion.number))).all()
    return {pid: name or pid for pid, name in rows}

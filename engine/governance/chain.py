"""The audit hash chain: sealing audit rows in order, checking the chain, streaming it as JSON lines.

Rows are written by every transaction without a hash (so writers never queue on one chain head); the
scheduler then seals them in batches: each unsealed row, in id order, gets the next place in the chain
(``seq``), the previous row's hash and its own hash over its content and that previous hash. Editing,
removing or reordering a sealed row breaks every hash after it, and ``verify`` names the first.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import bindparam, func, select, update

from engine import audit
from engine.errors import FrontdoorError
from engine.runtime.services import Services
from engine.store.governance import AuditChain
from engine.store.models import AuditEvent

GENESIS = "0" * 64
BATCH = 2000
COLUMNS = (AuditEvent.id, AuditEvent.at, AuditEvent.actor, AuditEvent.action, AuditEvent.subject_type,
           AuditEvent.subject_id, AuditEvent.details)
_TABLE = AuditEvent.__table__
_SEAL = (update(_TABLE).where(_TABLE.c.id == bindparam("b_id"))
         .values(seq=bindparam("b_seq"), prev_hash=bindparam("b_prev"), row_hash=bindparam("b_hash")))


class AuditChainBroken(FrontdoorError):
    """The audit hash chain does not hold; ``seq`` and ``id`` name the first broken row."""

    code = "audit_chain_broken"
    status = 500


def canonical(row: AuditEvent, seq: int) -> bytes:
    """The bytes a row's hash covers: every column but the hashes, as sorted compact JSON."""
    body = {"seq": seq, "id": row.id, "at": row.at.isoformat(), "actor": row.actor, "action": row.action,
            "subject_type": row.subject_type, "subject_id": row.subject_id, "details": row.details or {}}
    return json.dumps(body, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False).encode()


def row_hash(row: AuditEvent, seq: int, prev_hash: str) -> str:
    """SHA-256 over the previous row's hash and this row's canonical content."""
    return hashlib.sha256(prev_hash.encode() + b"\n" + canonical(row, seq)).hexdigest()


def seal(svc: Services, limit: int = BATCH) -> int:
    """Seal up to ``limit`` unsealed audit rows into the chain, in one transaction; returns how many."""
    with svc.db.transaction() as session:
        head = session.execute(select(AuditChain).where(AuditChain.id == 1).with_for_update()).scalar_one()
        rows = session.execute(select(*COLUMNS).where(AuditEvent.seq.is_(None))
                               .order_by(AuditEvent.id).limit(limit)).all()
        seq, prev, sealed = head.head_seq, head.head_hash, []
        for row in rows:
            seq += 1
            digest = row_hash(row, seq, prev)
            sealed.append({"b_id": row.id, "b_seq": seq, "b_prev": prev, "b_hash": digest})
            prev = digest
        if sealed:  # one executemany, not a statement per row
            session.connection().execute(_SEAL, sealed)
        if rows:
            head.head_seq, head.head_hash, head.sealed_at = seq, prev, svc.now()
        return len(rows)


def seal_all(svc: Services) -> int:
    """Seal every unsealed row (batch after batch); returns how many."""
    total = 0
    while (done := seal(svc)) > 0:
        total += done
    return total


@dataclass(frozen=True)
class ChainReport:
    """What ``verify`` found: whether the chain holds, how many rows it checked, the first broken row."""

    holds: bool
    checked: int
    head_seq: int
    head_hash: str
    unsealed: int
    broken_seq: int | None = None
    broken_id: int | None = None
    problem: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def verify(svc: Services) -> ChainReport:
    """Walk the sealed rows in chain order and recompute every hash; stops at the first broken row."""
    with svc.db.transaction() as session:
        head = session.get(AuditChain, 1)
        unsealed = session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.seq.is_(None)))
        expected_seq, prev, checked = head.base_seq + 1, head.base_hash, 0
        for row in _sealed_rows(session, 0):
            problem = _problem(row, expected_seq, prev)
            if problem:
                return ChainReport(False, checked, head.head_seq, head.head_hash, unsealed or 0,
                                   row.seq, row.id, problem)
            prev, expected_seq, checked = row.row_hash, expected_seq + 1, checked + 1
        if expected_seq - 1 != head.head_seq or prev != head.head_hash:
            return ChainReport(False, checked, head.head_seq, head.head_hash, unsealed or 0, expected_seq, None,
                               f"the chain ends at row {expected_seq - 1} but its head says {head.head_seq}: "
                               "rows at the end were removed or the head was changed")
        return ChainReport(True, checked, head.head_seq, head.head_hash, unsealed or 0)


def _sealed_rows(session, after_seq: int) -> Iterator[AuditEvent]:
    """Sealed rows after ``after_seq`` in chain order, read a batch at a time (memory stays flat)."""
    while True:
        rows = session.execute(select(*COLUMNS, AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.row_hash)
                               .where(AuditEvent.seq > after_seq).order_by(AuditEvent.seq).limit(BATCH)).all()
        yield from rows
        if len(rows) < BATCH:
            return
        after_seq = rows[-1].seq


def _problem(row: AuditEvent, expected_seq: int, prev: str) -> str:
    """Why this row breaks the chain ('' when it does not)."""
    if row.seq < expected_seq:
        return f"row {row.seq} comes before the start of the chain ({expected_seq})"
    if row.seq != expected_seq:
        return f"rows {expected_seq} to {row.seq - 1} are missing"
    if row.prev_hash != prev:
        return f"row {row.seq} does not follow the row before it (the previous hash differs)"
    if row.row_hash != row_hash(row, row.seq, prev):
        return f"row {row.seq} was changed after it was sealed (its hash does not match its content)"
    return ""


def export_lines(svc: Services, after_seq: int = 0) -> Iterator[str]:
    """Sealed audit rows after ``after_seq`` as JSON lines (one object per row, with seq and hashes)."""
    with svc.db.transaction() as session:
        for row in _sealed_rows(session, after_seq):
            yield json.dumps({"seq": row.seq, "id": row.id, "at": row.at.isoformat(), "actor": row.actor,
                              "action": row.action, "subject_type": row.subject_type,
                              "subject_id": row.subject_id, "details": row.details or {},
                              "prev_hash": row.prev_hash, "hash": row.row_hash},
                             sort_keys=True, default=str, ensure_ascii=False)


def record_check(svc: Services, actor: str, action: str, **details: Any) -> None:
    """Audit a check or export of the chain itself (it is sealed at the next run like any row)."""
    with svc.db.transaction() as session:
        audit.record(session, at=svc.now(), actor=actor, action=action, subject_type="audit", subject_id="chain",
                     **details)

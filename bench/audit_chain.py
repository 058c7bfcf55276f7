"""Audit chain benchmark: sealing and verifying audit rows on SQLite.

Writes N audit rows (in transactions of 100, as a busy day of views and steps would), then times
sealing them all into the hash chain, verifying the whole chain, and streaming it as JSON lines.
Prints rows per second for each. Figures are quoted in docs, never asserted by tests.

Usage: python bench/audit_chain.py [--rows 20000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine import audit  # noqa: E402
from engine.bootstrap import bootstrap  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.governance import chain  # noqa: E402
from engine.store.db import Database  # noqa: E402


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        Database(url).upgrade()
        svc = bootstrap(settings=Settings.from_env({}), database_url=url)
        at = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
        for start in range(0, args.rows, 100):
            with svc.db.transaction() as session:
                audit.record_many(session, [audit.row(at=at, actor="bench.user", action="case_viewed",
                                                      subject_type="case", subject_id=f"CH-{i}", section="record",
                                                      role="practitioner", agency="council")
                                            for i in range(start, min(start + 100, args.rows))])
        for name, work in (("seal", lambda: chain.seal_all(svc)), ("verify", lambda: chain.verify(svc).checked),
                           ("export", lambda: sum(1 for _ in chain.export_lines(svc)))):
            started = time.perf_counter()
            count = work()
            seconds = time.perf_counter() - started
            print(f"{name}: {count} rows in {seconds:.2f} s ({count / seconds:,.0f} rows/s)")
        svc.db.dispose()


if __name__ == "__main__":
    main()

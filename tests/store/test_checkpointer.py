"""SQLite's WAL is copied back into the database file by the background checkpointer, not by a commit."""

from __future__ import annotations

import os
import sqlite3
from contextlib import closing

from sqlalchemy import text

from engine.store.db import BACKSTOP_PAGES, Checkpointer, Database


def test_writes_never_checkpoint_inline_and_the_checkpointer_empties_the_wal(tmp_path):
    path = tmp_path / "frontdoor.db"
    db = Database(f"sqlite:///{path}")
    db.upgrade()
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA wal_autocheckpoint")).scalar() == BACKSTOP_PAGES
    wal = f"{path}-wal"
    with db.transaction() as session:  # ~3 MB of WAL
        session.execute(text("CREATE TABLE filler (blob TEXT)"))
        session.execute(text("INSERT INTO filler VALUES (:b)"), [{"b": "x" * 3000} for _ in range(1000)])
    assert os.path.getsize(wal) > 1024 * 4096
    checkpointer = Checkpointer(str(path), threshold=1)
    with closing(sqlite3.connect(path)) as conn:
        assert checkpointer.run_once(conn)
        frames = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert frames[1] == frames[2]  # every frame in the WAL is now in the database file
    assert checkpointer.checkpoints == 1
    assert not Checkpointer(str(path), threshold=10**12).run_once(sqlite3.connect(path))  # below threshold
    db.dispose()
    assert db.checkpointer is not None and db.checkpointer._thread is not None  # started by the first write

"""A server started while its SQLite file was read-only writes again once the file is writable, no restart."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from engine.people.directory import add_user, list_users
from engine.store.db import Database, is_read_only_failure
from tests.conftest import IN_CI, make_services
from tests.support.factories import deploy_demo, start_demo


def _set_read_only(path: Path, read_only: bool) -> None:
    """As an ordinary user, the file's permission bits; as root (who ignores them) the immutable attribute."""
    if os.geteuid() != 0:
        path.chmod(0o444 if read_only else 0o644)
        return
    subprocess.run(["chattr", "+i" if read_only else "-i", str(path)], check=True, capture_output=True)


@pytest.fixture
def read_only_file(tmp_path):
    """A migrated SQLite file with the demo deployed, and a switch that makes it read-only or writable."""
    path = tmp_path / "frontdoor.db"
    url = f"sqlite:///{path}"
    migrated = Database(url)
    migrated.upgrade()
    migrated.dispose()  # no connection of ours may stay open: SQLite would reuse its writable descriptor
    try:
        _set_read_only(path, True)
        _set_read_only(path, False)
    except (OSError, subprocess.CalledProcessError) as exc:
        if IN_CI:
            pytest.fail(f"cannot make a file read-only here: {exc}")
        pytest.skip(f"cannot make a file read-only here: {exc}")
    yield path, url, lambda read_only: _set_read_only(path, read_only)
    _set_read_only(path, False)


def test_f13_writes_succeed_once_the_read_only_file_is_writable_again(read_only_file, clock):
    path, url, set_read_only = read_only_file
    prepared = make_services(url, clock)
    deploy_demo(prepared)
    prepared.db.dispose()
    set_read_only(True)
    svc = make_services(url, clock)  # the server starts while the file is read-only
    try:
        with pytest.raises(OperationalError) as refused:
            add_user(svc, "fd", ["front_door"], actor="test")
        assert is_read_only_failure(refused.value)
        with pytest.raises(Exception) as step_refused:  # noqa: B017 - the step path raises the driver's error
            start_demo(svc)
        assert is_read_only_failure(step_refused.value)
        assert list_users(svc) == []  # reads still work meanwhile
        set_read_only(False)
        add_user(svc, "fd", ["front_door"], actor="test")
        assert start_demo(svc).status == "waiting"
        assert [u["username"] for u in list_users(svc)] == ["fd"]
    finally:
        svc.db.dispose()

"""Shared fixtures: real SQLite and a real PostgreSQL cluster started by the suite, a fake clock."""

from __future__ import annotations

import itertools
import os
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine.bootstrap import bootstrap
from engine.config import Settings
from engine.store.db import Database
from tests.support.clock import FakeClock
from tests.support.postgres import Cluster, find_bin_dir

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
IN_CI = os.environ.get("CI", "").lower() == "true"
_names = itertools.count()


@pytest.fixture(scope="session")
def pg_server():
    """A PostgreSQL cluster for the whole session; under CI=true a missing server is a failure."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        if IN_CI:
            pytest.fail("PostgreSQL server binaries not found; CI must run the PostgreSQL tests")
        pytest.skip("PostgreSQL is not installed here")
    cluster = Cluster(bin_dir)
    admin_url = cluster.start()
    template = "frontdoor_template"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {template}"))
    migrated = Database(admin_url.rsplit("/", 1)[0] + f"/{template}")
    migrated.upgrade()
    migrated.dispose()  # CREATE DATABASE ... TEMPLATE needs the template to have no sessions
    yield admin, admin_url, template
    admin.dispose()
    cluster.stop()


def _fresh_pg_database(pg_server) -> str:
    admin, admin_url, template = pg_server
    name = f"t{os.getpid()}_{next(_names)}"
    with admin.connect() as conn:
        conn.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A migrated, empty database per test: SQLite file, or a fresh database on the cluster."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'frontdoor.db'}"
        Database(url).upgrade()
        return url
    return _fresh_pg_database(request.getfixturevalue("pg_server"))


@pytest.fixture
def sqlite_url(tmp_path):
    """A migrated SQLite database only (for tests with no locking or concurrency in them)."""
    url = f"sqlite:///{tmp_path / 'frontdoor.db'}"
    Database(url).upgrade()
    return url


@pytest.fixture
def clock():
    """A fake clock starting Monday 2 March 2026, 09:00 UTC."""
    return FakeClock()


def make_services(url: str, clock: FakeClock):
    """Real services on a real database with the fake clock."""
    svc = bootstrap(settings=Settings.from_env({}), clock=clock, database_url=url)
    return svc


@pytest.fixture
def svc(db_url, clock):
    """Services on SQLite and on PostgreSQL (parametrised)."""
    services = make_services(db_url, clock)
    yield services
    services.db.dispose()


@pytest.fixture
def lite(sqlite_url, clock):
    """Services on SQLite only."""
    services = make_services(sqlite_url, clock)
    yield services
    services.db.dispose()


@pytest.fixture(autouse=True)
def _ready_tasks_match_spiffworkflow(monkeypatch):
    """Every engine step in the suite checks engine.workflow.runtime.ready_tasks (our fast walk of the task
    tree) against SpiffWorkflow's own get_tasks: same tasks, same order, or the test fails."""
    from SpiffWorkflow.util.task import TaskState

    from engine.workflow import runtime

    fast = runtime.ready_tasks

    def checked(wf, manual=None):
        mine = fast(wf, manual)
        spiff = wf.get_tasks(state=TaskState.READY, **({} if manual is None else {"manual": manual}))
        assert [t.id for t in mine] == [t.id for t in spiff], "ready_tasks differs from SpiffWorkflow's get_tasks"
        return mine

    monkeypatch.setattr(runtime, "ready_tasks", checked)

"""The schema has one Alembic head, reached from an empty database and from each earlier released head."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import engine.store.accounts  # noqa: F401  (each store module adds its tables to Base.metadata)
import engine.store.alerts  # noqa: F401
import engine.store.break_glass  # noqa: F401
import engine.store.cases  # noqa: F401
import engine.store.casework  # noqa: F401
import engine.store.clocks  # noqa: F401
import engine.store.governance  # noqa: F401
import engine.store.insight  # noqa: F401
import engine.store.mfa  # noqa: F401
import engine.store.patterns  # noqa: F401
import engine.store.plans  # noqa: F401
import engine.store.programme  # noqa: F401
import engine.store.sso  # noqa: F401
import engine.store.tokens  # noqa: F401
from engine.store.db import MIGRATIONS, Database
from engine.store.models import Base

# The heads of the schema as released before the branches were merged (each a database's possible state).
# The newest revision: every new migration chains onto it and moves this name.
HEAD = "0023_sar"
RELEASED_HEADS = ("0004_clocks", "0005_break_glass", "0006_api_tokens", "0007_insight", "0008_form_library",
                  "0009_timer_lease_order")


def _config(engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def test_the_schema_has_exactly_one_head():
    heads = ScriptDirectory.from_config(_config(None)).get_heads()
    assert heads == [HEAD]


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


@pytest.fixture
def empty_url(request, tmp_path):
    """An empty database: a SQLite file, or a new database on the suite's PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    admin, admin_url, _template = request.getfixturevalue("pg_server")
    name = f"empty_{abs(hash(request.node.nodeid)) % 10**8}"
    with admin.connect() as conn:
        conn.execute(text(f"DROP DATABASE IF EXISTS {name}"))
        conn.execute(text(f"CREATE DATABASE {name}"))
    return admin_url.rsplit("/", 1)[0] + f"/{name}"


DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.mark.parametrize("empty_url", DATABASES, indirect=True)
def test_upgrade_from_empty_builds_every_table_of_the_models(empty_url):
    db = Database(empty_url)
    try:
        db.upgrade()
    finally:
        db.dispose()
    assert _tables(empty_url) == set(Base.metadata.tables)


@pytest.mark.parametrize("empty_url", DATABASES, indirect=True)
@pytest.mark.parametrize("start", [*RELEASED_HEADS, RELEASED_HEADS])
def test_upgrade_from_a_released_head_reaches_the_one_head(empty_url, start):
    engine = create_engine(empty_url)
    try:
        cfg = _config(engine)
        for head in (start if isinstance(start, tuple) else (start,)):
            command.upgrade(cfg, head)
    finally:
        engine.dispose()
    db = Database(empty_url)
    try:
        db.upgrade()
    finally:
        db.dispose()
    engine = create_engine(empty_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [HEAD]
    finally:
        engine.dispose()
    assert _tables(empty_url) == set(Base.metadata.tables)


@pytest.mark.parametrize("empty_url", DATABASES, indirect=True)
def test_versions_keep_their_meaning_across_the_governance_revision(empty_url):
    """Before 0014 the newest ordinary version was current and a newer one ended every older pilot."""
    engine = create_engine(empty_url)
    rows = [(1, None, "2026-01-01"), (2, '{"team": "north"}', "2026-01-02"), (3, None, "2026-01-03"),
            (4, '{"team": "south"}', "2026-01-04")]
    try:
        command.upgrade(_config(engine), "0010_one_head")
        with engine.begin() as conn:
            for number, rule, day in rows:
                conn.execute(text("INSERT INTO process_versions (process_id, name, number, content_hash, deployed_by, "
                                  "deployed_at, pilot_rule, note) VALUES ('p', 'P', :n, :h, 'ada', :at, :rule, '')"),
                             {"n": number, "h": f"hash{number}", "at": f"{day} 09:00:00+00:00", "rule": rule})
        command.upgrade(_config(engine), "0014_versions")
        with engine.connect() as conn:
            got = conn.execute(text("SELECT number, current_order, pilot_outcome, pilot_successor, pilot_ended_by "
                                    "FROM process_versions ORDER BY number")).all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in got] == [(1, 1, None, None, None), (2, None, "superseded", 3, "ada"),
                                       (3, 3, None, None, None), (4, None, None, None, None)]


@pytest.mark.parametrize("empty_url", DATABASES, indirect=True)
def test_the_work_item_indexes_of_the_models_are_built(empty_url):
    db = Database(empty_url)
    try:
        db.upgrade()
    finally:
        db.dispose()
    engine = create_engine(empty_url)
    try:
        built = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("work_items")}
    finally:
        engine.dispose()
    declared = {i.name: [c.name for c in i.columns] for i in Base.metadata.tables["work_items"].indexes}
    assert {name: built.get(name) for name in declared} == declared  # the insight migration adds two more
    assert built["ix_work_items_case"] == ["case_ref", "status"] and "ix_work_items_status_due" not in built

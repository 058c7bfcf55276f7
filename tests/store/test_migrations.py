"""The schema has one Alembic head, reached from an empty database and from each earlier released head."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

import engine.store.accounts  # noqa: F401  (each store module adds its tables to Base.metadata)
import engine.store.break_glass  # noqa: F401
import engine.store.cases  # noqa: F401
import engine.store.casework  # noqa: F401
import engine.store.clocks  # noqa: F401
import engine.store.governance  # noqa: F401
import engine.store.insight  # noqa: F401
import engine.store.mfa  # noqa: F401
import engine.store.tokens  # noqa: F401
from engine.store.db import MIGRATIONS, Database
from engine.store.models import Base

# The heads of the schema as released before the branches were merged (each a database's possible state).
RELEASED_HEADS = ("0004_clocks", "0005_break_glass", "0006_api_tokens", "0007_insight", "0008_form_library",
                  "0009_timer_lease_order")


def _config(engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def test_the_schema_has_exactly_one_head():
    heads = ScriptDirectory.from_config(_config(None)).get_heads()
    assert heads == ["0020_golive"]


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
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == ["0020_golive"]
    finally:
        engine.dispose()
    assert _tables(empty_url) == set(Base.metadata.tables)

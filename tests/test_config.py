"""Settings: every variable read in engine/config.py, listed in the README, checked at start."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from engine.config import KNOWN, VARIABLES, FiringSettings, ReminderPolicy, Settings
from engine.errors import InvalidSetting

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_lists_every_variable_and_no_other():
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Configuration", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([A-Z_]+)` \|", table, flags=re.M))
    assert listed == {v.name for v in VARIABLES}


def test_only_engine_config_reads_the_environment():
    readers = []
    for path in sorted([*ROOT.glob("engine/**/*.py"), *ROOT.glob("web/**/*.py"), *ROOT.glob("cli/**/*.py")]):
        if path.name == "config.py" and path.parent.name == "engine" or "migrations" in path.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and node.attr in ("environ", "getenv") and \
                    getattr(node.value, "id", "") == "os":
                readers.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert readers == []


def test_every_variable_the_config_reads_is_declared():
    source = (ROOT / "engine" / "config.py").read_text()
    named = set(re.findall(r'"((?:FRONTDOOR_|DATABASE_)[A-Z_]+)"', source))
    assert named <= KNOWN | {"FRONTDOOR_"}


def test_defaults_when_nothing_is_set():
    settings = Settings.from_env({})
    assert (settings.smtp_port, settings.session_minutes, settings.context_match_radius_m) == (0, 30, 250)
    assert settings.firing == FiringSettings() and settings.reminders == ReminderPolicy()


@pytest.mark.parametrize(("name", "raw", "words"), [
    ("FRONTDOOR_SMTP_PORT", "smtp", "FRONTDOOR_SMTP_PORT must be a whole number from 0 to 65535, not 'smtp'"),
    ("FRONTDOOR_SESSION_MINUTES", "0", "FRONTDOOR_SESSION_MINUTES must be a whole number from 1 to 1440"),
    ("FRONTDOOR_DIGEST_HOUR", "25", "FRONTDOOR_DIGEST_HOUR must be a whole number from 0 to 23"),
    ("FRONTDOOR_DUE_SOON_HOURS", "soon", "FRONTDOOR_DUE_SOON_HOURS must be a whole number"),
    ("FRONTDOOR_MATCH_RADIUS_M", "-5", "FRONTDOOR_MATCH_RADIUS_M must be a whole number from 1 to 100000"),
    ("FRONTDOOR_ENV", "prod", "FRONTDOOR_ENV must be development, test or production, not 'prod'"),
])
def test_a_value_that_cannot_be_used_is_refused_with_its_name(name, raw, words):
    with pytest.raises(InvalidSetting, match=re.escape(words)) as caught:
        Settings.from_env({name: raw})
    assert caught.value.details["setting"] == name


def test_production_refuses_development_defaults():
    with pytest.raises(InvalidSetting, match="FRONTDOOR_SECRET_KEY"):
        Settings.from_env({"FRONTDOOR_ENV": "production", "DATABASE_URL": "postgresql+psycopg://x@y/z"})
    with pytest.raises(InvalidSetting, match="DATABASE_URL must be set"):
        Settings.from_env({"FRONTDOOR_ENV": "production", "FRONTDOOR_SECRET_KEY": "k" * 40})

"""Template filters: times shown as people in the UK read them (Europe/London, 12-hour clock), ids as words."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask, g

from engine.cases.records import HARM_WORDS
from engine.people.names import group_names
from engine.processes.names import process_names
from web.context import services

LONDON = ZoneInfo("Europe/London")
SOURCE_TAG = re.compile(r"\s*\([^()]*\[S\d+\][^()]*\)|\s*\[S\d+\]")


def when(value: str | datetime | None) -> str:
    """An ISO time or datetime as GOV.UK style writes it: 2 March 2026 at 9:05am."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def due_words(reason: str | None) -> str:
    """A stored due reason without source references (tasks made before due reasons were plain words)."""
    return SOURCE_TAG.sub("", reason or "").strip()


def group_name(group_id: str) -> str:
    """A candidate group by the name people know it by (read once per request)."""
    if "group_names" not in g:
        g.group_names = group_names(services())
    return g.group_names.get(group_id, group_id.replace("_", " ").capitalize())


def process_name(process_id: str) -> str:
    """A route by the name its diagram gives it (read once per request)."""
    if "process_names" not in g:
        g.process_names = process_names(services())
    return g.process_names.get(process_id) or process_id.replace("_", " ").capitalize()


def harm_type(code: str) -> str:
    """A harm type code or word ("EFH-CCE", "criminal_exploitation") as words: "Criminal exploitation"."""
    return HARM_WORDS.get(code, code).replace("_", " ").capitalize()


def init_app(app: Flask) -> None:
    """Register the filters."""
    app.jinja_env.filters["when"] = when
    app.jinja_env.filters["due_words"] = due_words
    app.jinja_env.filters["group_name"] = group_name
    app.jinja_env.filters["harm_type"] = harm_type
    app.jinja_env.filters["process_name"] = process_name

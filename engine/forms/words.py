"""Stored values in the words people read: dates and times as GOV.UK writes them (Europe/London)."""

from __future__ import annotations

import re
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

LONDON = ZoneInfo("Europe/London")
ISO_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def date_words(value: Any, subtype: str = "date") -> str:
    """An ISO date, time or datetime as GOV.UK writes it ("14 March 2013", "2:30pm"); other text as given."""
    text = str(value).strip()
    try:
        if subtype == "time":
            return clock_words(time.fromisoformat(text))
        if subtype == "datetime" or "T" in text:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            local = moment.astimezone(LONDON) if moment.tzinfo else moment
            return f"{day_words(local.date())} at {clock_words(local.time())}"
        return day_words(date.fromisoformat(text))
    except ValueError:
        return text


def day_words(day: date) -> str:
    """14 March 2013."""
    return f"{day.day} {day:%B %Y}"


def clock_words(moment: time) -> str:
    """2:30pm."""
    hour = moment.hour % 12 or 12
    return f"{hour}:{moment:%M}{'am' if moment.hour < 12 else 'pm'}"


def value_words(value: Any) -> str:
    """Any stored value as plain words: dates in GOV.UK style, lists joined, yes/no for true/false."""
    if value is None or isinstance(value, dict):
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(w for w in (value_words(v) for v in value) if w)
    text = str(value).strip()
    if ISO_DAY.match(text) or ISO_MOMENT.match(text):
        return date_words(text)
    return text

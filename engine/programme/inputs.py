"""Checking what a person typed into a programme form: every problem at once, keyed by field, nothing stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from engine.errors import InvalidFormData


class Answers:
    """Collects cleaned values and the problems found; ``done()`` raises InvalidFormData if there were any."""

    def __init__(self, posted: dict[str, Any]) -> None:
        self.posted, self.errors = posted, {}

    def text(self, key: str, label: str, max_length: int, required: bool = True) -> str:
        """Trimmed text; a problem when required and blank, or longer than ``max_length``.

        Short answers (names, teams) are one line, so runs of spaces and line breaks become one space.
        """
        raw = str(self.posted.get(key) or "")
        value = " ".join(raw.split()) if max_length <= 200 else raw.strip()
        if required and not value:
            self.errors[key] = [f"Enter {label}"]
        elif len(value) > max_length:
            self.errors[key] = [f"{label[0].upper()}{label[1:]} must be {max_length} characters or fewer"]
        return value

    def choice(self, key: str, label: str, allowed: dict[str, str] | tuple[str, ...], required: bool = True) -> str:
        """One of ``allowed``; a problem otherwise (blank is allowed when not required)."""
        value = str(self.posted.get(key) or "").strip()
        if (value or required) and value not in allowed:
            self.errors[key] = [f"Choose {label}"]
        return value

    def day(self, key: str, label: str, required: bool = True) -> date | None:
        """A date written as YYYY-MM-DD; a problem when required and blank, or not a real date."""
        raw = str(self.posted.get(key) or "").strip()
        if not raw:
            if required:
                self.errors[key] = [f"Enter {label}"]
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            self.errors[key] = [f"{label[0].upper()}{label[1:]} must be a real date, like 2026-03-02"]
            return None

    def done(self) -> None:
        """Raise InvalidFormData with every problem found (nothing has been stored)."""
        if self.errors:
            raise InvalidFormData(self.errors)

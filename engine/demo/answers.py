"""Plausible answers to any form, for the demo: required fields filled, chosen answers kept.

The demo walks the routes with real forms; filling the fields it does not care about from the form
itself keeps it working when a form gains a required field.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.forms import Field, FormDefinition


def answers(form: FormDefinition, chosen: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """``chosen`` (nested by data path) plus an answer for every required field it leaves out."""
    return _fill(form.fields, dict(chosen), now)


def _fill(fields: tuple[Field, ...], chosen: dict[str, Any], now: datetime) -> dict[str, Any]:
    out = dict(chosen)
    for spec in fields:
        key = spec.key or spec.path.rsplit(".", 1)[-1].replace("[]", "")
        if spec.type == "group" and spec.path:
            section = _fill(spec.children, dict(out.get(key) or {}), now)
            if section:
                out[key] = section
        elif spec.type == "group":
            out.update(_fill(spec.children, out, now))
        elif spec.type == "dynamiclist":
            if key not in out and spec.required:
                out[key] = [_fill(spec.children, {}, now)]
        elif spec.is_input and key not in out and spec.required and spec.condition is None:
            out[key] = example(spec, now)
    return out


def example(spec: Field, now: datetime) -> Any:
    """One valid answer for a field, from its own rules."""
    if spec.type in ("radio", "select"):
        return spec.options[0][0] if spec.options else "demo"
    if spec.type in ("checklist", "taglist"):
        return [spec.options[0][0]] if spec.options else []
    if spec.type == "checkbox":
        return True
    if spec.type == "number":
        return int(spec.minimum) if spec.minimum is not None else 1
    if spec.type == "datetime":
        return {"time": "09:00", "datetime": now.strftime("%Y-%m-%dT%H:%M")}.get(spec.subtype or "date",
                                                                              now.date().isoformat())
    text = "Demo answer (fictional)"
    if spec.min_length and len(text) < spec.min_length:
        text = text.ljust(spec.min_length, ".")
    return text[: spec.max_length] if spec.max_length else text

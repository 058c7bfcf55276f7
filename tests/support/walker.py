"""Walk a process through the real services, answering each work item with valid form data.

Answers are generated from the task's form (first option, a short text, a date, the minimum
number), overridden per element id by the path under test. Every step goes through
``complete_work_item``, so the instance is saved to and restored from the database at every wait
state (the engine keeps nothing in memory between commands).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.forms import Field, FormDefinition
from engine.services.instances import InstanceView, get_instance
from engine.services.library import load_version
from engine.services.work import complete_work_item
from engine.store.models import Instance


def sample_value(field: Field) -> Any:
    """A valid answer for one input field."""
    if field.options:
        values = [v for v, _label in field.options]
        return values[:1] if field.multiple else values[0]
    if field.type == "checkbox":
        return True
    if field.type == "number":
        return field.minimum if field.minimum is not None else 1
    if field.type == "datetime":
        return "2026-03-02" if field.subtype in (None, "date") else "2026-03-02T09:00:00+00:00"
    text = "Fictional test answer"
    if field.min_length:
        text = text.ljust(field.min_length, ".")
    return text[: field.max_length] if field.max_length else text


def sample_answers(fields: tuple[Field, ...], overrides: Mapping[str, Any], base: str = "") -> dict[str, Any]:
    """Valid data for a list of fields (groups nest by their path, dynamic lists get one row)."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.type == "dynamiclist":
            _put(data, _relative(f.path, base), [sample_answers(f.children, {}, f.path + "[]")])
        elif f.type == "group":
            for key, value in sample_answers(f.children, overrides, base).items():
                _merge(data, key, value)
        elif f.is_input and not f.readonly:
            _put(data, _relative(f.path, base), overrides.get(f.key, sample_value(f)))
    return data


def _relative(path: str, base: str) -> str:
    return path[len(base) + 1:] if base and path.startswith(base + ".") else path


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[last] = value


def _merge(data: dict[str, Any], key: str, value: Any) -> None:
    if isinstance(value, dict) and isinstance(data.get(key), dict):
        for k, v in value.items():
            _merge(data[key], k, v)
    else:
        data[key] = value


def form_for(svc, item: Mapping[str, Any]) -> FormDefinition | None:
    """The form of a work item, from its instance's version."""
    with svc.db.read() as session:
        version_id = session.get(Instance, item["instance_id"]).version_id
        return load_version(session, version_id).form(item["form"])


def users_for(svc, groups: list[str]) -> str:
    """Some user in one of the groups (tests create one per group with ``ensure_group_users``)."""
    return f"user_{groups[0]}"


def walk(svc, instance_id: int, answers: Mapping[str, Mapping[str, Any]], *, max_steps: int = 80,
         stop_at: str | None = None) -> tuple[InstanceView, list[str]]:
    """Complete open work items (lowest id first) until none is left or ``stop_at`` is open."""
    done: list[str] = []
    view = get_instance(svc, instance_id)
    for _ in range(max_steps):
        if not view.open_work_items:
            break
        item = view.open_work_items[0]
        if item["element_id"] == stop_at:
            break
        form = form_for(svc, item)
        data = sample_answers(form.fields, answers.get(item["element_id"], {})) if form else {}
        view = complete_work_item(svc, item["id"], users_for(svc, item["groups"]), data)
        done.append(item["element_id"])
    return view, done

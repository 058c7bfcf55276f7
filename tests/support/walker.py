"""Walk a process through the real services, answering each work item with valid form data.

Answers are generated from the task's form (first option, a short text, a date, the minimum
number), overridden per element id by the path under test. Every step goes through
``complete_work_item``, so the instance is saved to and restored from the database at every wait
state (the engine keeps nothing in memory between commands).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from SpiffWorkflow.util.task import TaskState

from engine.forms import Field, FormDefinition
from engine.people.directory import add_user
from engine.runtime.instances import get_instance
from engine.runtime.services import Services
from engine.runtime.steps import restore
from engine.runtime.version_cache import load_version
from engine.scheduler.timers import fire_due
from engine.store.models import Instance
from engine.work.items import StepOutcome, complete_work_item

# The candidate group ids of docs/bpmn-conventions.md ("Groups").
GROUPS = ("front_door", "mash_social_worker", "mash_manager", "service_manager", "cs_lead", "assessment_team",
          "early_help", "review_unit", "conference_chair", "police", "health", "education", "community_safety",
          "licensing", "housing", "vcs", "town_planning", "youth_service", "youth_justice", "probation",
          "intelligence", "partnership", "critical_friend", "performance", "admin")

# Per element id: one set of overrides, or a list used lap by lap (the last one repeats).
Answers = Mapping[str, Mapping[str, Any] | Sequence[Mapping[str, Any]]]


def sample_value(field: Field) -> Any:
    """A valid answer for one input field."""
    if field.options:
        values = [v for v, _label in field.options]
        return values[:1] if field.multiple else values[0]
    if field.reference:  # a case reference must name a real open case: none unless the path under test gives one
        return ""
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
    """Valid data for a list of fields (groups nest by their path, dynamic lists get one row or the override)."""
    data: dict[str, Any] = {}
    for f in fields:
        if f.type == "dynamiclist":
            name = _relative(f.path, base)
            sample = [] if any(c.reference for c in f.children) else [sample_answers(f.children, {}, f.path + "[]")]
            rows = overrides.get(name) if name in overrides else sample
            _put(data, name, rows)
        elif f.type == "group":
            for key, value in sample_answers(f.children, overrides, base).items():
                _merge(data, key, value)
        elif f.is_input and not f.readonly:
            _put(data, _relative(f.path, base), overrides.get(f.key, sample_value(f)))
    return data


def field_names(fields: tuple[Field, ...]) -> set[str]:
    """Every key and path a form's fields answer to (so a path's overrides can be checked for typos)."""
    names: set[str] = set()
    for f in fields:
        names |= {n for n in (f.key, f.path) if n}
        names |= field_names(f.children)
    return names


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


def ensure_group_users(svc: Services) -> None:
    """One user per candidate group, named ``user_<group>``."""
    for group in GROUPS:
        add_user(svc, f"user_{group}", [group], "test")


def form_for(svc: Services, item: Mapping[str, Any]) -> FormDefinition | None:
    """The form of a work item, from its instance's version."""
    with svc.db.read() as session:
        version_id = session.get(Instance, item["instance_id"]).version_id
        return load_version(session, version_id).form(item["form"])


def user_for(item: Mapping[str, Any]) -> str:
    """The test user of the item's first candidate group (``ensure_group_users`` creates them)."""
    return f"user_{item['groups'][0]}"


def process_data(svc: Services, instance_id: int) -> Mapping[str, Any]:
    """The instance's process data, restored from the database."""
    with svc.db.read() as session:
        live, _ = restore(svc, session, session.get(Instance, instance_id), "test")
        return dict(live.data)


def reached(svc: Services, instance_id: int, state: int = TaskState.COMPLETED) -> set[str]:
    """Element ids (events and gateways too) in a state, read from the saved state, subprocesses included."""
    with svc.db.read() as session:
        saved = json.loads(session.get(Instance, instance_id).state)
    trees = [saved, *saved.get("subprocesses", {}).values()]
    return {t["task_spec"] for tree in trees for t in tree["tasks"].values() if t["state"] == state}


def answer(svc: Services, item: Mapping[str, Any], overrides: Mapping[str, Any]) -> StepOutcome:
    """Complete one work item with sample data plus ``overrides`` (unknown override keys are an error)."""
    form = form_for(svc, item)
    if form is None:
        return complete_work_item(svc, item["id"], user_for(item), {})
    unknown = set(overrides) - field_names(form.fields)
    if unknown:
        raise ValueError(f"{item['element_id']}: form {item['form']} has no field {sorted(unknown)}")
    return complete_work_item(svc, item["id"], user_for(item), sample_answers(form.fields, overrides))


def complete(svc: Services, instance_id: int, element_id: str, overrides: Mapping[str, Any] | None = None
             ) -> StepOutcome:
    """Complete the open work item of ``element_id`` (the first, if several); AssertionError if none is open."""
    open_items = get_instance(svc, instance_id).open_work_items
    items = [w for w in open_items if w["element_id"] == element_id]
    assert items, f"{element_id} is not open; open: {open_elements(open_items)}"
    return answer(svc, items[0], overrides or {})


def open_elements(items: Sequence[Mapping[str, Any]]) -> list[str]:
    """The element ids of some work items, sorted."""
    return sorted(w["element_id"] for w in items)


def _overrides_for(answers: Answers, element_id: str, lap: int) -> Mapping[str, Any]:
    given = answers.get(element_id, {})
    if isinstance(given, Mapping):
        return given
    return given[min(lap, len(given) - 1)] if given else {}


def walk(svc: Services, instance_id: int, answers: Answers, *, max_steps: int = 80,
         stop_at: str | None = None) -> tuple[StepOutcome, list[str]]:
    """Complete open work items (lowest id first) until none is left or ``stop_at`` is open.

    Returns the last outcome and the element ids completed, in order.
    """
    done: list[str] = []
    view = get_instance(svc, instance_id)
    outcome = StepOutcome(view.id, view.status, view.open_work_items)
    for _ in range(max_steps):
        if not outcome.open_work_items:
            break
        if stop_at is not None and stop_at in {w["element_id"] for w in outcome.open_work_items}:
            break
        item = outcome.open_work_items[0]
        outcome = answer(svc, item, _overrides_for(answers, item["element_id"], done.count(item["element_id"])))
        done.append(item["element_id"])
    return outcome, done


def fire_around(svc: Services, clock: Any, when: datetime) -> tuple[int, int]:
    """Fire due timers a minute before ``when`` and at ``when`` (moving the fake clock); the two counts."""
    clock.set(when - timedelta(minutes=1))
    before = fire_due(svc)
    clock.set(when)
    return before, fire_due(svc)

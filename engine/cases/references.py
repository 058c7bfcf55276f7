"""Case references typed into a form: every one must name an open case of the right type.

A text field whose form-js custom property ``caseReference`` is ``child`` or ``context`` holds one or
more references (separated by commas or spaces). Completing the form, at the front door or on a task,
checks each: an unknown or closed reference is a validation error naming the field, so nothing typed
is ever dropped without a word.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidFormData
from engine.forms import FormDefinition
from engine.store.cases import Case

SEPARATORS = re.compile(r"[\s,;]+")
KIND_WORDS = {"child": "child", "context": "context"}


def split_refs(value: Any) -> list[str]:
    """The references in one answer, upper case, in the order typed."""
    if isinstance(value, list):
        return [str(v).strip().upper() for v in value if str(v).strip()]
    return [part.upper() for part in SEPARATORS.split(str(value or "").strip()) if part]


def _answers_at(data: Any, parts: list[str], where: str) -> Iterator[tuple[str, Any]]:
    """(error key, value) for a field path such as ``rows[].child_reference`` in nested answers."""
    if not parts:
        yield where, data
        return
    head, rest = parts[0], parts[1:]
    if not isinstance(data, Mapping):
        return
    if head.endswith("[]"):
        name = head[:-2]
        for i, row in enumerate(data.get(name) or []):
            yield from _answers_at(row, rest, f"{where}{'.' if where else ''}{name}[{i}]")
    elif head in data:
        yield from _answers_at(data[head], rest, f"{where}{'.' if where else ''}{head}")


def referenced(form: FormDefinition | None, answers: Mapping[str, Any]) -> list[tuple[str, str, list[str]]]:
    """(field key, case type, references) for every reference field answered in ``answers``."""
    if form is None:
        return []
    found = []
    for spec in form.iter_fields():
        if spec.reference and spec.path:
            for key, value in _answers_at(answers, spec.path.replace("[]", "[].").replace("..", ".").split("."),
                                          ""):
                refs = split_refs(value)
                if refs:
                    found.append((key, spec.reference, refs))
    return found


def check_references(session: Session, form: FormDefinition | None, answers: Mapping[str, Any]) -> None:
    """Raise InvalidFormData naming each field whose references are unknown, of the wrong type, or closed."""
    errors: dict[str, list[str]] = {}
    for key, kind, refs in referenced(form, answers):
        # plain columns: inside a step this runs on the step's Core connection (no ORM session needed)
        rows = {row.ref: row for row in session.execute(
            select(Case.ref, Case.subject_type, Case.status, Case.merged_into).where(Case.ref.in_(refs)))}
        for ref in refs:
            problem = _problem(rows.get(ref), ref, kind)
            if problem:
                errors.setdefault(key, []).append(problem)
    if errors:
        raise InvalidFormData(errors)


def _problem(case: Any, ref: str, kind: str) -> str | None:
    word = KIND_WORDS[kind]
    if case is None or case.subject_type != kind:
        return f"There is no {word} case with the reference {ref}: check the reference"
    if case.merged_into:
        return f"{ref} was merged into {case.merged_into}: use {case.merged_into}"
    if case.status != "open":
        return f"The {word} case {ref} is closed: only an open case can be linked"
    return None

"""Files named in a task form's answers: each must be a document attached to that very task.

A file picker's answer is document ids (engine/forms). The page stores each file first, on the task and
its case; completing the form then checks every id it names is such a document, still there, so a
posted id can never point at another case's document.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import InvalidFormData
from engine.forms import FormDefinition
from engine.store.casework import Document


def file_answers(form: FormDefinition | None, answers: Mapping[str, Any]) -> Iterator[tuple[str, list[int]]]:
    """(field path, document ids) for each top-level or grouped file picker answered."""
    if form is None:
        return
    for spec in form.iter_fields():
        if spec.type != "filepicker" or "[]" in spec.path:
            continue
        value: Any = answers
        for part in spec.path.split("."):
            value = value.get(part) if isinstance(value, Mapping) else None
        if value not in (None, [], ""):
            yield spec.path, [int(v) for v in (value if isinstance(value, list) else [value])]


def check_task_files(session: Session, form: FormDefinition | None, answers: Mapping[str, Any],
                     work_item_id: int) -> None:
    """Raise InvalidFormData naming each file picker whose documents are not attached to this task."""
    errors: dict[str, list[str]] = {}
    for path, ids in file_answers(form, answers):
        # plain columns: inside a step this runs on the step's Core connection
        found = set(session.execute(select(Document.id).where(
            Document.id.in_(ids), Document.work_item_id == work_item_id, Document.deleted_at.is_(None))).scalars())
        if set(ids) - found:
            errors[path] = ["Attach the file again: a file named in the answers is not attached to this task"]
    if errors:
        raise InvalidFormData(errors)


def has_file_pickers(form: FormDefinition | None) -> bool:
    """True when the form has a file picker (its page must post files)."""
    return form is not None and any(spec.type == "filepicker" for spec in form.iter_fields())

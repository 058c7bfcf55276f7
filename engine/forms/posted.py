"""Turn an HTML form post into the nested answers a form definition describes.

Naming scheme, shared with the renderer through ``field_name``: a field's HTML ``name`` (and ``id``)
is its data path with list rows as numbered segments, joined by dots: ``name``, ``referrer.name``,
``actions.0.owner``. Form keys are letters, digits and ``_`` only (checked at deploy), so the dots,
digits and the ``-`` suffixes below can never clash with a key.

- GOV.UK date input (``datetime`` subtype ``date``): ``<name>-day``, ``<name>-month``, ``<name>-year``.
- ``datetime`` subtype ``datetime``: those three plus ``<name>-time`` (``HH:MM``).
- Checkboxes (``checklist``, ``taglist``): repeated ``<name>``; a single ``checkbox`` posts any value.
- A file picker posts the ids of the documents it attached (the page stores the files first), repeated.
- Dynamic-list rows are numbered from 0 without gaps; reading stops at the first row number for which
  nothing at all was posted, and trailing empty rows are dropped.

Nothing here imports a web framework: ``post`` is anything with ``get(name)`` and ``getlist(name)``,
such as werkzeug's MultiDict.
"""

from __future__ import annotations

import contextlib
import re
from datetime import date
from typing import Any, Protocol

from engine.forms.definition import Field, FormDefinition
from engine.forms.validation import MAX_ROWS

DATE_PARTS = ("day", "month", "year")


class PostedForm(Protocol):
    """What we need from a posted HTML form (werkzeug's MultiDict fits)."""

    def get(self, key: str, default: Any = None) -> Any:
        """The first value posted under ``key``, or ``default``."""

    def getlist(self, key: str) -> list[Any]:
        """Every value posted under ``key``, in order."""


def field_name(path: str) -> str:
    """HTML name for a concrete data path: ``actions[1].owner`` → ``actions.1.owner``."""
    return re.sub(r"\[(\d+)\]", r".\1", path)


def data_path(template: str, rows: tuple[int, ...]) -> str:
    """Fill a field's path template with row numbers: (``actions[].owner``, (1,)) → ``actions[1].owner``."""
    parts = template.split("[]")
    if len(parts) - 1 != len(rows):
        raise ValueError(f"{template!r} needs {len(parts) - 1} row number(s), got {len(rows)}")
    path = parts[0]
    for row, part in zip(rows, parts[1:], strict=True):
        path += f"[{row}]{part}"
    return path


def data_from_post(form: FormDefinition, post: PostedForm) -> dict[str, Any]:
    """Nested answers from an HTML post; blanks are omitted so the validator can say what is missing."""
    data: dict[str, Any] = {}
    _read_into(data, form.fields, post, (), "")
    return data


def _read_into(
    data: dict[str, Any], fields: tuple[Field, ...], post: PostedForm, rows: tuple, base: str
) -> None:
    for f in fields:
        if f.type == "group":
            _read_into(data, f.children, post, rows, base)
        elif f.type == "dynamiclist" and f.path:
            items = _read_rows(f, post, rows)
            if items:
                _put(data, _relative(f.path, base), items)
        elif f.is_input and not f.readonly:
            value = _value(f, post, field_name(data_path(f.path, rows)))
            if value is not None:
                _put(data, _relative(f.path, base), value)


def _read_rows(spec: Field, post: PostedForm, rows: tuple) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for index in range(min(MAX_ROWS, int(spec.maximum or MAX_ROWS))):
        if not _row_posted(spec.children, post, (*rows, index)):
            break
        row: dict[str, Any] = {}
        _read_into(row, spec.children, post, (*rows, index), spec.path + "[]")
        items.append(row)
    while items and _empty(items[-1]):
        items.pop()
    return items


def _row_posted(fields: tuple[Field, ...], post: PostedForm, rows: tuple) -> bool:
    for f in fields:
        if f.type == "group" and _row_posted(f.children, post, rows):
            return True
        if f.type == "dynamiclist" and f.path and _row_posted(f.children, post, (*rows, 0)):
            return True
        if f.is_input:
            name = field_name(data_path(f.path, rows))
            names = [name, *(f"{name}-{part}" for part in (*DATE_PARTS, "time"))]
            if any(post.get(n) is not None for n in names):
                return True
    return False


def _value(spec: Field, post: PostedForm, name: str) -> Any:
    if spec.type == "checkbox":
        # An unticked box posts nothing at all, so absence is a real "no".
        return post.get(name) is not None
    if spec.multiple or spec.type == "filepicker":
        chosen = [v.strip() for v in post.getlist(name) if isinstance(v, str) and v.strip()]
        if spec.type == "filepicker" and not spec.multiple:
            return chosen[-1] if chosen else None  # the newest file replaces the one attached before
        return chosen or None
    if spec.type == "datetime" and spec.subtype in ("date", "datetime"):
        return _date_value(post, name, with_time=spec.subtype == "datetime")
    return _text(post.get(name))


def _date_value(post: PostedForm, name: str, with_time: bool) -> str | None:
    day, month, year = (_text(post.get(f"{name}-{part}")) or "" for part in DATE_PARTS)
    if not (day or month or year):
        return _text(post.get(name))  # a single ISO input, or nothing
    # Invalid combinations are passed on as typed, so the validator can say "must be a real date".
    value = f"{year}-{month}-{day}"
    if day.isdigit() and month.isdigit() and len(year) == 4 and year.isdigit():
        with contextlib.suppress(ValueError, OverflowError):
            value = date(int(year), int(month), int(day)).isoformat()
    if with_time:
        value = f"{value}T{_text(post.get(f'{name}-time')) or ''}"
    return value


def _text(value: Any) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return value.strip()


def _relative(path: str, base: str) -> str:
    return path[len(base) + 1 :] if base else path


def _put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, name = path.split(".")
    for part in parents:
        data = data.setdefault(part, {})
    data[name] = value


def _empty(value: Any) -> bool:
    if isinstance(value, dict):
        return all(_empty(v) for v in value.values())
    if isinstance(value, list):
        return all(_empty(v) for v in value)
    return value is False or value is None

"""A form's answers as people read them: the form's labels, choices by their labels, dates as GOV.UK writes
them, repeatable rows as tables, empty answers left out (docs/decisions.md, D20).

One renderer for every place a record is read (the case page, a task page's context, the instance page,
the print view and the API); need-to-know is applied by the ``Mask`` the caller hands in, so a withheld
value never reaches a page.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from engine.forms.definition import Field, FormDefinition
from engine.forms.templating import fill_text
from engine.forms.words import date_words

# Given a field and its stored value: None to show it as usual, or the words to show instead.
Mask = Callable[[Field, Any], str | None]


@dataclass(frozen=True)
class Answer:
    """One answer: ``kind`` "text" (value is words), "group" (value is answers) or "rows" (a list of rows)."""

    label: str
    value: Any
    kind: str = "text"
    path: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form: ``{label, value}`` with nested answers for groups and rows."""
        if self.kind == "group":
            value: Any = [a.to_dict() for a in self.value]
        elif self.kind == "rows":
            value = [[a.to_dict() for a in row] for row in self.value]
        else:
            value = self.value
        return {"label": self.label, "value": value, "kind": self.kind}


def render_answers(form: FormDefinition, data: Mapping[str, Any], mask: Mask | None = None) -> list[Answer]:
    """The answers ``data`` holds for ``form``, in form order; fields with no answer are left out."""
    return _answers(form.fields, data if isinstance(data, Mapping) else {}, "", mask, data)


def _answers(fields: tuple[Field, ...], scope: Mapping[str, Any], base: str, mask: Mask | None,
             data: Mapping[str, Any]) -> list[Answer]:
    out: list[Answer] = []
    for f in fields:
        if f.type == "group":
            inner = _answers(f.children, scope, base, mask, data)
            if inner and f.label:
                out.append(Answer(fill_text(f.label, data), inner, "group", f.path))
            else:
                out.extend(inner)
        elif f.type == "dynamiclist" and f.path:
            rows = _at(scope, _relative(f.path, base))
            shown = [_answers(f.children, row, f.path + "[]", mask, data) for row in rows or []
                     if isinstance(row, Mapping)] if isinstance(rows, list) else []
            shown = [row for row in shown if row]
            if shown:
                out.append(Answer(_label(f, data), shown, "rows", f.path))
        elif f.is_input:
            value = _at(scope, _relative(f.path, base))
            words = _masked(f, value, mask) if not _empty(value) else None
            if words:
                out.append(Answer(_label(f, data), words, "text", f.path))
    return out


def _masked(f: Field, value: Any, mask: Mask | None) -> str:
    instead = mask(f, value) if mask is not None else None
    return instead if instead is not None else shown_value(f, value)


def shown_value(f: Field, value: Any) -> str:
    """One stored value as a person reads it: option labels, GOV.UK dates, Yes or No."""
    if f.type == "checkbox":
        return "Yes" if value is True else "No"
    if f.options:
        labels = dict(f.options)
        values = value if isinstance(value, list | tuple) else [value]
        return ", ".join(labels.get(str(v), str(v)) for v in values)
    if f.type == "datetime":
        return date_words(value, f.subtype or "date")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value).strip()


def _label(f: Field, data: Mapping[str, Any]) -> str:
    return fill_text(f.label, data) if f.label else f.key.replace("_", " ").capitalize()


def _relative(path: str, base: str) -> str:
    return path[len(base) + 1:] if base and path.startswith(base + ".") else path


def _at(scope: Mapping[str, Any], path: str) -> Any:
    value: Any = scope
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def _empty(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | tuple | dict) and not value)

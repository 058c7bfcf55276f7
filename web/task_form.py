"""Turn a form-js definition plus answers and errors into GOV.UK component parameters, server-side.

Names and ids follow ``engine.forms.posted`` (``field_name``), so ``data_from_post`` reads back exactly
what is rendered here. Repeatable rows grow without JavaScript: the "Add another" button posts the
form with ``add_row=<list name>`` and the page comes back with one more row.

A fresh form starts with the answers the instance already holds under its fields' keys (form-js's own
rule), then the form's defaults. Text and labels may name ``{{ variables }}`` of the instance's data
(engine/forms/templating.py). A question with a ``conditional.hide`` is nested under the choice that
shows it (GOV.UK's conditional reveal, which without JavaScript simply shows it); any other condition is
decided here from the answers, as the server decides when the form is posted. Read-only fields are
shown as a summary, not as inputs.

A file picker is a GOV.UK file upload; the files it already attached are ticked boxes under the same name
(untick to leave one out), since a browser never sends a chosen file twice.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from engine.forms import Field, FormDefinition, data_path, field_name
from engine.forms.answers import shown_value
from engine.forms.conditions import is_hidden, revealed_by
from engine.forms.templating import fill_text, render_markdown

ADD_ROW = "add_row"
_PART = re.compile(r"[^.\[\]]+|\[\d+\]")


@dataclass
class RenderedForm:
    """Component nodes for the template, and the error summary's list in form order."""

    nodes: list[dict[str, Any]]
    error_list: list[dict[str, str]] = field(default_factory=list)
    has_files: bool = False  # the form posts files, so it must be sent as multipart/form-data


@dataclass
class _Build:
    answers: dict[str, Any]
    errors: dict[str, list[str]]
    extra_rows: dict[str, int]
    use_defaults: bool
    data: dict[str, Any] = field(default_factory=dict)
    anchors: dict[str, str] = field(default_factory=dict)
    files: dict[int, str] = field(default_factory=dict)
    has_files: bool = False


def render_form(form: FormDefinition, answers: dict[str, Any] | None, errors: dict[str, list[str]] | None = None,
                extra_rows: dict[str, int] | None = None, data: dict[str, Any] | None = None,
                files: dict[int, str] | None = None) -> RenderedForm:
    """Nodes for every component; ``answers`` None means a fresh form, started from ``data`` then defaults.

    ``data`` is what the instance holds: its values fill a fresh form's fields of the same key, and the
    form's ``{{ variables }}``. Read-only fields always show the instance's value. ``files`` names the
    documents already attached through the form's file pickers (id -> file name).
    """
    data = data or {}
    start = answers if answers is not None else prefilled(form, data)
    build = _Build(start, errors or {}, extra_rows or {}, answers is None, data, files=files or {})
    nodes = _nodes(form.fields, (), build)
    error_list = [{"text": messages[0], **({"href": f"#{build.anchors[path]}"} if path in build.anchors else {})}
                  for path, messages in build.errors.items() if messages]
    return RenderedForm(nodes, error_list, build.has_files)


def lookup(answers: Any, path: str) -> Any:
    """The answer at a concrete data path (``actions[1].owner``), or None."""
    value = answers
    for part in _PART.findall(path):
        if part.startswith("["):
            index = int(part[1:-1])
            value = value[index] if isinstance(value, list) and index < len(value) else None
        else:
            value = value.get(part) if isinstance(value, dict) else None
        if value is None:
            return None
    return value


def prefilled(form: FormDefinition, data: dict[str, Any]) -> dict[str, Any]:
    """The answers a fresh form starts with: the instance's values under the form's own keys."""
    out: dict[str, Any] = {}
    for f in form.fields:
        _prefill(f, data, out)
    return out


def _prefill(f: Field, data: Any, out: dict[str, Any]) -> None:
    if f.type == "group" and not f.key:
        for child in f.children:
            _prefill(child, data, out)
        return
    if not (f.is_input or f.type in ("group", "dynamiclist")) or not f.key or not isinstance(data, dict):
        return
    *parents, name = f.key.split(".")
    source: Any = data
    for part in parents:
        source = source.get(part) if isinstance(source, dict) else None
    value = source.get(name) if isinstance(source, dict) else None
    if value is None or (f.type == "group" and not isinstance(value, dict)):
        return
    target = out
    for part in parents:
        target = target.setdefault(part, {})
    target[name] = value


def _nodes(fields: tuple[Field, ...], rows: tuple[int, ...], build: _Build) -> list[dict[str, Any]]:
    built = [(f, _node(f, rows, build)) for f in fields]
    choices = {f.key: node for f, node in built if node is not None and node["kind"] in ("radios", "checkboxes")}
    nodes = []
    for f, node in built:
        if node is None:
            continue
        shown_by = revealed_by(f.condition) if f.condition else None
        item = _reveal_item(choices.get(shown_by[0]), shown_by[1]) if shown_by else None
        if item is not None:
            item.setdefault("reveal", []).append(node)  # GOV.UK conditional reveal under the choice
        elif not (f.condition and is_hidden(f.condition, build.answers)):
            nodes.append(node)
    return _summaries(nodes)


def _summaries(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Consecutive read-only answers become one GOV.UK summary list."""
    out: list[dict[str, Any]] = []
    for node in nodes:
        if node["kind"] == "readonly":
            if not (out and out[-1]["kind"] == "summary"):
                out.append({"kind": "summary", "rows": []})
            out[-1]["rows"].append({"key": {"text": node["label"]}, "value": {"text": node["value"]}})
        else:
            out.append(node)
    return out


def _reveal_item(choice: dict[str, Any] | None, value: Any) -> dict[str, Any] | None:
    if choice is None:
        return None
    wanted = "yes" if value is True else value
    return next((i for i in choice["params"]["items"] if i["value"] == wanted), None)


def _node(f: Field, rows: tuple[int, ...], build: _Build) -> dict[str, Any] | None:
    if f.type == "text":
        return {"kind": "html", "html": Markup(render_markdown(f.text, build.data))}  # noqa: S704 - escaped
    if f.type == "group":
        return {"kind": "group", "legend": fill_text(f.label, build.data), "children": _nodes(f.children, rows, build)}
    if f.type == "dynamiclist" and f.path:
        return _readonly_rows(f, rows, build) if f.readonly else _list_node(f, rows, build)
    if not f.is_input:
        return None  # html, spacer, separator, button: no data, and raw HTML is never echoed
    path = data_path(f.path, rows)
    if f.readonly:
        value = lookup(build.data, path)
        return {"kind": "readonly", "label": _label(f, build), "value": shown_value(f, value)} \
            if value not in (None, "", []) else None
    name = field_name(path)
    value = lookup(build.answers, path)
    if value is None and build.use_defaults:
        value = f.default
    messages = build.errors.get(path)
    return _input_node(f, name, value, {"text": messages[0]} if messages else None, build, path)


def _readonly_rows(f: Field, rows: tuple[int, ...], build: _Build) -> dict[str, Any] | None:
    """A read-only list (the goals being re-measured) as a table of the instance's rows."""
    found = lookup(build.data, data_path(f.path, rows))
    columns = [c for c in f.children if c.is_input]
    table = [[shown_value(c, r.get(c.key)) if r.get(c.key) not in (None, "", []) else "" for c in columns]
             for r in found or [] if isinstance(r, dict)]
    if not table:
        return None
    return {"kind": "readonly_rows", "caption": _label(f, build), "head": [_label(c, build) for c in columns],
            "rows": table}


def _label(f: Field, build: _Build) -> str:
    return fill_text(f.label, build.data) if f.label else f.key.replace("_", " ").capitalize()


def _list_node(f: Field, rows: tuple[int, ...], build: _Build) -> dict[str, Any]:
    path = data_path(f.path, rows)
    name = field_name(path)
    existing = lookup(build.answers, path)
    count = max(len(existing) if isinstance(existing, list) else 0, f.default_rows) + build.extra_rows.get(name, 0)
    if f.maximum is not None:
        count = min(count, int(f.maximum))
    label = _label(f, build)
    row_nodes = [{"legend": f"{label} {n + 1}", "children": _nodes(f.children, (*rows, n), build)}
                 for n in range(count)]
    build.anchors[path] = name
    messages = build.errors.get(path)
    can_add = f.maximum is None or count < int(f.maximum)
    return {"kind": "list", "id": name, "legend": label, "rows": row_nodes, "add_name": ADD_ROW, "add_value": name,
            "can_add": can_add, "error": messages[0] if messages else None}


def _input_node(f: Field, name: str, value: Any, error: dict | None, build: _Build, path: str) -> dict[str, Any]:
    build.anchors[path] = name
    base = {"id": name, "name": name, "errorMessage": error}
    hint = {"text": fill_text(f.hint, build.data)} if f.hint else None
    label = {"text": _label(f, build), "classes": "govuk-label--s"}
    legend = {"legend": {"text": _label(f, build), "classes": "govuk-fieldset__legend--s"}}
    if f.type == "textarea":
        return {"kind": "textarea", "params": {**base, "label": label, "hint": hint, "value": value or ""}}
    if f.type == "textfield":
        kind = {"email": "email", "phone": "tel"}.get(f.validation_type, "text")
        return {"kind": "input", "params": {**base, "label": label, "hint": hint, "value": value or "", "type": kind}}
    if f.type == "number":
        mode = "numeric" if f.decimal_digits == 0 else "decimal"
        return {"kind": "input", "params": {**base, "label": label, "hint": hint, "value": _text(value),
                                            "inputmode": mode, "spellcheck": False,
                                            "classes": "govuk-input--width-10"}}
    if f.type == "datetime":
        return _date_node(f, base, value, legend, hint, build, path)
    if f.type == "filepicker":
        return _file_node(f, base, value, label, hint, build)
    return _choice_node(f, name, value, base, label, legend, hint)


def _file_node(f: Field, base: dict, value: Any, label: dict, hint: dict | None, build: _Build) -> dict[str, Any]:
    """A GOV.UK file upload, with the files it attached already as ticked boxes (untick to leave one out)."""
    build.has_files = True
    ids = value if isinstance(value, list | tuple) else ([] if value in (None, "") else [value])
    attached = [{"value": str(i), "text": build.files.get(int(i), "A file attached before"), "checked": True}
                for i in ids if str(i).isdigit()]
    attributes = {"accept": ",".join(f.accept)} if f.accept else {}
    if f.multiple:
        attributes["multiple"] = "multiple"
    upload = {**base, "label": label, "hint": hint, "attributes": attributes}
    if attached:
        upload["label"] = {**label, "text": ("Add more files" if f.multiple else "Replace the file")
                           + f" ({label['text']})"}
    node = {"kind": "file", "params": upload}
    if attached:
        node["attached"] = {"idPrefix": f"{base['name']}-attached", "name": base["name"], "items": attached,
                            "fieldset": {"legend": {"text": f"Attached: {label['text']}",
                                                    "classes": "govuk-fieldset__legend--s"}}}
    return node


def _choice_node(f: Field, name: str, value: Any, base: dict, label: dict, legend: dict, hint: dict | None) -> dict:
    if f.type == "select":
        items = [{"value": "", "text": "Choose"}] + [{"value": v, "text": t} for v, t in f.options]
        return {"kind": "select", "params": {**base, "label": label, "hint": hint, "items": items,
                                             "value": value or ""}}
    if f.type == "checkbox":
        item = {"value": "yes", "text": label["text"], "checked": value is True}
        return {"kind": "checkboxes", "params": {"idPrefix": name, "name": name, "items": [item], "hint": hint,
                                                 "errorMessage": base["errorMessage"]}}
    chosen = set(value) if isinstance(value, list | tuple) else {value}
    items = [{"value": v, "text": t, "checked": v in chosen} for v, t in f.options]
    kind = "checkboxes" if f.multiple else "radios"
    return {"kind": kind, "params": {"idPrefix": name, "name": name, "fieldset": legend, "hint": hint,
                                     "items": items, "errorMessage": base["errorMessage"]}}


def _date_node(f: Field, base: dict, value: Any, legend: dict, hint: dict | None, build: _Build,
               path: str) -> dict[str, Any]:
    name = base["name"]
    if f.subtype == "time":
        example = {"text": "For example, 14:30"}
        return {"kind": "input", "params": {**base, "label": legend["legend"], "hint": hint or example,
                                            "value": _text(value), "classes": "govuk-input--width-5"}}
    day_part, _, time_part = _text(value).partition("T")
    parts = (day_part.split("-") + ["", "", ""])[:3] if day_part else ["", "", ""]
    year, month, day = parts
    wrong = " govuk-input--error" if base["errorMessage"] else ""
    items = [{"name": "day", "value": day, "classes": "govuk-input--width-2" + wrong},
             {"name": "month", "value": month, "classes": "govuk-input--width-2" + wrong},
             {"name": "year", "value": year, "classes": "govuk-input--width-4" + wrong}]
    build.anchors[path] = f"{name}-day"
    node = {"kind": "date", "params": {"id": name, "namePrefix": name, "fieldset": legend, "items": items,
                                       "hint": hint or {"text": "For example, 27 3 2026"},
                                       "errorMessage": base["errorMessage"]}}
    if f.subtype == "datetime":
        node["time"] = {"id": f"{name}-time", "name": f"{name}-time", "value": time_part[:5],
                        "label": {"text": "Time"}, "hint": {"text": "For example, 14:30"},
                        "classes": "govuk-input--width-5"}
    return node


def _text(value: Any) -> str:
    return "" if value is None else str(value)

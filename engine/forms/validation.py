"""Validate submitted answers with a marshmallow schema compiled from a form definition.

Messages follow the GOV.UK Design System's error message patterns ("Enter ...", "Select ...",
"... must be 200 characters or fewer") and name the field, so a worker can act on them.
"""

from __future__ import annotations

import re
from collections import ChainMap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from functools import partial as bind
from typing import Any

from marshmallow import Schema, ValidationError, fields

from engine.errors import InvalidFormData
from engine.forms.conditions import is_hidden as hidden_by_condition
from engine.forms.definition import Field, FormDefinition

# A hard ceiling on rows even when the form sets no maximum, so one post cannot make us loop for ever.
MAX_ROWS = 200
FORM_KEY = "_form"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
PHONE = re.compile(r"^\+?\d{7,15}$")
NUMBER = re.compile(r"^[+-]?\d{1,20}(\.\d{1,20})?$")
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
TIME = re.compile(r"^\d{2}:\d{2}(:\d{2})?$")
DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?$")

# Given a form's FEEL hide condition and the answers in scope, say whether the field is hidden.
HiddenTest = Callable[[str, Mapping[str, Any]], bool]

_COMPILED: dict[tuple[str, bool], type[Schema]] = {}
_COMPILED_LIMIT = 256


def validate_submission(
    form: FormDefinition,
    data: Mapping[str, Any],
    *,
    partial: bool = False,
    is_hidden: HiddenTest | None = hidden_by_condition,
) -> dict[str, Any]:
    """Check and clean answers; ``partial`` skips required checks (drafts). Raises InvalidFormData.

    form-js semantics: a field whose ``conditional.hide`` holds for the answers is neither kept nor
    checked, and a shown field marked required is required (``is_hidden`` decides; None makes every
    conditional field optional). Read-only fields' answers are dropped: they come from the process,
    not from the person submitting.
    """
    if not isinstance(data, Mapping):
        raise InvalidFormData({FORM_KEY: ["Send the form's answers as a JSON object"]})
    layout = _cached_layout(form)
    prep = _Prep(partial, is_hidden)
    prepared = _prepare(layout, data, prep, "", ChainMap(dict(data)))
    errors: dict[str, list[str]] = {}
    try:
        cleaned = _schema_instance(form, partial).load(prepared)
    except ValidationError as exc:
        _flatten(exc.messages, "", errors)
    errors.update(prep.errors)  # found while preparing, so more specific than the schema's view
    if errors:
        raise InvalidFormData(_in_form_order(form, errors))
    return _drop_added_groups(layout, cleaned, data)


def compiled_schema(form: FormDefinition, partial: bool = False) -> type[Schema]:
    """The marshmallow schema for a form, compiled once per content hash."""
    key = (form.content_hash, partial)
    if key not in _COMPILED:
        if len(_COMPILED) >= _COMPILED_LIMIT:
            _COMPILED.clear()
        _COMPILED[key] = _schema(_layout(form.fields), partial)
    return _COMPILED[key]


_INSTANCES: dict[tuple[str, bool], Schema] = {}
_LAYOUTS: dict[str, dict[str, Any]] = {}


def _schema_instance(form: FormDefinition, partial: bool) -> Schema:
    """A reusable schema instance (loading keeps no state on it; building one costs more than a load)."""
    key = (form.content_hash, partial)
    if key not in _INSTANCES:
        if len(_INSTANCES) >= _COMPILED_LIMIT:
            _INSTANCES.clear()
        _INSTANCES[key] = compiled_schema(form, partial)()
    return _INSTANCES[key]


def _cached_layout(form: FormDefinition) -> dict[str, Any]:
    if form.content_hash not in _LAYOUTS:
        if len(_LAYOUTS) >= _COMPILED_LIMIT:
            _LAYOUTS.clear()
        _LAYOUTS[form.content_hash] = _layout(form.fields)
    return _LAYOUTS[form.content_hash]


def required_message(spec: Field) -> str:
    """What to tell someone who left a required field empty: the form's own words, else GOV.UK's pattern."""
    if spec.error_message:
        return spec.error_message
    if spec.type == "dynamiclist":
        return f"Add at least 1 {spec.message_label()}"
    if spec.type == "filepicker":
        return f"Attach {spec.message_label()}"
    verb = "Enter" if spec.type in ("textfield", "textarea", "number", "datetime") else "Select"
    label = spec.label.strip()
    if label.endswith("?") and not spec.error_label:  # a question: "Select an answer to ..." stays grammatical
        return f"{verb} an answer to ‘{label}’"
    return f"{verb} {spec.message_label()}"


# --- shape of the data --------------------------------------------------------------------------


def _layout(fields_: tuple[Field, ...], into: dict[str, Any] | None = None) -> dict[str, Any]:
    """Names to a Field (a value), a dict (a nested object) or (list Field, row layout)."""
    into = {} if into is None else into
    for f in fields_:
        if f.type == "group":
            _layout(f.children, _descend(into, f.key.split(".")) if f.key else into)
        elif f.type == "dynamiclist" and f.key:
            *parents, name = f.key.split(".")
            _descend(into, parents)[name] = (f, _layout(f.children))
        elif f.is_input:
            *parents, name = f.key.split(".")
            _descend(into, parents)[name] = f
    return into


def _descend(layout: dict[str, Any], parts: list[str]) -> dict[str, Any]:
    for part in parts:
        layout = layout.setdefault(part, {})
    return layout


# --- preparing answers before the schema sees them -----------------------------------------------


@dataclass
class _Prep:
    partial: bool
    is_hidden: HiddenTest | None
    errors: dict[str, list[str]] = field(default_factory=dict)

    def hidden(self, spec: Field, context: Mapping[str, Any]) -> bool:
        """True when a hide condition on the field or one of its groups holds."""
        return self.is_hidden is not None and any(self.is_hidden(expr, context) for expr in spec.hidden_if)


def _prepare(
    layout: dict[str, Any], data: Mapping[str, Any], prep: _Prep, prefix: str, context: ChainMap
) -> dict[str, Any]:
    """Drop blank, hidden and read-only answers; unknown names stay so the schema reports them."""
    out = dict(data)
    for name, entry in layout.items():
        path = f"{prefix}.{name}" if prefix else name
        value = out.get(name)
        if isinstance(entry, dict):
            if value is None and not prep.partial:
                value = {}  # so the group's required fields are reported one by one
            if isinstance(value, Mapping):
                out[name] = _prepare(entry, value, prep, path, context.new_child(dict(value)))
        elif isinstance(entry, tuple):
            _prepare_rows(entry, out, name, path, prep, context)
        else:
            _prepare_answer(entry, out, name, path, prep, context)
    return out


def _prepare_rows(entry: tuple, out: dict, name: str, path: str, prep: _Prep, context: ChainMap) -> None:
    spec, rows = entry
    value = out.get(name)
    hidden = prep.hidden(spec, context)
    if hidden or _blank(value):
        out.pop(name, None)
        if not hidden and spec.hidden_if and prep.is_hidden and spec.required and not prep.partial:
            prep.errors[path] = [required_message(spec)]
    elif isinstance(value, list) and len(value) > min(MAX_ROWS, spec.maximum or MAX_ROWS):
        prep.errors[path] = [_too_many_rows(spec)]
        out.pop(name)
    elif isinstance(value, list):
        out[name] = [
            _prepare(rows, row, prep, f"{path}[{i}]", context.new_child(dict(row)))
            if isinstance(row, Mapping)
            else row
            for i, row in enumerate(value)
        ]


def _prepare_answer(spec: Field, out: dict, name: str, path: str, prep: _Prep, context: ChainMap) -> None:
    value = out.get(name)
    hidden = prep.hidden(spec, context)
    if hidden or spec.readonly or _blank(value):
        out.pop(name, None)
    # The compiled schema cannot know which conditional fields are visible, so check them here.
    checkable = spec.hidden_if and prep.is_hidden and spec.required and not prep.partial
    if checkable and not hidden and not spec.readonly and (_blank(value) or value is False):
        prep.errors[path] = [required_message(spec)]


def _drop_added_groups(layout: dict[str, Any], cleaned: dict[str, Any], sent: Any) -> dict[str, Any]:
    """Remove the empty objects ``_prepare`` added for groups nobody answered."""
    sent = sent if isinstance(sent, Mapping) else {}
    for name, entry in layout.items():
        value = cleaned.get(name)
        if isinstance(entry, dict) and isinstance(value, dict):
            _drop_added_groups(entry, value, sent.get(name))
            if not value and sent.get(name) is None:
                del cleaned[name]
        elif isinstance(entry, tuple) and isinstance(value, list):
            rows_sent = sent.get(name) if isinstance(sent.get(name), list) else []
            for row, row_sent in zip(value, rows_sent, strict=False):
                _drop_added_groups(entry[1], row, row_sent)
    return cleaned


def _blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | tuple) and not value)


# --- the compiled schema -------------------------------------------------------------------------


class _FormSchema(Schema):
    error_messages = {"unknown": "Unknown field", "type": "Send these answers as a JSON object"}


class Answer(fields.Field):
    """One answer, checked and converted by the rules of its form component."""

    def __init__(self, spec: Field, enforce_required: bool, **kwargs: Any) -> None:
        super().__init__(required=enforce_required, **kwargs)
        self.spec = spec
        self.enforce_required = enforce_required

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return _CONVERTERS[self.spec.type](self.spec, value, self.enforce_required)


def _schema(layout: dict[str, Any], partial: bool) -> type[Schema]:
    declared = {name: _schema_field(entry, partial) for name, entry in layout.items()}
    return _FormSchema.from_dict(declared, name="FormAnswers")


def _schema_field(entry: Any, partial: bool) -> fields.Field:
    if isinstance(entry, dict):
        return fields.Nested(_schema(entry, partial))
    if isinstance(entry, tuple):
        spec, rows = entry
        must = _enforce(spec, partial)
        return fields.List(
            fields.Nested(_schema(rows, partial)),
            required=must,
            validate=bind(_check_rows, spec, must),
            error_messages={
                "required": required_message(spec),
                "invalid": f"{_subject(spec)} must be a list",
            },
        )
    return Answer(entry, _enforce(entry, partial), error_messages={"required": required_message(entry)})


def _enforce(spec: Field, partial: bool) -> bool:
    return spec.required and not (partial or spec.hidden_if or spec.readonly)


def _check_rows(spec: Field, enforce_required: bool, rows: list[Any]) -> None:
    if enforce_required and spec.minimum and len(rows) < spec.minimum:
        raise ValidationError(f"Add at least {_number_text(spec.minimum)} {spec.message_label()}")
    if len(rows) > min(MAX_ROWS, spec.maximum or MAX_ROWS):
        raise ValidationError(_too_many_rows(spec))


def _too_many_rows(spec: Field) -> str:
    return f"{_subject(spec)} must have {_number_text(min(MAX_ROWS, spec.maximum or MAX_ROWS))} rows or fewer"


# --- converters: one per component type ----------------------------------------------------------


def _text(spec: Field, value: Any, enforce_required: bool) -> str:
    if not isinstance(value, str):
        raise ValidationError(f"{_subject(spec)} must be text")
    value = value.strip()
    if spec.max_length is not None and len(value) > spec.max_length:
        raise ValidationError(f"{_subject(spec)} must be {spec.max_length} characters or fewer")
    if spec.min_length is not None and len(value) < spec.min_length:
        raise ValidationError(f"{_subject(spec)} must be {spec.min_length} characters or more")
    if spec.validation_type == "email" and not EMAIL.match(value):
        raise ValidationError(f"Enter {spec.message_label()} in the correct format, like name@example.com")
    if spec.validation_type == "phone" and not PHONE.match(re.sub(r"[\s()-]", "", value)):
        raise ValidationError(
            f"Enter {spec.message_label()} in the correct format, like 01632 960 001 or +44 808 157 0192"
        )
    # form-js tests patterns with JavaScript's RegExp.test, which searches: so do we.
    if spec.pattern and not re.search(spec.pattern, value):
        raise ValidationError(f"Enter {spec.message_label()} in the correct format")
    return value


def _number(spec: Field, value: Any, enforce_required: bool) -> int | float:
    text = value.strip().replace(",", "") if isinstance(value, str) else repr(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str) or not NUMBER.match(text):
        raise ValidationError(f"{_subject(spec)} must be a number")
    try:
        number = Decimal(text).normalize()
    except InvalidOperation as exc:
        raise ValidationError(f"{_subject(spec)} must be a number") from exc
    places = max(0, -int(number.as_tuple().exponent))
    if spec.decimal_digits == 0 and places:
        raise ValidationError(f"{_subject(spec)} must be a whole number")
    if spec.decimal_digits is not None and places > spec.decimal_digits:
        raise ValidationError(f"{_subject(spec)} must have {spec.decimal_digits} decimal places or fewer")
    low, high = spec.minimum, spec.maximum
    if (low is not None and number < Decimal(str(low))) or (high is not None and number > Decimal(str(high))):
        raise ValidationError(_range_message(spec))
    return int(number) if number == number.to_integral_value() else float(number)


def _range_message(spec: Field) -> str:
    low, high = spec.minimum, spec.maximum
    if low is not None and high is not None:
        return f"{_subject(spec)} must be between {_number_text(low)} and {_number_text(high)}"
    if low is not None:
        return f"{_subject(spec)} must be {_number_text(low)} or more"
    return f"{_subject(spec)} must be {_number_text(high)} or less"


def _datetime(spec: Field, value: Any, enforce_required: bool) -> str:
    kind = spec.subtype or "date"
    shape, parse, what = {
        "date": (DATE, date.fromisoformat, "a real date"),
        "time": (TIME, time.fromisoformat, "a real time"),
        "datetime": (DATETIME, datetime.fromisoformat, "a real date and time"),
    }[kind]
    if kind == "date" and isinstance(value, date) and not isinstance(value, datetime):
        return value.isoformat()
    text = value.strip() if isinstance(value, str) else ""
    try:
        parse(text.replace("Z", "+00:00"))
    except ValueError:
        text = ""
    if not shape.match(text):
        raise ValidationError(f"{_subject(spec)} must be {what}")
    return text


def _choice(spec: Field, value: Any, enforce_required: bool) -> str | list[str]:
    allowed = {v for v, _ in spec.options}
    wrong = spec.error_message or f"Select {spec.message_label()}" + (
        " from the list" if spec.type in ("select", "taglist") else ""
    )
    if not spec.multiple:
        if not isinstance(value, str) or value not in allowed:
            raise ValidationError(wrong)
        return value
    if not isinstance(value, list | tuple) or not all(isinstance(v, str) and v in allowed for v in value):
        raise ValidationError(wrong)
    return list(dict.fromkeys(value))


def _checkbox(spec: Field, value: Any, enforce_required: bool) -> bool:
    if not isinstance(value, bool):
        raise ValidationError(f"{_subject(spec)} must be true or false")
    if enforce_required and not value:
        raise ValidationError(required_message(spec))
    return value


def _files(spec: Field, value: Any, enforce_required: bool) -> int | list[int]:
    """The documents a file picker attached: a document id, or a list of them when it takes several."""
    values = list(value) if isinstance(value, list | tuple) else [value]
    ids = [int(v) for v in values if isinstance(v, int | str) and not isinstance(v, bool) and str(v).isdigit()]
    if len(ids) != len(values) or not ids or (len(ids) > 1 and not spec.multiple):
        raise ValidationError(f"Attach {spec.message_label()} again: the file was not received")
    return list(dict.fromkeys(ids)) if spec.multiple else ids[0]


_CONVERTERS: dict[str, Callable[[Field, Any, bool], Any]] = {
    "textfield": _text,
    "textarea": _text,
    "number": _number,
    "datetime": _datetime,
    "radio": _choice,
    "select": _choice,
    "checklist": _choice,
    "taglist": _choice,
    "checkbox": _checkbox,
    "filepicker": _files,
}


# --- error reporting -----------------------------------------------------------------------------


def _subject(spec: Field) -> str:
    label = spec.message_label()
    return label[:1].upper() + label[1:]


def _number_text(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _flatten(messages: Any, prefix: str, out: dict[str, list[str]]) -> None:
    """Nested marshmallow messages to dotted paths: ``actions → 1 → owner`` becomes ``actions[1].owner``."""
    if not isinstance(messages, dict):
        items = messages if isinstance(messages, list | tuple) else [messages]
        out.setdefault(prefix or FORM_KEY, []).extend(str(m) for m in items)
        return
    for key, inner in messages.items():
        if key == "_schema":
            path = prefix
        elif isinstance(key, int):
            path = f"{prefix}[{key}]"
        else:
            path = f"{prefix}.{key}" if prefix else str(key)
        _flatten(inner, path, out)


def _in_form_order(form: FormDefinition, errors: dict[str, list[str]]) -> dict[str, list[str]]:
    """Order errors as the fields appear, so an error summary reads top to bottom."""
    order: dict[str, int] = {}
    for index, f in enumerate(form.iter_fields()):
        parts = f.path.split(".") if f.path else []
        for n in range(1, len(parts) + 1):
            order.setdefault(".".join(parts[:n]), index)

    def position(path: str) -> list[int]:
        """Sort key: each name's place in the form, then row numbers."""
        key, template = [], ""
        for part in re.findall(r"\[\d+\]|[^.\[\]]+", path):
            if part.startswith("["):
                key.append(int(part[1:-1]))
                template += "[]"
            else:
                template = f"{template}.{part}" if template else part
                key.append(order.get(template, len(order)))
        return key

    return {path: errors[path] for path in sorted(errors, key=position)}

"""Form definitions: parse and check bpmn.io form-js JSON (``forms/<id>.form``) into a field tree.

Forms are data (docs/decisions.md, D4). This module refuses anything it cannot render or validate
safely, reporting every problem at once, so a bad form fails at deploy time rather than in front of a
worker. Conditions (``conditional.hide``) are FEEL text kept as-is: nothing here evaluates them.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.errors import InvalidProcess, Problem
from engine.forms.conditions import check_condition

# Deploys are uploaded by admins; a cap keeps a mistaken or hostile upload from eating memory.
MAX_FORM_BYTES = 1_000_000
MAX_NESTING = 8
MAX_COMPONENTS = 2_000

TEXT_TYPES = frozenset({"textfield", "textarea"})
CHOICE_TYPES = frozenset({"radio", "select", "checklist", "taglist"})
MULTI_TYPES = frozenset({"checklist", "taglist"})
# A file picker's answer is the documents it attached (their ids): the page stores each file on the case.
FILE_TYPES = frozenset({"filepicker"})
INPUT_TYPES = TEXT_TYPES | CHOICE_TYPES | FILE_TYPES | {"number", "datetime", "checkbox"}
CONTAINER_TYPES = frozenset({"group", "dynamiclist"})
# form-js adds a submit "button" to new forms; it carries no data, so it is accepted and ignored.
STATIC_TYPES = frozenset({"text", "html", "spacer", "separator", "button"})
KNOWN_TYPES = INPUT_TYPES | CONTAINER_TYPES | STATIC_TYPES
DATETIME_SUBTYPES = ("date", "time", "datetime")
VALIDATION_TYPES = ("", "email", "phone", "custom")
# properties.record: what an answer is, so the record can apply need-to-know to it (docs/decisions.md, D20)
RECORD_ROLES = ("", "address", "child_reference")
KEY_PART = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# A text field whose custom property ``caseReference`` names a case type holds references to such cases;
# completing the form checks each one exists and is open.
REFERENCE_TYPES = ("child", "context")
# What a file picker's ``accept`` may name: extensions, as the browser's file dialog takes them.
ACCEPT_PART = re.compile(r"^\.[a-z0-9]{1,10}$")


@dataclass(frozen=True)
class Field:
    """One form component. ``path`` is the full data path; ``[]`` marks dynamic-list rows."""

    type: str
    key: str = ""
    path: str = ""
    label: str = ""
    id: str = ""
    hint: str = ""
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None
    pattern: str | None = None
    validation_type: str = ""
    options: tuple[tuple[str, str], ...] = ()
    multiple: bool = False
    subtype: str | None = None
    decimal_digits: int | None = None
    increment: float | None = None
    children: tuple[Field, ...] = ()
    readonly: bool = False
    default: Any = field(default=None, compare=False)
    condition: str | None = None
    hidden_if: tuple[str, ...] = ()
    text: str = ""
    error_label: str = ""
    error_message: str = ""
    record: str = ""
    columns: int | None = None
    default_rows: int = 0
    reference: str = ""  # "child" or "context": the answer names case references (docs/web.md, references)
    accept: tuple[str, ...] = ()  # a file picker's extensions (".pdf"); empty: whatever documents may be

    @property
    def is_input(self) -> bool:
        """True when the component holds one submitted value (not a container or static text)."""
        return self.type in INPUT_TYPES

    def message_label(self) -> str:
        """The field's name as used mid-sentence in error messages ("Enter <this>")."""
        if self.error_label:
            return self.error_label
        label = self.label or self.key
        # Keep acronyms ("NHS number") as written; lower-case an ordinary leading capital.
        if len(label) > 1 and label[1].isupper():
            return label
        return label[:1].lower() + label[1:]


@dataclass(frozen=True)
class FormDefinition:
    """A parsed, checked form: its field tree plus the raw JSON and a hash of its content."""

    id: str
    title: str
    fields: tuple[Field, ...]
    raw: dict[str, Any] = field(compare=False, repr=False)
    content_hash: str = ""

    def iter_fields(self) -> Iterator[Field]:
        """Every component depth-first, containers before their children."""
        yield from _walk(self.fields)

    def field_keys(self) -> set[str]:
        """Full data paths of every input, group path and list (``referrer.name``, ``actions[].owner``)."""
        return {f.path for f in self.iter_fields() if f.path}


def _check_paths(fields: tuple[Field, ...], state: _Parse) -> None:
    """Refuse two things storing data under one name, or a value also used as an object."""
    values: dict[str, Field] = {}
    objects: set[str] = set()
    for f in _walk(fields):
        if f.type == "group" and f.path:
            objects.add(f.path)
        elif f.is_input or (f.type == "dynamiclist" and f.path):
            if f.path in values:
                state.problem(f.id or f.key, f"'{f.path}' is used by more than one field in the same data")
            values[f.path] = f
        parts = f.path.split(".")
        objects.update(".".join(parts[:n]) for n in range(1, len(parts)))
    for path in sorted(objects & values.keys()):
        f = values[path]
        state.problem(
            f.id or f.key, f"'{path}' holds this field's value but is also used as a group of fields"
        )


def _check_ids(fields: tuple[Field, ...], state: _Parse) -> None:
    """Refuse two components with one id: form-js's editor cannot open such a form to change it."""
    seen: set[str] = set()
    for f in _walk(fields):
        if f.id and f.id in seen:
            state.problem(f.id, f"Two components share the id '{f.id}', so the form editor cannot open the form")
        seen.add(f.id)


def _walk(fields: tuple[Field, ...]) -> Iterator[Field]:
    for f in fields:
        yield f
        yield from _walk(f.children)


@dataclass
class _Parse:
    """Running state of one parse: where we are and what has gone wrong so far."""

    source: str
    problems: list[Problem] = field(default_factory=list)
    count: int = 0

    def problem(self, element_id: str, message: str) -> None:
        """Note one problem against a component; parsing carries on to find the rest."""
        self.problems.append(Problem(element_id=element_id, message=message, file=self.source))


def parse_form(text: str | bytes, source: str = "") -> FormDefinition:
    """Parse and check form-js JSON. Raises InvalidProcess listing every problem found."""
    state = _Parse(source)
    raw = _load_json(text, state)
    if raw is None:
        raise InvalidProcess(state.problems)
    form_id = raw.get("id")
    if not isinstance(form_id, str) or not KEY_PART.match(form_id.replace("-", "_")):
        state.problem("id", "The form needs an 'id' made of letters, digits, '_' or '-'")
        form_id = ""
    if raw.get("type", "default") != "default":
        state.problem(form_id or "type", "The form 'type' must be \"default\"")
    version = raw.get("schemaVersion")
    if version is not None and (not isinstance(version, int) or isinstance(version, bool)):
        state.problem(form_id or "schemaVersion", "'schemaVersion' must be a whole number")
    components = raw.get("components")
    if not isinstance(components, list):
        state.problem(form_id or "components", "The form needs a 'components' list")
        components = []
    fields = _parse_components(components, state, prefix="", depth=0, hidden_if=())
    _check_paths(fields, state)
    _check_ids(fields, state)
    if state.problems:
        raise InvalidProcess(state.problems)
    canonical = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    digest = hashlib.sha256(canonical.encode("utf-8")).hexdigest()
    return FormDefinition(form_id, _title(fields) or form_id, fields, raw, digest)


def _load_json(text: str | bytes, state: _Parse) -> dict[str, Any] | None:
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > MAX_FORM_BYTES:
        state.problem("form", f"The form file is {size} bytes; the limit is {MAX_FORM_BYTES}")
        return None
    try:
        raw = json.loads(text)
    except (ValueError, RecursionError) as exc:  # RecursionError: absurdly deep nesting
        state.problem("form", f"The form file is not valid JSON: {str(exc)[:200]}")
        return None
    if not isinstance(raw, dict):
        state.problem("form", "The form file must hold a JSON object")
        return None
    return raw


def _title(fields: tuple[Field, ...]) -> str:
    for f in _walk(fields):
        if f.type == "text":
            for line in f.text.splitlines():
                if line.lstrip().startswith("#"):
                    return line.strip().lstrip("#").strip()
            return ""
    return ""


def _parse_components(
    components: list[Any], state: _Parse, prefix: str, depth: int, hidden_if: tuple[str, ...]
) -> tuple[Field, ...]:
    if depth > MAX_NESTING:
        state.problem(prefix or "form", f"Groups and lists are nested more than {MAX_NESTING} deep")
        return ()
    parsed = []
    for position, component in enumerate(components):
        state.count += 1
        if state.count > MAX_COMPONENTS:
            state.problem("form", f"The form has more than {MAX_COMPONENTS} components")
            break
        f = _parse_component(component, position, state, prefix, depth, hidden_if)
        if f is not None:
            parsed.append(f)
    return tuple(parsed)


def _element_id(component: dict[str, Any], position: int, prefix: str) -> str:
    for name in ("id", "key", "path"):
        if isinstance(component.get(name), str) and component[name]:
            return component[name]
    return f"{prefix or 'components'}[{position}]"


def _parse_component(
    component: Any, position: int, state: _Parse, prefix: str, depth: int, hidden_if: tuple[str, ...]
) -> Field | None:
    if not isinstance(component, dict):
        state.problem(f"{prefix or 'components'}[{position}]", "Each component must be a JSON object")
        return None
    element = _element_id(component, position, prefix)
    kind = component.get("type")
    if kind not in KNOWN_TYPES:
        state.problem(element, f"Component type {kind!r} is not supported here")
        return None
    condition = _condition(component, element, state)
    hidden_if = (*hidden_if, condition) if condition else hidden_if
    common = _common(component, element, state, kind, condition, hidden_if)
    if kind in STATIC_TYPES:
        content = component.get("text", component.get("content", ""))
        return Field(**common, text=content if isinstance(content, str) else "")
    if kind in CONTAINER_TYPES:
        return _container(component, element, state, prefix, depth, common)
    key = component.get("key")
    if not _valid_path(key):
        state.problem(element, "The field needs a 'key' of letters, digits and '_' (dots nest data)")
        return None
    if kind in FILE_TYPES and "[]" in prefix:
        state.problem(element, "A file picker cannot be inside a dynamic list: put it after the list")
    return Field(**common, **_input(component, element, state, kind), key=key, path=_join(prefix, key))


def _container(
    component: dict[str, Any], element: str, state: _Parse, prefix: str, depth: int, common: dict[str, Any]
) -> Field | None:
    kind = component["type"]
    path = component.get("path") or ""
    if kind == "dynamiclist" and not path:
        state.problem(element, "A dynamic list needs a 'path' naming where its rows are stored")
    if path and not _valid_path(path):
        state.problem(element, "'path' must be letters, digits and '_' (dots nest data)")
        path = ""
    children = component.get("components", [])
    if not isinstance(children, list):
        state.problem(element, "'components' must be a list")
        children = []
    full = _join(prefix, path) if path else ""
    inner_prefix = full + "[]" if kind == "dynamiclist" else (full or prefix)
    inner = _parse_components(children, state, inner_prefix, depth + 1, common["hidden_if"])
    rules = _number_rules(component.get("validate") or {}, element, state, ("min", "max"))
    rows = component.get("defaultRepetitions", 1 if kind == "dynamiclist" else 0)
    return Field(
        **common,
        key=path,
        path=full,
        children=inner,
        required=bool((component.get("validate") or {}).get("required")),
        minimum=rules.get("min"),
        maximum=rules.get("max"),
        default_rows=rows if isinstance(rows, int) and 0 <= rows <= 50 else 1,
    )


def _common(
    component: dict[str, Any], element: str, state: _Parse, kind: str, condition: str | None, hidden_if: tuple
) -> dict[str, Any]:
    label = component.get("label") or component.get("dateLabel") or component.get("timeLabel") or ""
    hint = component.get("description") or ""
    if not isinstance(label, str) or not isinstance(hint, str):
        state.problem(element, "'label' and 'description' must be text")
        label, hint = "", ""
    properties = component.get("properties") or {}
    error_label = properties.get("errorLabel", "") if isinstance(properties, dict) else ""
    reference = properties.get("caseReference", "") if isinstance(properties, dict) else ""
    if reference and (kind not in TEXT_TYPES or reference not in REFERENCE_TYPES):
        state.problem(element, f"The custom property caseReference must be {' or '.join(REFERENCE_TYPES)}, "
                               "on a text field")
        reference = ""
    # a form may word its own message for a question left unanswered (docs/bpmn-conventions.md, forms)
    error_message = properties.get("errorMessage", "") if isinstance(properties, dict) else ""
    # what the answer is for need-to-know: "address" (withheld when protected), "child_reference"
    record = properties.get("record", "") if isinstance(properties, dict) else ""
    if record not in RECORD_ROLES:
        state.problem(element, f"properties.record must be one of {', '.join(RECORD_ROLES[1:])}")
        record = ""
    layout = component.get("layout") or {}
    columns = layout.get("columns") if isinstance(layout, dict) else None
    return {
        "type": kind,
        "id": component.get("id") if isinstance(component.get("id"), str) else "",
        "label": label,
        "hint": hint,
        "readonly": bool(component.get("readonly") or component.get("disabled")),
        "condition": condition,
        "hidden_if": hidden_if,
        "error_label": error_label if isinstance(error_label, str) else "",
        "error_message": error_message.strip() if isinstance(error_message, str) else "",
        "record": record,
        "columns": columns if isinstance(columns, int) else None,
        "reference": reference if isinstance(reference, str) else "",
    }


def _condition(component: dict[str, Any], element: str, state: _Parse) -> str | None:
    conditional = component.get("conditional")
    if conditional is None:
        return None
    hide = conditional.get("hide") if isinstance(conditional, dict) else None
    if not isinstance(hide, str) or not hide.strip():
        state.problem(element, '\'conditional\' must be {"hide": "=<FEEL expression>"}')
        return None
    wrong = check_condition(hide)
    if wrong is not None:
        state.problem(element, f"The condition '{hide.strip()}' cannot be decided on the server: {wrong}")
        return None
    return hide.strip()


def _input(component: dict[str, Any], element: str, state: _Parse, kind: str) -> dict[str, Any]:
    validate = component.get("validate") or {}
    if not isinstance(validate, dict):
        state.problem(element, "'validate' must be an object")
        validate = {}
    numbers = _number_rules(validate, element, state, ("minLength", "maxLength", "min", "max"))
    rules: dict[str, Any] = {
        "required": bool(validate.get("required")),
        "min_length": numbers.get("minLength"),
        "max_length": numbers.get("maxLength"),
        "minimum": numbers.get("min"),
        "maximum": numbers.get("max"),
        "multiple": kind in MULTI_TYPES,
        "default": _default(component.get("defaultValue")),
    }
    if kind in TEXT_TYPES:
        rules.update(_text_rules(validate, element, state))
    if kind in CHOICE_TYPES:
        rules["options"] = _options(component, element, state)
    if kind == "datetime":
        subtype = component.get("subtype", "date")
        if subtype not in DATETIME_SUBTYPES:
            state.problem(element, f"'subtype' must be one of {', '.join(DATETIME_SUBTYPES)}")
        rules["subtype"] = subtype
    if kind == "number":
        rules.update(_number_display(component, element, state))
    if kind in FILE_TYPES:
        rules.update(_file_rules(component, element, state))
    return rules


def _file_rules(component: dict[str, Any], element: str, state: _Parse) -> dict[str, Any]:
    """A file picker's ``multiple`` (true or false: an expression is refused) and ``accept`` (extensions)."""
    multiple = component.get("multiple", False)
    if not isinstance(multiple, bool):
        state.problem(element, "'multiple' must be true or false (an expression is not supported)")
        multiple = False
    accept = component.get("accept") or ""
    parts = tuple(p.strip().lower() for p in accept.split(",") if p.strip()) if isinstance(accept, str) else ()
    if not isinstance(accept, str) or not all(ACCEPT_PART.match(p) for p in parts):
        state.problem(element, "'accept' must list file extensions separated by commas, like .pdf,.docx")
        parts = ()
    return {"multiple": multiple, "accept": parts}


def _number_rules(validate: Any, element: str, state: _Parse, names: tuple[str, ...]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    if not isinstance(validate, dict):
        return found
    for name in names:
        value = validate.get(name)
        if value is None or value == "":
            continue
        whole = name in ("minLength", "maxLength")
        if (
            isinstance(value, bool)
            or not isinstance(value, int if whole else (int, float))
            or (whole and value < 0)
        ):
            state.problem(element, f"validate.{name} must be a {'whole ' if whole else ''}number")
            continue
        found[name] = value
    return found


def _text_rules(validate: dict[str, Any], element: str, state: _Parse) -> dict[str, Any]:
    validation_type = validate.get("validationType") or ""
    if validation_type not in VALIDATION_TYPES:
        state.problem(element, "validate.validationType must be 'email', 'phone' or 'custom'")
        validation_type = ""
    pattern = validate.get("pattern") or None
    if pattern is not None:
        try:
            re.compile(pattern)
        except (re.error, TypeError):
            state.problem(element, f"validate.pattern is not a valid regular expression: {pattern!r}")
            pattern = None
    return {"pattern": pattern, "validation_type": "" if validation_type == "custom" else validation_type}


def _options(component: dict[str, Any], element: str, state: _Parse) -> tuple[tuple[str, str], ...]:
    if component.get("valuesKey") or component.get("valuesExpression"):
        state.problem(element, "Options must be listed in the form ('values'); dynamic options are refused")
        return ()
    values = component.get("values")
    if not isinstance(values, list) or not values:
        state.problem(element, "This choice needs a non-empty 'values' list of {label, value}")
        return ()
    options: list[tuple[str, str]] = []
    for item in values:
        value = item.get("value") if isinstance(item, dict) else None
        label = item.get("label", value) if isinstance(item, dict) else None
        if not isinstance(value, str) or not value or not isinstance(label, str):
            state.problem(element, "Each option needs a text 'value' and 'label'")
        elif value in (v for v, _ in options):
            state.problem(element, f"Option value {value!r} is listed twice")
        else:
            options.append((value, label))
    return tuple(options)


def _number_display(component: dict[str, Any], element: str, state: _Parse) -> dict[str, Any]:
    digits = component.get("decimalDigits")
    if digits is not None and (isinstance(digits, bool) or not isinstance(digits, int) or digits < 0):
        state.problem(element, "'decimalDigits' must be a whole number, 0 or more")
        digits = None
    increment = component.get("increment")
    try:
        step = float(increment) if increment not in (None, "") else None
    except (TypeError, ValueError):
        state.problem(element, "'increment' must be a number")
        step = None
    return {"decimal_digits": digits, "increment": step}


def _default(value: Any) -> Any:
    # Lists become tuples so a Field stays immutable.
    return tuple(value) if isinstance(value, list) else value


def _valid_path(path: Any) -> bool:
    return isinstance(path, str) and all(KEY_PART.match(part) for part in path.split("."))


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key

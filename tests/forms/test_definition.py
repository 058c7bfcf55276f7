"""Parsing and checking form-js definitions at deploy time."""

import json

import pytest

from engine.errors import InvalidProcess
from engine.forms import parse_form
from engine.forms.definition import MAX_COMPONENTS, MAX_FORM_BYTES, MAX_NESTING


def form_json(*components, **top):
    """A form-js document as the modeller saves it."""
    document = {
        "id": "child_referral",
        "type": "default",
        "schemaVersion": 16,
        "components": list(components),
    }
    document.update(top)
    return json.dumps(document)


def problems_of(text, source="forms/child_referral.form"):
    with pytest.raises(InvalidProcess) as caught:
        parse_form(text, source)
    return caught.value.problems


REFERRAL = form_json(
    {"type": "text", "text": "# Refer a child\n\nTell us what worries you."},
    {
        "type": "textfield",
        "id": "Field_name",
        "key": "child_name",
        "label": "Child's full name",
        "description": "As used at school",
        "validate": {"required": True, "maxLength": 200},
        "layout": {"columns": 8},
        "properties": {"errorLabel": "the child's full name"},
    },
    {"type": "datetime", "key": "dob", "subtype": "date", "dateLabel": "Date of birth"},
    {
        "type": "radio",
        "key": "consent",
        "label": "Consent given",
        "values": [{"label": "Yes", "value": "yes"}, {"label": "No", "value": "no"}],
        "defaultValue": "yes",
    },
    {
        "type": "group",
        "path": "referrer",
        "label": "About you",
        "components": [
            {"type": "textfield", "key": "name", "label": "Your name", "validate": {"required": True}}
        ],
    },
    {
        "type": "dynamiclist",
        "path": "actions",
        "label": "Actions",
        "isRepeating": True,
        "defaultRepetitions": 2,
        "components": [
            {"type": "textfield", "key": "owner", "label": "Owner"},
            {"type": "checkbox", "key": "done", "label": "Done", "conditional": {"hide": "=owner = null"}},
        ],
    },
    {"type": "textarea", "key": "notes", "label": "Notes", "readonly": True},
    {"type": "button", "action": "submit", "label": "Submit"},
)


def test_referral_form_parses_into_a_field_tree():
    form = parse_form(REFERRAL, "forms/child_referral.form")

    assert form.id == "child_referral"
    assert form.title == "Refer a child"
    assert [f.type for f in form.fields] == [
        "text", "textfield", "datetime", "radio", "group", "dynamiclist", "textarea", "button",
    ]  # fmt: skip
    name = form.fields[1]
    assert (name.id, name.key, name.path, name.label, name.hint) == (
        "Field_name", "child_name", "child_name", "Child's full name", "As used at school",
    )  # fmt: skip
    assert name.required and name.max_length == 200 and name.columns == 8
    assert name.message_label() == "the child's full name"
    assert form.fields[2].subtype == "date" and form.fields[2].label == "Date of birth"
    assert form.fields[3].options == (("yes", "Yes"), ("no", "No")) and form.fields[3].default == "yes"
    assert form.fields[4].children[0].path == "referrer.name"
    rows = form.fields[5]
    assert rows.default_rows == 2
    assert [c.path for c in rows.children] == ["actions[].owner", "actions[].done"]
    assert rows.children[1].condition == "=owner = null"
    assert rows.children[1].hidden_if == ("=owner = null",)
    assert form.fields[6].readonly


def test_field_keys_are_full_data_paths():
    form = parse_form(REFERRAL)

    assert form.field_keys() == {
        "child_name", "dob", "consent", "referrer", "referrer.name",
        "actions", "actions[].owner", "actions[].done", "notes",
    }  # fmt: skip


def test_iter_fields_walks_depth_first():
    paths = [f.path for f in parse_form(REFERRAL).iter_fields() if f.path]

    assert paths.index("referrer") < paths.index("referrer.name") < paths.index("actions")


def test_group_conditions_are_inherited_by_their_fields():
    form = parse_form(
        form_json(
            {
                "type": "group",
                "conditional": {"hide": "=no_worries"},
                "components": [{"type": "textfield", "key": "worry", "conditional": {"hide": "=x"}}],
            }
        )
    )

    worry = form.fields[0].children[0]
    assert worry.path == "worry"  # a group without a path adds no nesting
    assert worry.condition == "=x"
    assert worry.hidden_if == ("=no_worries", "=x")


def test_content_hash_ignores_layout_of_the_json_but_not_its_content():
    compact = parse_form(REFERRAL)
    pretty = parse_form(json.dumps(json.loads(REFERRAL), indent=4))
    changed = parse_form(REFERRAL.replace("Child's full name", "Name of child"))

    assert compact.content_hash == pretty.content_hash
    assert compact.content_hash != changed.content_hash


def test_title_falls_back_to_the_form_id():
    assert parse_form(form_json({"type": "textfield", "key": "a"})).title == "child_referral"


def test_bytes_are_accepted():
    assert parse_form(REFERRAL.encode("utf-8")).id == "child_referral"


@pytest.mark.parametrize(
    "component",
    [
        {"type": "textfield", "key": "a", "validate": {"validationType": "email"}},
        {"type": "textfield", "key": "a", "validate": {"validationType": "custom", "pattern": "^[A-Z]{2}"}},
        {"type": "textarea", "key": "a", "validate": {"minLength": 2}},
        {"type": "number", "key": "a", "decimalDigits": 2, "increment": "0.5", "validate": {"min": 0}},
        {"type": "datetime", "key": "a", "subtype": "datetime", "dateLabel": "When"},
        {"type": "datetime", "key": "a", "subtype": "time", "timeLabel": "Time"},
        {"type": "checkbox", "key": "a", "defaultValue": False},
        {"type": "checklist", "key": "a", "values": [{"label": "A", "value": "a"}], "defaultValue": ["a"]},
        {"type": "select", "key": "a", "values": [{"label": "A", "value": "a"}]},
        {"type": "taglist", "key": "a", "values": [{"label": "A", "value": "a"}]},
        {"type": "textfield", "key": "a.b"},
        {"type": "html", "content": "<p>Hi</p>"},
        {"type": "spacer"},
        {"type": "separator"},
    ],
)
def test_each_supported_component_type_parses(component):
    form = parse_form(form_json(component))

    assert form.fields[0].type == component["type"]
    assert form.fields[0].label == component.get(
        "label", component.get("dateLabel", component.get("timeLabel", ""))
    )


def test_multi_choice_fields_are_marked_multiple():
    values = [{"label": "A", "value": "a"}]
    form = parse_form(
        form_json(
            {"type": "checklist", "key": "a", "values": values},
            {"type": "radio", "key": "b", "values": values},
        )
    )

    assert [f.multiple for f in form.fields] == [True, False]


def test_malformed_json_is_one_problem_naming_the_file():
    [problem] = problems_of('{"id": "x", "components": [', "forms/x.form")

    assert problem.file == "forms/x.form"
    assert "not valid JSON" in problem.message


@pytest.mark.parametrize("text", ["[]", '"form"', "null"])
def test_a_document_that_is_not_an_object_is_refused(text):
    [problem] = problems_of(text)

    assert "JSON object" in problem.message


def test_missing_id_and_components_are_reported():
    problems = problems_of(json.dumps({"type": "default"}))

    assert {p.element_id for p in problems} == {"id", "components"}


def test_unknown_type_names_the_component():
    [problem] = problems_of(form_json({"type": "documentPreview", "id": "Field_preview", "key": "preview"}))

    assert problem.element_id == "Field_preview"
    assert "'documentPreview'" in problem.message


@pytest.mark.parametrize("kind", ["expression", "hidden", "iframe", "image", None])
def test_unsupported_types_are_refused(kind):
    [problem] = problems_of(form_json({"type": kind, "key": "k"}))

    assert problem.element_id == "k"


def test_every_problem_is_reported_at_once():
    problems = problems_of(
        form_json(
            {"type": "textfield", "id": "Field_nokey"},
            {"type": "radio", "key": "choice"},
            {"type": "select", "key": "team", "valuesKey": "teams"},
            {"type": "textfield", "key": "code", "validate": {"pattern": "(["}},
            {"type": "datetime", "key": "when", "subtype": "week"},
            {"type": "textfield", "key": "bad key"},
            {"type": "number", "key": "n", "validate": {"min": "zero"}, "decimalDigits": -1},
            {"type": "textfield", "key": "c", "conditional": {"hide": ""}},
            {"type": "dynamiclist", "id": "List_1", "components": []},
            "not a component",
        )
    )

    by_element = {p.element_id for p in problems}
    assert {"Field_nokey", "choice", "team", "code", "when", "bad key", "n", "c", "List_1"} <= by_element
    assert "components[9]" in by_element
    assert all(p.file == "forms/child_referral.form" for p in problems)


def test_option_lists_must_have_text_values_without_repeats():
    problems = problems_of(
        form_json(
            {"type": "checklist", "key": "a", "values": []},
            {"type": "select", "key": "b", "values": [{"label": "One", "value": 1}]},
            {
                "type": "radio",
                "key": "c",
                "values": [{"label": "A", "value": "a"}, {"label": "A2", "value": "a"}],
            },
        )
    )

    assert [p.element_id for p in problems] == ["a", "b", "c"]
    assert "twice" in problems[2].message


def test_duplicate_keys_in_one_data_scope_are_refused():
    [problem] = problems_of(
        form_json({"type": "textfield", "key": "name"}, {"type": "textarea", "id": "Field_2", "key": "name"})
    )

    assert problem.element_id == "Field_2"
    assert "'name'" in problem.message


def test_same_key_in_different_scopes_is_fine():
    form = parse_form(
        form_json(
            {"type": "textfield", "key": "name"},
            {"type": "group", "path": "referrer", "components": [{"type": "textfield", "key": "name"}]},
            {"type": "dynamiclist", "path": "people", "components": [{"type": "textfield", "key": "name"}]},
        )
    )

    assert {"name", "referrer.name", "people[].name"} <= form.field_keys()


def test_duplicate_across_a_group_without_path_is_refused():
    problems = problems_of(
        form_json(
            {"type": "textfield", "key": "name"},
            {"type": "group", "components": [{"type": "textfield", "key": "name"}]},
        )
    )

    assert len(problems) == 1


def test_two_components_with_one_id_are_refused_because_the_editor_cannot_open_them():
    [problem] = problems_of(
        form_json(
            {"type": "group", "path": "referrer", "components": [{"type": "textfield", "key": "role", "id": "F_role"}]},
            {"type": "select", "key": "role", "id": "F_role", "values": [{"label": "A", "value": "a"}]},
        )
    )

    assert problem.element_id == "F_role" and "form editor cannot open" in problem.message


def test_every_shipped_form_can_be_opened_by_the_editor():
    from pathlib import Path

    for path in sorted((Path(__file__).resolve().parents[2] / "forms").glob("*.form")):
        parse_form(path.read_bytes(), source=path.name)  # raises on a repeated component id


def test_a_value_also_used_as_a_group_is_refused():
    problems = problems_of(
        form_json(
            {"type": "textfield", "key": "referrer"},
            {"type": "group", "path": "referrer", "components": [{"type": "textfield", "key": "name"}]},
            {"type": "textfield", "key": "child"},
            {"type": "textfield", "key": "child.name"},
        )
    )

    assert sorted(p.element_id for p in problems) == ["child", "referrer"]


def test_two_lists_on_one_path_are_refused():
    problems = problems_of(
        form_json(
            {"type": "dynamiclist", "path": "rows", "components": []},
            {"type": "dynamiclist", "path": "rows", "components": []},
        )
    )

    assert len(problems) == 1


def test_oversized_file_is_refused_before_parsing():
    huge = form_json({"type": "text", "text": "x" * MAX_FORM_BYTES})

    [problem] = problems_of(huge)

    assert "limit" in problem.message


def test_absurdly_deep_json_is_refused_without_crashing():
    [problem] = problems_of("[" * 200_000 + "]" * 200_000)

    assert problem.element_id == "form"


def test_groups_nested_too_deep_are_refused():
    component = {"type": "textfield", "key": "leaf"}
    for depth in range(MAX_NESTING + 3):
        component = {"type": "group", "path": f"g{depth}", "components": [component]}

    problems = problems_of(form_json(component))

    assert any("nested" in p.message for p in problems)


def test_too_many_components_are_refused():
    many = [{"type": "spacer"}] * (MAX_COMPONENTS + 1)

    problems = problems_of(form_json(*many))

    assert any(str(MAX_COMPONENTS) in p.message for p in problems)


def test_form_type_and_schema_version_are_checked():
    problems = problems_of(form_json(type="fancy", schemaVersion="16"))

    assert len(problems) == 2

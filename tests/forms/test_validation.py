"""Validating submitted answers against a form's compiled schema."""

import json

import pytest

from engine.errors import InvalidFormData
from engine.forms import parse_form, validate_submission
from engine.forms.validation import MAX_ROWS, compiled_schema

YES_NO = [{"label": "Yes", "value": "yes"}, {"label": "No", "value": "no"}]
AGENCIES = [{"label": "Police", "value": "police"}, {"label": "Health", "value": "health"}]


def make_form(*components):
    """A parsed form holding the given components."""
    return parse_form(
        json.dumps({"id": "f", "type": "default", "schemaVersion": 16, "components": list(components)})
    )


def errors_of(form, data, **options):
    with pytest.raises(InvalidFormData) as caught:
        validate_submission(form, data, **options)
    assert caught.value.code == "invalid_form_data"
    return caught.value.errors


SCREENING = make_form(
    {"type": "text", "text": "# Screening"},
    {
        "type": "textfield",
        "key": "child_name",
        "label": "Child's full name",
        "validate": {"required": True, "maxLength": 20},
        "properties": {"errorLabel": "the child's full name"},
    },
    {
        "type": "datetime",
        "key": "dob",
        "subtype": "date",
        "dateLabel": "Date of birth",
        "validate": {"required": True},
    },
    {"type": "number", "key": "age", "label": "Age", "decimalDigits": 0, "validate": {"min": 0, "max": 17}},
    {"type": "radio", "key": "consent", "label": "Consent", "values": YES_NO, "validate": {"required": True}},
    {"type": "checkbox", "key": "urgent", "label": "Urgent"},
    {"type": "checklist", "key": "agencies", "label": "Agencies involved", "values": AGENCIES},
    {"type": "select", "key": "level", "label": "Level of need", "values": YES_NO},
    {"type": "taglist", "key": "tags", "label": "Tags", "values": AGENCIES},
    {"type": "textarea", "key": "summary", "label": "Summary", "validate": {"minLength": 5}},
    {
        "type": "group",
        "path": "referrer",
        "components": [
            {"type": "textfield", "key": "name", "label": "Referrer name", "validate": {"required": True}},
            {"type": "textfield", "key": "email", "label": "Email", "validate": {"validationType": "email"}},
        ],
    },
    {
        "type": "dynamiclist",
        "path": "actions",
        "label": "actions",
        "components": [
            {"type": "textfield", "key": "owner", "label": "Owner", "validate": {"required": True}},
            {"type": "datetime", "key": "due", "subtype": "date", "dateLabel": "Due date"},
        ],
    },
    {"type": "textfield", "key": "case_ref", "label": "Case reference", "readonly": True},
)

GOOD = {
    "child_name": "  Sam Smith ",
    "dob": "2012-03-04",
    "age": "11",
    "consent": "yes",
    "urgent": True,
    "agencies": ["police", "health", "police"],
    "level": "no",
    "tags": ["health"],
    "summary": "Seen near the park late at night",
    "referrer": {"name": "Ann", "email": "ann@example.org"},
    "actions": [{"owner": "Duty team", "due": "2024-05-01"}, {"owner": "School"}],
}


def test_good_answers_come_back_cleaned():
    cleaned = validate_submission(SCREENING, GOOD)

    assert cleaned["child_name"] == "Sam Smith"
    assert cleaned["age"] == 11
    assert cleaned["agencies"] == ["police", "health"]
    assert cleaned["actions"] == [{"owner": "Duty team", "due": "2024-05-01"}, {"owner": "School"}]
    assert cleaned["referrer"] == {"name": "Ann", "email": "ann@example.org"}
    assert cleaned["urgent"] is True


def test_missing_required_answers_use_gov_uk_wording_in_form_order():
    errors = errors_of(SCREENING, {})

    assert errors == {
        "child_name": ["Enter the child's full name"],
        "dob": ["Enter date of birth"],
        "consent": ["Select consent"],
        "referrer.name": ["Enter referrer name"],
    }


def test_blank_strings_and_empty_lists_count_as_missing():
    errors = errors_of(SCREENING, {**GOOD, "child_name": "   ", "dob": "", "consent": None, "agencies": []})

    assert set(errors) == {"child_name", "dob", "consent"}


@pytest.mark.parametrize(
    ("component", "message"),
    [
        ({"type": "textfield", "label": "Name"}, "Enter name"),
        ({"type": "textarea", "label": "Summary"}, "Enter summary"),
        ({"type": "number", "label": "Age"}, "Enter age"),
        ({"type": "datetime", "dateLabel": "Date of birth"}, "Enter date of birth"),
        ({"type": "radio", "label": "Consent", "values": YES_NO}, "Select consent"),
        ({"type": "select", "label": "Team", "values": YES_NO}, "Select team"),
        ({"type": "checklist", "label": "Agencies", "values": YES_NO}, "Select agencies"),
        ({"type": "taglist", "label": "Tags", "values": YES_NO}, "Select tags"),
        ({"type": "checkbox", "label": "Declaration"}, "Select declaration"),
        ({"type": "textfield", "label": "NHS number"}, "Enter NHS number"),
    ],
)
def test_required_message_per_type(component, message):
    form = make_form({**component, "key": "answer", "validate": {"required": True}})

    assert errors_of(form, {}) == {"answer": [message]}


def test_required_checkbox_must_be_ticked():
    form = make_form({"type": "checkbox", "key": "agree", "label": "Agree", "validate": {"required": True}})

    assert errors_of(form, {"agree": False}) == {"agree": ["Select agree"]}
    assert validate_submission(form, {"agree": True}) == {"agree": True}


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        ({"child_name": "x" * 21}, "child_name", "The child's full name must be 20 characters or fewer"),
        ({"child_name": 42}, "child_name", "The child's full name must be text"),
        ({"summary": "abc"}, "summary", "Summary must be 5 characters or more"),
        ({"dob": "2012-02-30"}, "dob", "Date of birth must be a real date"),
        ({"dob": "04/03/2012"}, "dob", "Date of birth must be a real date"),
        ({"dob": "20120304"}, "dob", "Date of birth must be a real date"),
        ({"age": "ten"}, "age", "Age must be a number"),
        ({"age": True}, "age", "Age must be a number"),
        ({"age": "1e3"}, "age", "Age must be a number"),
        ({"age": 4.5}, "age", "Age must be a whole number"),
        ({"age": "18"}, "age", "Age must be between 0 and 17"),
        ({"age": -1}, "age", "Age must be between 0 and 17"),
        ({"consent": "maybe"}, "consent", "Select consent"),
        ({"level": "high"}, "level", "Select level of need from the list"),
        ({"agencies": ["police", "fire"]}, "agencies", "Select agencies involved"),
        ({"agencies": "police"}, "agencies", "Select agencies involved"),
        ({"agencies": [{"x": 1}]}, "agencies", "Select agencies involved"),
        ({"tags": ["nope"]}, "tags", "Select tags from the list"),
        ({"urgent": "yes"}, "urgent", "Urgent must be true or false"),
        (
            {"referrer": {"name": "Ann", "email": "ann@"}},
            "referrer.email",
            "Enter email in the correct format",
        ),
        ({"referrer": "Ann"}, "referrer", "Send these answers as a JSON object"),
        (
            {"actions": [{"owner": "A"}, {"owner": "B", "due": "2024-13-01"}]},
            "actions[1].due",
            "Due date must be a real date",
        ),
        ({"actions": [{"owner": "A"}, {"due": "2024-01-01"}]}, "actions[1].owner", "Enter owner"),
        ({"actions": [{"owner": "A"}, "B"]}, "actions[1]", "Send these answers as a JSON object"),
        ({"actions": {"owner": "A"}}, "actions", "Actions must be a list"),
        ({"surname": "Smith"}, "surname", "Unknown field"),
        ({"referrer": {"name": "Ann", "phone": "1"}}, "referrer.phone", "Unknown field"),
        ({"actions": [{"owner": "A", "x": 1}]}, "actions[0].x", "Unknown field"),
    ],
)
def test_bad_answers_are_reported_at_their_path(changes, path, message):
    errors = errors_of(SCREENING, {**GOOD, **changes})

    assert list(errors) == [path]
    assert errors[path][0].startswith(message)


def test_numbers_keep_their_type():
    form = make_form({"type": "number", "key": "n", "label": "Amount", "decimalDigits": 2})

    assert validate_submission(form, {"n": "1.50"}) == {"n": 1.5}
    assert validate_submission(form, {"n": "2.00"}) == {"n": 2}
    assert validate_submission(form, {"n": "1,200"}) == {"n": 1200}
    assert errors_of(form, {"n": "1.555"}) == {"n": ["Amount must have 2 decimal places or fewer"]}


@pytest.mark.parametrize(
    ("rules", "value", "message"),
    [({"min": 5}, 4, "N must be 5 or more"), ({"max": 2.5}, 3, "N must be 2.5 or less")],
)
def test_one_sided_number_ranges(rules, value, message):
    form = make_form({"type": "number", "key": "n", "label": "N", "validate": rules})

    assert errors_of(form, {"n": value}) == {"n": [message]}


@pytest.mark.parametrize(
    ("subtype", "good", "bad", "message"),
    [
        ("time", "09:30", "25:00", "When must be a real time"),
        ("datetime", "2024-05-01T09:30", "2024-05-01 09:30", "When must be a real date and time"),
        ("datetime", "2024-05-01T09:30:00+01:00", "2024-05-01T09:61", "When must be a real date and time"),
    ],
)
def test_times_and_date_times(subtype, good, bad, message):
    form = make_form({"type": "datetime", "key": "when", "subtype": subtype, "dateLabel": "When"})

    assert validate_submission(form, {"when": good}) == {"when": good}
    assert errors_of(form, {"when": bad}) == {"when": [message]}


@pytest.mark.parametrize(
    ("validate", "good", "bad", "message"),
    [
        (
            {"validationType": "phone"},
            "01632 960 001",
            "call me",
            "Enter contact in the correct format, like",
        ),
        (
            {"validationType": "email"},
            "a.b@example.gov.uk",
            "a b@example",
            "Enter contact in the correct format, like",
        ),
        ({"pattern": "^[A-Z]{2}[0-9]{6}$"}, "AB123456", "ab123456", "Enter contact in the correct format"),
    ],
)
def test_text_formats(validate, good, bad, message):
    form = make_form({"type": "textfield", "key": "t", "label": "Contact", "validate": validate})

    assert validate_submission(form, {"t": good}) == {"t": good}
    assert errors_of(form, {"t": bad})["t"][0].startswith(message)


def test_read_only_answers_are_dropped_not_trusted():
    assert "case_ref" not in validate_submission(SCREENING, {**GOOD, "case_ref": "forged"})


def test_data_that_is_not_an_object_is_refused():
    assert errors_of(SCREENING, ["child_name"]) == {"_form": ["Send the form's answers as a JSON object"]}


def test_dotted_keys_nest_the_data():
    form = make_form(
        {"type": "textfield", "key": "child.name", "label": "Name", "validate": {"required": True}}
    )

    assert validate_submission(form, {"child": {"name": "Sam"}}) == {"child": {"name": "Sam"}}
    assert errors_of(form, {}) == {"child.name": ["Enter name"]}


def test_groups_nest_inside_lists():
    form = make_form(
        {
            "type": "dynamiclist",
            "path": "people",
            "components": [
                {
                    "type": "group",
                    "path": "contact",
                    "components": [
                        {
                            "type": "textfield",
                            "key": "phone",
                            "label": "Phone",
                            "validate": {"required": True},
                        }
                    ],
                }
            ],
        }
    )

    assert errors_of(form, {"people": [{"contact": {"phone": "1"}}, {}]}) == {
        "people[1].contact.phone": ["Enter phone"]
    }


def test_list_row_counts():
    form = make_form(
        {
            "type": "dynamiclist",
            "path": "actions",
            "label": "actions",
            "validate": {"required": True, "min": 2, "max": 3},
            "components": [{"type": "textfield", "key": "owner"}],
        }
    )
    row = {"owner": "A"}

    assert errors_of(form, {}) == {"actions": ["Add at least 1 actions"]}
    assert errors_of(form, {"actions": [row]}) == {"actions": ["Add at least 2 actions"]}
    assert errors_of(form, {"actions": [row] * 4}) == {"actions": ["Actions must have 3 rows or fewer"]}
    assert validate_submission(form, {"actions": [row] * 3}) == {"actions": [row] * 3}


def test_a_flood_of_rows_is_refused_without_validating_each():
    form = make_form(
        {
            "type": "dynamiclist",
            "path": "rows",
            "label": "Rows",
            "components": [{"type": "textfield", "key": "a"}],
        }
    )

    errors = errors_of(form, {"rows": [{"a": 1}] * (MAX_ROWS * 50)})

    assert errors == {"rows": [f"Rows must have {MAX_ROWS} rows or fewer"]}


def test_drafts_skip_required_checks_but_not_the_rest():
    assert validate_submission(SCREENING, {"child_name": "Sam"}, partial=True) == {"child_name": "Sam"}
    assert errors_of(SCREENING, {"age": "old", "extra": 1}, partial=True) == {
        "age": ["Age must be a number"],
        "extra": ["Unknown field"],
    }
    assert validate_submission(SCREENING, {"actions": [{}]}, partial=True) == {"actions": [{}]}


CONDITIONAL = make_form(
    {"type": "radio", "key": "worried", "label": "Worried", "values": YES_NO},
    {
        "type": "textarea",
        "key": "worry",
        "label": "What worries you",
        "validate": {"required": True},
        "conditional": {"hide": '=worried != "yes"'},
    },
    {
        "type": "dynamiclist",
        "path": "people",
        "components": [
            {"type": "textfield", "key": "name", "label": "Name"},
            {
                "type": "textfield",
                "key": "role",
                "label": "Role",
                "validate": {"required": True},
                "conditional": {"hide": "=name = null"},
            },
        ],
    },
)


def hidden_when_not_worried(expression, answers):
    """A stand-in for the FEEL evaluator the workflow layer will provide."""
    if "worried" in expression:
        return answers.get("worried") != "yes"
    return answers.get("name") is None


def test_conditional_fields_are_optional_without_an_evaluator():
    assert validate_submission(CONDITIONAL, {"worried": "no"}) == {"worried": "no"}


def test_hidden_answers_are_dropped_and_visible_ones_required():
    hidden = validate_submission(
        CONDITIONAL, {"worried": "no", "worry": "stale"}, is_hidden=hidden_when_not_worried
    )
    assert hidden == {"worried": "no"}

    errors = errors_of(CONDITIONAL, {"worried": "yes"}, is_hidden=hidden_when_not_worried)
    assert errors == {"worry": ["Enter what worries you"]}


def test_row_conditions_see_the_row():
    data = {"worried": "no", "people": [{"name": "A"}, {"role": "ignored"}]}

    errors = errors_of(CONDITIONAL, data, is_hidden=hidden_when_not_worried)

    assert errors == {"people[0].role": ["Enter role"]}


def test_schema_is_compiled_once_per_form_content():
    again = make_form(*SCREENING.raw["components"])

    assert compiled_schema(SCREENING) is compiled_schema(again)
    assert compiled_schema(SCREENING) is not compiled_schema(SCREENING, partial=True)


def test_unanswered_optional_groups_are_left_out():
    form = make_form(
        {"type": "group", "path": "extra", "components": [{"type": "textfield", "key": "a"}]},
        {
            "type": "dynamiclist",
            "path": "rows",
            "components": [
                {"type": "textfield", "key": "b"},
                {"type": "group", "path": "more", "components": [{"type": "textfield", "key": "c"}]},
            ],
        },
    )

    assert validate_submission(form, {"rows": [{"b": "x"}]}) == {"rows": [{"b": "x"}]}
    assert validate_submission(form, {"extra": {}}) == {"extra": {}}


def test_hostile_values_are_refused_cheaply():
    deep = []
    for _ in range(50_000):
        deep = [deep]

    errors = errors_of(SCREENING, {**GOOD, "child_name": deep, "junk": deep})

    assert errors["child_name"] == ["The child's full name must be text"]
    assert errors["junk"] == ["Unknown field"]
    assert validate_submission(SCREENING, GOOD)["summary"] == GOOD["summary"]

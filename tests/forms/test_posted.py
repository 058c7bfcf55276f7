"""Turning an HTML form post into nested answers."""

import json

import pytest
from werkzeug.datastructures import MultiDict

from engine.errors import InvalidFormData
from engine.forms import data_from_post, data_path, field_name, parse_form, validate_submission
from engine.forms.validation import MAX_ROWS

YES_NO = [{"label": "Yes", "value": "yes"}, {"label": "No", "value": "no"}]

FORM = parse_form(
    json.dumps(
        {
            "id": "screening",
            "type": "default",
            "components": [
                {"type": "text", "text": "# Screening"},
                {"type": "textfield", "key": "child_name", "label": "Name", "validate": {"required": True}},
                {"type": "datetime", "key": "dob", "subtype": "date", "dateLabel": "Date of birth"},
                {"type": "datetime", "key": "seen", "subtype": "datetime", "dateLabel": "Seen"},
                {"type": "datetime", "key": "at", "subtype": "time", "timeLabel": "At"},
                {"type": "number", "key": "age", "label": "Age"},
                {"type": "checkbox", "key": "urgent", "label": "Urgent"},
                {"type": "checklist", "key": "agencies", "label": "Agencies", "values": YES_NO},
                {"type": "radio", "key": "consent", "label": "Consent", "values": YES_NO},
                {"type": "textfield", "key": "case_ref", "label": "Case reference", "readonly": True},
                {"type": "group", "path": "referrer", "components": [{"type": "textfield", "key": "name"}]},
                {
                    "type": "dynamiclist",
                    "path": "actions",
                    "label": "Actions",
                    "components": [
                        {"type": "textfield", "key": "owner", "label": "Owner"},
                        {"type": "checkbox", "key": "done", "label": "Done"},
                        {
                            "type": "dynamiclist",
                            "path": "steps",
                            "components": [{"type": "textfield", "key": "what", "label": "What"}],
                        },
                    ],
                },
            ],
        }
    )
)


def test_names_are_dotted_data_paths_with_numbered_rows():
    assert field_name("referrer.name") == "referrer.name"
    assert field_name("actions[1].owner") == "actions.1.owner"
    assert field_name("actions[1].steps[0].what") == "actions.1.steps.0.what"
    assert data_path("actions[].steps[].what", (1, 0)) == "actions[1].steps[0].what"
    with pytest.raises(ValueError):
        data_path("actions[].owner", ())


def test_plain_fields_and_groups():
    post = MultiDict(
        {"child_name": " Sam ", "age": "11", "consent": "yes", "referrer.name": "Ann", "stray": "x"}
    )

    assert data_from_post(FORM, post) == {
        "child_name": "Sam",
        "age": "11",
        "consent": "yes",
        "urgent": False,
        "referrer": {"name": "Ann"},
    }


def test_blank_answers_are_omitted_so_the_validator_can_name_them():
    data = data_from_post(
        FORM, MultiDict({"child_name": "  ", "dob-day": "", "dob-month": "", "dob-year": ""})
    )

    assert data == {"urgent": False}
    with pytest.raises(InvalidFormData) as caught:
        validate_submission(FORM, data)
    assert caught.value.errors == {"child_name": ["Enter name"]}


def test_checkboxes():
    post = MultiDict([("urgent", "true"), ("agencies", "yes"), ("agencies", "no"), ("agencies", "")])

    data = data_from_post(FORM, post)

    assert data["urgent"] is True
    assert data["agencies"] == ["yes", "no"]


@pytest.mark.parametrize(
    ("day", "month", "year", "expected"),
    [("4", "3", "2012", "2012-03-04"), ("04", "03", "2012", "2012-03-04"), ("30", "2", "2012", "2012-2-30")],
)
def test_gov_uk_date_parts_become_iso_dates(day, month, year, expected):
    post = MultiDict({"dob-day": day, "dob-month": month, "dob-year": year})

    assert data_from_post(FORM, post)["dob"] == expected


@pytest.mark.parametrize(
    ("parts"),
    [
        {"dob-day": "30", "dob-month": "2", "dob-year": "2012"},
        {"dob-day": "1", "dob-month": "", "dob-year": "2012"},
        {"dob-day": "1", "dob-month": "1", "dob-year": "12"},
        {"dob-day": "99999999999999999999", "dob-month": "1", "dob-year": "2012"},
        {"dob-day": "x", "dob-month": "1", "dob-year": "2012"},
    ],
)
def test_impossible_dates_reach_the_validator_as_typed(parts):
    data = data_from_post(FORM, MultiDict({"child_name": "Sam", **parts}))

    with pytest.raises(InvalidFormData) as caught:
        validate_submission(FORM, data)
    assert caught.value.errors == {"dob": ["Date of birth must be a real date"]}


def test_a_single_iso_date_input_also_works():
    assert data_from_post(FORM, MultiDict({"dob": "2012-03-04"}))["dob"] == "2012-03-04"


def test_date_and_time_and_time_alone():
    post = MultiDict(
        {"seen-day": "1", "seen-month": "5", "seen-year": "2024", "seen-time": "09:30", "at": "17:00"}
    )

    data = data_from_post(FORM, post)

    assert data["seen"] == "2024-05-01T09:30"
    assert data["at"] == "17:00"


def test_read_only_fields_are_not_read():
    assert "case_ref" not in data_from_post(FORM, MultiDict({"case_ref": "forged"}))


def test_rows_are_read_in_order_until_the_first_missing_row():
    post = MultiDict(
        {
            "actions.0.owner": "Duty team",
            "actions.0.steps.0.what": "Call school",
            "actions.0.steps.1.what": "Visit park",
            "actions.1.owner": "School",
            "actions.1.done": "on",
            "actions.3.owner": "never read: row 2 is missing",
        }
    )

    assert data_from_post(FORM, post)["actions"] == [
        {"owner": "Duty team", "done": False, "steps": [{"what": "Call school"}, {"what": "Visit park"}]},
        {"owner": "School", "done": True},
    ]


def test_trailing_empty_rows_are_dropped():
    post = MultiDict({"actions.0.owner": "A", "actions.1.owner": "", "actions.2.owner": " "})

    assert data_from_post(FORM, post)["actions"] == [{"owner": "A", "done": False}]


def test_no_rows_means_no_list():
    assert "actions" not in data_from_post(FORM, MultiDict({"actions.0.owner": ""}))


def test_rows_are_capped():
    post = MultiDict({f"actions.{i}.owner": "x" for i in range(MAX_ROWS + 50)})

    assert len(data_from_post(FORM, post)["actions"]) == MAX_ROWS


class PlainPost:
    """Any object with get and getlist will do; the engine imports no web framework."""

    def __init__(self, pairs):
        self.pairs = pairs

    def get(self, key, default=None):
        return next((v for k, v in self.pairs if k == key), default)

    def getlist(self, key):
        return [v for k, v in self.pairs if k == key]


def test_post_to_clean_answers_round_trip():
    post = PlainPost(
        [
            ("child_name", "Sam"),
            ("dob-day", "4"),
            ("dob-month", "3"),
            ("dob-year", "2012"),
            ("age", "11"),
            ("agencies", "yes"),
            ("actions.0.owner", "Duty team"),
            ("actions.0.done", "on"),
        ]
    )

    cleaned = validate_submission(FORM, data_from_post(FORM, post))

    assert cleaned == {
        "child_name": "Sam",
        "dob": "2012-03-04",
        "age": 11,
        "urgent": False,
        "agencies": ["yes"],
        "actions": [{"owner": "Duty team", "done": True}],
    }

"""form-js conditions decided on the server: hidden fields are neither kept nor checked; shown required ones are."""

from __future__ import annotations

import pytest

from engine.errors import InvalidFormData, InvalidProcess
from engine.forms import parse_form, validate_submission
from engine.forms.conditions import feel_to_safe, is_hidden, revealed_by
from tests.forms.test_validation import make_form

DECISION = make_form(
    {"type": "radio", "key": "accept_recommendation", "label": "Do you accept the recommendation?",
     "validate": {"required": True}, "values": [{"label": "Yes", "value": "yes"}, {"label": "No", "value": "no"}]},
    {"type": "textarea", "key": "override_reason", "label": "Reason for a different outcome",
     "validate": {"required": True}, "conditional": {"hide": '=accept_recommendation != "no"'},
     "properties": {"errorMessage": "Enter why you are deciding differently"}},
)


def test_the_reason_is_required_exactly_when_the_recommendation_is_not_accepted():
    with pytest.raises(InvalidFormData) as refused:
        validate_submission(DECISION, {"accept_recommendation": "no"})
    assert refused.value.errors == {"override_reason": ["Enter why you are deciding differently"]}
    assert validate_submission(DECISION, {"accept_recommendation": "no", "override_reason": "Risk is higher"}) == {
        "accept_recommendation": "no", "override_reason": "Risk is higher"}
    # accepted: the reason is hidden, so a stale answer is dropped rather than kept
    assert validate_submission(DECISION, {"accept_recommendation": "yes", "override_reason": "old"}) == {
        "accept_recommendation": "yes"}


@pytest.mark.parametrize(("feel", "answers", "hidden"), [
    ('=kind != "school"', {"kind": "school"}, False),
    ('=kind != "school"', {}, True),  # unanswered is null, as in FEEL
    ("=not(ticked)", {"ticked": True}, False),
    ('=a = "x" and b >= 2', {"a": "x", "b": 3}, True),
    ('=a = "x=y" or c', {"a": "x=y"}, True),
])
def test_feel_subset(feel, answers, hidden):
    assert is_hidden(feel, answers) is hidden


def test_the_usual_reveal_shape_is_recognised_for_gov_uk_conditional_reveal():
    assert revealed_by('=kind != "school"') == ("kind", "school")
    assert revealed_by("=not(ticked)") == ("ticked", True)
    assert revealed_by('=a = "x" and b') is None
    assert feel_to_safe('=a = "1" and b != 2') == 'a == "1" and b != 2'


def test_a_condition_the_server_cannot_decide_is_refused_when_the_form_is_parsed():
    with pytest.raises(InvalidProcess) as refused:
        parse_form('{"id": "f", "components": [{"type": "textfield", "key": "a", '
                   '"conditional": {"hide": "=some x in list satisfies x > 1"}}]}')
    assert "cannot be decided on the server" in refused.value.problems[0].message


def test_generated_messages_for_questions_stay_grammatical():
    form = make_form({"type": "radio", "key": "q", "label": "Is the child in danger?", "validate": {"required": True},
                      "values": [{"label": "Yes", "value": "yes"}]})
    with pytest.raises(InvalidFormData) as refused:
        validate_submission(form, {})
    assert refused.value.errors == {"q": ["Select an answer to ‘Is the child in danger?’"]}

"""The safe expression evaluator: what modellers may write, and what can never run."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition

from engine.calendar.timescales import Timescale, TimescaleBook
from engine.calendar.working_days import WorkingCalendar
from engine.errors import ExpressionError
from engine.workflow.expressions import (
    HELPER_NAMES,
    compile_expression,
    evaluate,
    is_iso8601_literal,
    strip_expression,
)
from engine.workflow.time_helpers import build_helpers

MONDAY_10AM = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
CASE = {
    "immediate_risk": "yes",
    "rag": "amber",
    "level": 3,
    "consent": "given",
    "concerns": ["cse", "missing"],
    "child": {"age": 14, "name": " Ann ", "address": {"postcode": "AB1 2CD"}},
    "referral": {"source": "POLICE", "received_at": "2026-03-02T10:00:00Z"},
    "nothing": None,
}


def fixed_clock() -> datetime:
    """The fake clock: Monday 2 March 2026, 10:00 UTC."""
    return MONDAY_10AM


def make_helpers(**overrides):
    """Helpers on the real England-and-Wales calendar and a real timescale book."""
    calendar = WorkingCalendar("england-and-wales")
    decision = Timescale(
        "referral_decision",
        1,
        "working_days",
        "referral_received",
        "Working Together 2023",
        True,
        "Decision on a referral",
    )
    book = TimescaleBook({"referral_decision": decision}, calendar)
    return build_helpers(**{"now": fixed_clock, "calendar": calendar, "timescales": book, **overrides})


def refusal(text: str, names=None, functions=None) -> str:
    """The message of the ExpressionError that compiling or evaluating ``text`` raises."""
    with pytest.raises(ExpressionError) as caught:
        evaluate(text, CASE if names is None else names, functions)
    assert caught.value.code == "invalid_expression"
    return caught.value.message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("${risk == 'high'}", "risk == 'high'"),
        ("#{ level >= 3 }", "level >= 3"),
        ("  level >= 3\n", "level >= 3"),
        ("${ {'a': 1}['a'] }", "{'a': 1}['a']"),
    ],
)
def test_strip_expression_accepts_what_the_camunda_modeler_writes(text, expected):
    assert strip_expression(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "PT24H",
        "P3M",
        "P1DT2H",
        "PT0.5S",
        "P2W",
        "R3/P6M",
        "R/P6M",
        "R/2026-01-01T09:00:00Z/P1D",
        "2026-12-01T09:00:00Z",
        "2026-12-01",
        "2026-12-01T09:00",
        " PT1S ",
    ],
)
def test_iso8601_literals_are_recognised(text):
    assert is_iso8601_literal(text)


@pytest.mark.parametrize(
    "text", ["P", "PT", "P1DT", "pt24h", '"PT24H"', "R3", "2026-13-45", "risk == 'high'", "days(3)", ""]
)
def test_other_text_is_not_an_iso8601_literal(text):
    assert not is_iso8601_literal(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("immediate_risk == 'yes'", True),
        ("rag in ['red', 'amber']", True),
        ("rag not in ('red', 'amber')", False),
        ("level >= 3 and consent == 'given'", True),
        ("${level > 3 or consent == 'refused'}", False),
        ("1 < level <= 3", True),
        ("'cse' in concerns and len(concerns) >= 2", True),
        ("child.age < 18", True),
        ("child.address.postcode.startswith('AB1')", True),
        ("child.name.strip().lower() == 'ann'", True),
        ("referral.source.lower() == 'police'", True),
        ("child['age'] + 1", 15),
        ("child.get('gender', 'unknown')", "unknown"),
        ("'urgent' if immediate_risk == 'yes' else 'routine'", "urgent"),
        ("nothing is null and true and not false", True),
        ("max(level, 5) * 2 - abs(-1)", 9),
        ("round(level / 2, 1)", 1.5),
        ("sorted(concerns)[0]", "cse"),
        ("any([level > 5, consent == 'given'])", True),
        ("{'a': [1, 2], 'b': (3,)}", {"a": [1, 2], "b": (3,)}),
        ("concerns[-1][:4]", "miss"),
        ("str(level) + ' of 5'", "3 of 5"),
        ("2 ** 10", 1024),
    ],
)
def test_gateway_and_dmn_expressions_evaluate_over_task_data(text, expected):
    assert evaluate(text, CASE) == expected


def test_a_compiled_expression_is_cached_and_lists_the_task_data_it_reads():
    expression = compile_expression("level >= 3 and child.age < max(limit, 18) and true")
    assert compile_expression("level >= 3 and child.age < max(limit, 18) and true") is expression
    assert expression.names == frozenset({"level", "child", "limit"})
    assert expression.evaluate({"level": 4, "child": {"age": 9}, "limit": 0}) is True


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "Names starting with an underscore are not allowed: __import__"),
        ("().__class__.__base__.__subclasses__()", "Names starting with an underscore are not allowed"),
        ("child.__class__", "Names starting with an underscore are not allowed: __class__"),
        ("_private", "Names starting with an underscore are not allowed: _private"),
        ("max(level, key=_f)", "Names starting with an underscore are not allowed: _f"),
        ("getattr(child, 'age')", "Function 'getattr' is not available; available: abs, all, any"),
        ("open('/etc/passwd')", "Function 'open' is not available; available:"),
        ("eval('1')", "Function 'eval' is not available"),
        ("exec('x')", "Function 'exec' is not available"),
        ("'x'.format()", "Method 'format' is not available; available: endswith, get, lower"),
        ("concerns[0]()", "Only helper functions and text/record methods can be called"),
        ("(lambda: 1)()", "Lambda functions are not allowed"),
        ("[c for c in concerns]", "Comprehensions are not allowed"),
        ("{c: 1 for c in concerns}", "Comprehensions are not allowed"),
        ("any(c == 'cse' for c in concerns)", "Generator expressions are not allowed"),
        ("(x := 1)", "Assignment (:=) is not allowed"),
        ("max(*concerns)", "Unpacking with * is not allowed"),
        ("max(**child)", "Unpacking with ** is not allowed"),
        ("{**child}", "Unpacking with ** is not allowed"),
        ("f'{level!r:>10}'", "f-strings are not allowed"),
        ("level << 3", "Operator '<<' is not available"),
        ("level = 3", "use '==' to compare"),
        ("level > 3 && consent", "use 'and' instead of '&&'"),
        ("", "Expression is empty"),
        ("${a} + ${b}", "Write the whole expression inside one ${...}"),
        ("-" * 200 + "1", "Expression is too complex"),
        ("[" * 100 + "]" * 100, "Expression is too complex"),
        ("(" * 300 + "1" + ")" * 300, "Syntax error"),
        ("+".join(["1"] * 600), "Expression is too complex"),
        ("b'x' * 10 ** 9", "Byte strings are not available"),
        ("x" * 100_000, "Expression is too long (100000 characters; at most 2000)"),
    ],
)
def test_dangerous_or_unsupported_expressions_are_refused_when_compiled(text, message):
    with pytest.raises(ExpressionError) as caught:
        compile_expression(text)
    assert message in caught.value.message


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("risk_level == 'high'", "'risk_level' is not defined"),
        ("child.gender == 'f'", "'child' has no field 'gender'"),
        ("child['gender']", "key 'gender' not found"),
        ("'x'.format", "'.format' is not available on str values"),
        ("level.real", "'.real' is not available on int values"),
        ("child.lower()", "method 'lower' is not available on dict values"),
        ("level.strip()", "method 'strip' is not available on int values"),
        ("nothing > 3", "'>' not supported between instances of 'NoneType' and 'int'"),
        ("level / 0", "division by zero"),
        ("9 ** 999999", "exponent 999999 is too large"),
        ("4000 ** 4000", "exponent 4000 is too large"),
        ("(10 ** 50) ** 100", "is too large"),
        ("'a' * 10 ** 9", "result would be too long (1000000000 items in a text; at most 100000)"),
        ("[1] * 10 ** 9", "result would be too long"),
        ("10 ** 9 * 'ab'", "result would be too long"),
        ("[[1] * 10000] * 10000", "repeating a list of lists is not allowed"),
        ("'%0999999999d' % 1", "text formatting with % is not available"),
        ("round(10, -10 ** 9)", "round() ndigits must be between -100 and 100"),
        ("now()", "function 'now' is not available here"),
    ],
)
def test_evaluation_failures_name_the_expression_and_the_cause(text, message):
    error = refusal(text)
    assert message in error
    assert error.startswith(f"Cannot evaluate '{text}'")


def test_huge_results_are_refused_without_building_them():
    started = time.perf_counter()
    for text in ("'a' * 10 ** 9", "[1] * 10 ** 9", "9 ** 999999", "'ab' * 60000 + 'c'"):
        refusal(text)
    assert time.perf_counter() - started < 0.5


def test_error_details_carry_the_expression_for_the_web_layer():
    with pytest.raises(ExpressionError) as caught:
        evaluate("${ missing }", {})
    assert caught.value.to_dict() == {
        "code": "invalid_expression",
        "message": "Cannot evaluate 'missing': 'missing' is not defined",
        "expression": "missing",
    }


def test_due_dates_use_the_real_working_calendar_and_clock():
    helpers = make_helpers()
    assert evaluate("now()", {}, helpers) == MONDAY_10AM
    assert evaluate("working_days(1)", {}, helpers) == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert evaluate("working_days(5)", {}, helpers) == datetime(2026, 3, 9, 10, 0, tzinfo=UTC)
    assert evaluate("hours(72)", {}, helpers) == datetime(2026, 3, 5, 10, 0, tzinfo=UTC)
    assert evaluate("days(3, anchor=referral.received_at)", CASE, helpers) == datetime(
        2026, 3, 5, 10, tzinfo=UTC
    )
    assert evaluate("months(3, '2026-01-31T10:00:00Z')", {}, helpers) == datetime(
        2026, 4, 30, 9, 0, tzinfo=UTC
    )


def test_working_days_skip_bank_holidays():
    # Good Friday 3 April and Easter Monday 6 April 2026 are bank holidays in England and Wales.
    due = evaluate("working_days(1, '2026-04-02T10:00:00Z')", {}, make_helpers())
    assert due == datetime(2026, 4, 7, 10, 0, tzinfo=UTC)


def test_named_timescales_give_due_dates():
    due = evaluate("timescale('referral_decision', referral.received_at)", CASE, make_helpers())
    assert due == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert "no timescale called 'assessment'" in refusal("timescale('assessment')", functions=make_helpers())
    without_book = make_helpers(timescales=None)
    assert "no timescales are configured" in refusal("timescale('referral_decision')", functions=without_book)


def test_dates_parse_compare_and_format_for_timers():
    helpers = make_helpers()
    assert evaluate("date('2026-12-01') > now()", {}, helpers) is True
    assert evaluate("date('2026-12-01T09:00:00+01:00')", {}, helpers) == datetime(2026, 12, 1, 8, tzinfo=UTC)
    timer_value = evaluate("iso(working_days(1))", {}, helpers)
    assert timer_value == "2026-03-03T10:00:00Z"
    # The timer text must be something Spiff's timeDate parser reads back to the same instant.
    assert TimerEventDefinition.get_datetime(timer_value) == datetime(2026, 3, 3, 10, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("working_days(10 ** 9)", "is too large (at most 10000)"),
        ("days('3')", "expected a whole number"),
        ("date('next tuesday')", "'next tuesday' is not an ISO 8601 date"),
        ("now().year", "'.year' is not available on datetime values"),
    ],
)
def test_helpers_refuse_bad_arguments(text, message):
    assert message in refusal(text, functions=make_helpers())


def test_helper_names_cover_the_time_helpers_and_safe_builtins():
    assert set(make_helpers()) <= HELPER_NAMES
    assert {"len", "str", "int", "min", "max", "any", "all", "sorted"} <= HELPER_NAMES
    assert not {"eval", "exec", "open", "getattr", "__import__", "type"} & HELPER_NAMES


def test_syntax_errors_report_the_column_for_the_modeller():
    with pytest.raises(ExpressionError) as caught:
        compile_expression("${level >= 3 3}")
    assert caught.value.details == {"expression": "level >= 3 3", "column": 12}
    with pytest.raises(ExpressionError) as caught:
        compile_expression("level >=")
    assert caught.value.message == "Syntax error in 'level >=': invalid syntax (at the end)"

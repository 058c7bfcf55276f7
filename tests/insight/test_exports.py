"""CSV exports: no cell can run as a spreadsheet formula, and every export is audited as an export."""

from __future__ import annotations

import csv
import io

import pytest

from engine.insight.exports import FORMULA_START, csv_text, neutralise
from engine.people.directory import add_user
from tests.insight.conftest import log_context, refer, utc
from tests.support.audit import audit_rows
from tests.support.web import PASSWORD_HASH, sign_in
from web import create_app

HOSTILE_NAME = "=cmd|' /C calc'!A0"
EXPORTS = {"measures": "/insight?format=csv", "pilots": "/insight/pilots?format=csv",
           "waiting": "/insight/waiting/child_referral/1?format=csv", "journey": "/insight/journeys/{ref}?format=csv",
           "system_review": "/insight/system-review?format=csv"}


@pytest.fixture
def app(routes):
    """The app with a manager and the reviewer who can sign in."""
    for name, role in {"boss": "manager", "friend": "reviewer"}.items():
        add_user(routes, f"web_{name}", ["partnership"], "test", role=role, password_hash=PASSWORD_HASH)
    return create_app(routes, {"TESTING": True})


def browser(app, name: str):
    client = app.test_client()
    assert sign_in(client, f"web_{name}").status_code == 302
    return client


def _cells(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.get_data(as_text=True))))


@pytest.mark.parametrize("start", FORMULA_START)
def test_f4_a_cell_starting_like_a_formula_is_shown_as_text(start):
    text = csv_text((["name", "count"], [[f"{start}SUM(A1:A9)", -3], ["plain", 2], [None, 0]]))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[1] == [f"'{start}SUM(A1:A9)", "-3"]  # the number stays a number
    assert rows[2:] == [["plain", "2"], ["", "0"]]
    assert neutralise("a=b") == "a=b"


def test_f4_a_context_named_like_a_formula_is_neutralised_in_the_journey_csv(app, routes, clock):
    park = log_context(routes, clock, utc(2026, 3, 2, 9), context_name=HOSTILE_NAME)
    rows = _cells(browser(app, "boss").get(f"/insight/journeys/{park.case_ref}?format=csv"))
    subjects = {row[rows[0].index("subject")] for row in rows[1:]}
    assert subjects == {"'" + HOSTILE_NAME}
    assert not [cell for row in rows for cell in row if cell.startswith(FORMULA_START)]


def test_f15_every_export_is_audited_as_an_export_with_its_row_count(app, routes, clock):
    child = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    manager, friend = browser(app, "boss"), browser(app, "friend")
    for export, path in EXPORTS.items():
        reader = friend if export == "system_review" else manager
        response = reader.get(path.format(ref=child.case_ref))
        assert response.status_code == 200, path
        exported = audit_rows(routes, "data_exported")[-1]
        assert exported.subject_id == export
        assert exported.details["rows"] == len(_cells(response)) - 1
        assert exported.details["columns"] == _cells(response)[0]


def test_f15_an_export_of_a_childs_journey_says_whose_data_left(app, routes, clock):
    child = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    browser(app, "boss").get(f"/insight/journeys/{child.case_ref}?format=csv")
    exported = audit_rows(routes, "data_exported", "web_boss")
    assert [(e.details["cases"], e.details["personal_data"]) for e in exported] == [([child.case_ref], True)]
    browser(app, "boss").get(f"/insight/journeys/{child.case_ref}")  # a page view is not an export
    assert len(audit_rows(routes, "data_exported", "web_boss")) == 1

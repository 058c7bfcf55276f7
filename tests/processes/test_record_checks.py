"""Check at deploy: what a task shows names real parts of the record, and form templates name real data."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidProcess
from engine.processes.deploy import check_files, deploy, read_paths
from engine.store.models import ProcessVersion
from tests.support.case_data import ROOT


def _routes() -> dict[str, bytes]:
    return read_paths([ROOT / "workflows" / "bpmn", ROOT / "forms"])


def test_the_shipped_routes_pass_check(lite):
    assert check_files(lite, _routes()) == []


def test_a_shows_property_naming_nothing_known_is_refused_and_nothing_is_stored(lite):
    files = _routes()
    files["child_referral.bpmn"] = files["child_referral.bpmn"].replace(
        b'value="subject, task_screening, task_share_without_consent, referral"',
        b'value="subject, task_screaning, referral"', 1)
    with pytest.raises(InvalidProcess) as refused:
        deploy(lite, files, actor="admin")
    [problem] = refused.value.problems
    assert problem.element_id == "task_check_police" and "'task_screaning'" in problem.message
    with lite.db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessVersion)) == 0


def test_a_form_template_naming_data_nobody_sets_is_reported_against_the_form(lite):
    files = _routes()
    form = files["child_decision.form"].replace(b"recommended_route_words", b"recomended_route_words")
    files["child_decision.form"] = form.replace(b"Level of need: ", b"Level of need: {{ __class__ }} ", 1)
    problems = check_files(lite, files)
    assert sorted((p.file, p.message.split("'")[1]) for p in problems) == [
        ("child_decision.form", "{{ __class__ }}"), ("child_decision.form", "{{ recomended_route_words }}")]

"""The `frontdoor` command line: a contract scripts depend on (commands, --json, exit codes)."""

from __future__ import annotations

import json

import pytest

from cli.main import main
from tests.support.factories import FIXTURES


@pytest.fixture
def cli(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)

    def run(*args: str) -> tuple[int, object, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        try:
            data = json.loads(out) if "--json" in args and out else out
        except json.JSONDecodeError:
            data = out
        return code, data, err

    return run


def test_full_session(cli):
    assert cli("db", "upgrade")[0] == 0
    code, deployed, _ = cli("deploy", str(FIXTURES / "bpmn"), str(FIXTURES / "forms"), "--json")
    assert code == 0 and deployed[0]["process_id"] == "demo_intake" and deployed[0]["version"] == 1
    assert cli("users", "add", "fd", "--groups", "front_door,mash_social_worker")[0] == 0
    code, users, _ = cli("users", "list", "--json")
    assert users[0]["groups"] == ["front_door", "mash_social_worker"]
    assert cli("processes", "--json")[1][0]["version"] == 1
    code, started, _ = cli("start", "demo_intake", "--data", '{"child": "X"}', "--as", "fd", "--json")
    assert code == 0 and started["status"] == "waiting"
    code, tasks, _ = cli("tasks", "--instance", str(started["id"]), "--json")
    assert [t["element_id"] for t in tasks] == ["triage"]
    code, _, err = cli("complete", str(tasks[0]["id"]), "--as", "fd", "--data", '{"rag": "pink"}')
    assert code == 1 and err.startswith("error[invalid_form_data]") and "rag:" in err
    code, view, _ = cli("complete", str(tasks[0]["id"]), "--as", "fd", "--data", '{"rag": "green"}', "--json")
    assert code == 0 and [w["element_id"] for w in view["open_work_items"]] == ["routine_review"]
    code, _, err = cli("complete", str(tasks[0]["id"]), "--as", "fd", "--json")
    assert code == 1 and json.loads(err)["code"] == "task_already_completed"
    code, inst, _ = cli("instance", str(started["id"]), "--json")
    assert inst["version"] == 1 and inst["history"]
    code, fired, _ = cli("fire-due", "--now", "2030-01-01T00:00:00Z", "--json")
    assert code == 0 and fired["fired"] == 0


def test_invalid_deploy_prints_every_problem_and_exits_1(cli, tmp_path):
    cli("db", "upgrade")
    bad = tmp_path / "bad.bpmn"
    bad.write_text((FIXTURES / "bpmn" / "demo_intake.bpmn").read_text()
                   .replace('camunda:topic="demo_lookup"', 'camunda:topic="x"')
                   .replace('camunda:formRef="demo_triage"', 'camunda:formRef="ghost"'))
    code, _, err = cli("deploy", str(bad))
    assert code == 1
    assert "error[invalid_process]" in err and "lookup: The service topic 'x'" in err and "triage:" in err


def test_errors_have_stable_codes(cli):
    cli("db", "upgrade")
    code, _, err = cli("start", "nothing_here", "--json")
    assert code == 1 and json.loads(err)["code"] == "not_found"
    code, _, err = cli("start", "x", "--data", "[1]")
    assert code == 1 and "error[invalid_form_data]" in err


def test_deploy_says_first_which_versions_it_creates_and_plan_deploys_nothing(cli, tmp_path):
    cli("db", "upgrade")
    code, planned, _ = cli("deploy", str(FIXTURES / "bpmn"), str(FIXTURES / "forms"), "--plan")
    assert code == 0 and "Demo intake: version 1 becomes the current version, from the files given." in planned
    assert cli("processes", "--json")[1] == []  # --plan stored nothing
    code, _, said = cli("deploy", str(FIXTURES / "bpmn"), str(FIXTURES / "forms"))
    assert code == 0 and "Demo intake: version 1 becomes the current version" in said  # before the result
    changed = tmp_path / "demo_intake.bpmn"
    changed.write_text((FIXTURES / "bpmn" / "demo_intake.bpmn").read_text().replace("Triage the contact", "Triage"))
    table = str(next((FIXTURES / "bpmn").glob("*.dmn")))
    code, planned, _ = cli("deploy", str(changed), table, "--pilot-rule", '{"field": "team", "equals": "north"}',
                           "--plan", "--json")
    assert code == 0 and (planned[0]["number"], planned[0]["kind"], planned[0]["pilot_rule_words"]) == (
        2, "pilot", "Team is North")
    code, _, err = cli("deploy", str(changed), table, "--pilot-rule", '{"field": "team"}')
    assert code == 1 and err.startswith("error[invalid_process]")
    code, listed, _ = cli("processes", "--json")
    assert [(v["version"], v["status"]) for v in listed] == [(1, "current")]

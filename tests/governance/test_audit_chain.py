"""The audit trail cannot be quietly edited: rows are sealed into a hash chain that `audit verify` checks."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from cli.main import main
from engine import audit
from engine.governance import chain


def _write(svc, n: int, start: int = 0) -> None:
    with svc.db.transaction() as session:
        for i in range(start, start + n):
            audit.record(session, at=svc.now(), actor="ayla.test", action="case_viewed", subject_type="case",
                         subject_id=f"CH-{i}", reason="allocated", seen=[i, "x"])


def _sql(svc, statement: str) -> None:
    with svc.db.transaction() as session:
        session.execute(text(statement))


def test_sealed_rows_form_a_chain_that_holds(svc):
    _write(svc, 5)
    assert chain.verify(svc).unsealed == 5
    assert chain.seal(svc) == 5
    _write(svc, 3, start=5)
    assert chain.seal_all(svc) == 3 and chain.seal(svc) == 0
    report = chain.verify(svc)
    assert report.holds and report.checked == 8 and report.head_seq == 8 and report.unsealed == 0


def test_an_edited_row_breaks_the_chain_at_that_row(svc):
    _write(svc, 6)
    chain.seal_all(svc)
    _sql(svc, "UPDATE audit_events SET actor = 'someone.else' WHERE seq = 4")
    report = chain.verify(svc)
    assert not report.holds and report.broken_seq == 4 and "changed after it was sealed" in report.problem
    assert report.checked == 3


def test_a_rewritten_hash_is_caught_by_the_next_row(svc):
    _write(svc, 4)
    chain.seal_all(svc)
    _sql(svc, "UPDATE audit_events SET details = '{}', row_hash = '" + "a" * 64 + "' WHERE seq = 2")
    report = chain.verify(svc)
    assert not report.holds and report.broken_seq == 2


def test_a_removed_row_and_a_removed_tail_are_both_found(svc):
    _write(svc, 5)
    chain.seal_all(svc)
    _sql(svc, "DELETE FROM audit_events WHERE seq = 5")
    report = chain.verify(svc)
    assert not report.holds and report.broken_seq == 5 and "removed" in report.problem
    _sql(svc, "DELETE FROM audit_events WHERE seq = 3")
    report = chain.verify(svc)
    assert not report.holds and report.broken_seq == 4 and "rows 3 to 3 are missing" in report.problem


@pytest.fixture
def cli(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)

    def run(*args: str) -> tuple[int, str, str]:
        code = main(list(args))
        out, err = capsys.readouterr()
        return code, out, err

    return run


def test_cli_verify_exits_0_then_1_naming_the_first_broken_row(cli, lite):
    _write(lite, 4)
    code, out, _ = cli("audit", "verify", "--json")
    assert code == 0 and json.loads(out)["holds"] is True and json.loads(out)["unsealed"] == 4
    assert cli("audit", "seal", "--json")[0] == 0
    code, out, _ = cli("audit", "verify")
    assert code == 0 and "chain: holds" in out
    _sql(lite, "UPDATE audit_events SET subject_id = 'CH-99' WHERE seq = 2")
    code, out, err = cli("audit", "verify", "--json")
    assert code == 1 and json.loads(out)["broken_seq"] == 2 and json.loads(out)["broken_id"] == 2
    assert err.startswith("{") and json.loads(err)["code"] == "audit_chain_broken"
    code, _, err = cli("audit", "verify")
    assert code == 1 and err.startswith("error[audit_chain_broken]: the audit chain is broken at row 2")


def test_cli_export_streams_json_lines_with_hashes_and_continues_after_a_row(cli, lite, tmp_path):
    _write(lite, 3)
    code, out, _ = cli("audit", "export", "--jsonl")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [r["seq"] for r in lines] == [1, 2, 3]
    assert lines[1]["prev_hash"] == lines[0]["hash"] and lines[0]["details"] == {"reason": "allocated",
                                                                                  "seen": [0, "x"]}
    code, out, _ = cli("audit", "export", "--jsonl", "--after", "2", "--out", str(tmp_path / "siem.jsonl"))
    exported = [json.loads(line) for line in (tmp_path / "siem.jsonl").read_text().splitlines()]
    # the first export was itself audited (row 4), so the second carries it too
    assert [r["seq"] for r in exported] == [3, 4] and exported[1]["action"] == "audit_exported"
    assert chain.verify(lite).holds

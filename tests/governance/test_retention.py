"""Retention and disposal: a run removes exactly what the schedule says, never what is held or open."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from cli.main import main
from engine.errors import Conflict, InvalidFormData, NotPermitted
from engine.governance import chain, disposal, holds
from engine.governance.disposal import NothingDue
from engine.store.cases import Case, Child, ChildContextLink, Context, Referral
from engine.store.casework import CaseNote, Document
from engine.store.governance import DisposedCase
from engine.store.models import AuditEvent
from tests.support.factories import make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _case(session, ref: str, kind: str, *, closed_years_ago: float | None, dob: date | None = None) -> int:
    closed = NOW - timedelta(days=365.25 * closed_years_ago) if closed_years_ago is not None else None
    case = Case(ref=ref, subject_type=kind, status="closed" if closed else "open",
                opened_at=(closed or NOW) - timedelta(days=90), closed_at=closed, created_by="fd")
    session.add(case)
    session.flush()
    if kind == "child":
        session.add(Child(case_id=case.id, first_name="Robin", last_name="Testchild", dob=dob, nhs_number="9990001111",
                          address="1 Fiction Row", postcode="ZZ1 4AB", school="Imaginary Academy"))
    else:
        session.add(Context(case_id=case.id, type="place", name="Pretend Park", address="Pretend Lane",
                            postcode="ZZ2 1CD"))
    session.add(Referral(case_id=case.id, received_at=case.opened_at, referrer_name="Sam Referrer",
                         referrer_contact="sam@example.invalid", harm_types=["cse"]))
    session.add(CaseNote(case_id=case.id, kind="note", text=f"Visited {ref}", occurred_at=case.opened_at,
                         recorded_at=case.opened_at, recorded_by="fd"))
    session.add(Document(case_id=case.id, sha256=("a" if ref.endswith("1") else "b") * 64, size=3,
                         content_type="text/plain", file_name="n.txt", description="", store="folder",
                         scan_status="clean", uploaded_at=case.opened_at, uploaded_by="fd"))
    return case.id


@pytest.fixture
def estate(svc):
    """Cases on either side of each schedule, and a manager and a worker."""
    return _estate(svc)


def _estate(svc) -> dict[str, int]:
    make_user(svc, "mia.manager", role="manager")
    make_user(svc, "wes.worker")
    with svc.db.transaction() as session:
        ids = {
            "CTX-old1": _case(session, "CTX-old1", "context", closed_years_ago=7),
            "CTX-new": _case(session, "CTX-new", "context", closed_years_ago=5),
            "CH-adult1": _case(session, "CH-adult1", "child", closed_years_ago=8, dob=date(1998, 1, 1)),
            "CH-young": _case(session, "CH-young", "child", closed_years_ago=8, dob=date(2010, 1, 1)),
            "CH-nodob": _case(session, "CH-nodob", "child", closed_years_ago=6.5),
            "CH-open": _case(session, "CH-open", "child", closed_years_ago=None, dob=date(1990, 1, 1)),
            "CH-held": _case(session, "CH-held", "child", closed_years_ago=9, dob=date(1995, 5, 5)),
        }
        session.add(ChildContextLink(child_case_id=ids["CH-adult1"], context_case_id=ids["CTX-old1"], role="harmed_at",
                                     started_on=date(2018, 1, 1), reason="Seen there by Sam"))
    return ids


def test_due_lists_exactly_what_each_schedule_says(svc, estate):
    holds.place_hold(svc, "CH-held", reason="Care proceedings", actor="mia.manager")
    report = disposal.dry_run(svc)
    cases = {i["case_ref"]: i["schedule"] for i in report["items"] if i["kind"] == "case"}
    assert cases == {"CTX-old1": "context_case", "CH-adult1": "child_case", "CH-nodob": "child_case"}
    assert report["schedules"]["context_case"] == 1 and report["schedules"]["child_case"] == 2


def test_a_dry_run_changes_nothing(svc, estate):
    with svc.db.transaction() as session:
        before = session.scalar(select(func.count()).select_from(AuditEvent))
    disposal.dry_run(svc)
    with svc.db.transaction() as session:
        assert session.scalar(select(func.count()).select_from(AuditEvent)) == before
        assert session.scalar(select(func.count()).select_from(DisposedCase)) == 0


def test_an_approved_run_anonymises_due_cases_and_leaves_held_and_open_ones(svc, estate):
    holds.place_hold(svc, "CH-held", reason="Care proceedings", actor="mia.manager")
    run = disposal.propose(svc, actor="wes.worker")
    with pytest.raises(NotPermitted):
        disposal.approve(svc, run["id"], actor="wes.worker")  # not a manager
    certificate = disposal.approve(svc, run["id"], actor="mia.manager")
    assert certificate["approved_by"] == "mia.manager" and certificate["proposed_by"] == "wes.worker"
    gone = {i["case_ref"] for i in certificate["disposed"] if i["kind"] == "case"}
    assert gone == {"CTX-old1", "CH-adult1", "CH-nodob"} and certificate["schedule"]["child_age"] == 25
    with svc.db.transaction() as session:
        adult = session.get(Child, estate["CH-adult1"])
        assert (adult.first_name, adult.dob, adult.nhs_number, adult.address, adult.postcode) == (
            "(disposed)", None, None, "", "ZZ1")
        assert session.get(Context, estate["CTX-old1"]).name == "(disposed)"
        referral = session.scalar(select(Referral).where(Referral.case_id == estate["CH-adult1"]))
        assert referral.referrer_name == "" and referral.harm_types == ["cse"]  # counts survive
        assert session.scalar(select(ChildContextLink.reason)) == ""
        assert session.scalar(select(func.count()).select_from(CaseNote)
                              .where(CaseNote.case_id == estate["CH-adult1"])) == 0
        for kept in ("CH-held", "CH-open", "CH-young", "CTX-new"):
            child_or_context = session.get(Child, estate[kept]) or session.get(Context, estate[kept])
            assert "(disposed)" not in (getattr(child_or_context, "first_name", None),
                                        getattr(child_or_context, "name", None))
            assert session.scalar(select(func.count()).select_from(CaseNote)
                                  .where(CaseNote.case_id == estate[kept])) == 1
        assert session.get(Case, estate["CH-adult1"]).ref == "CH-adult1"
        actions = set(session.scalars(select(AuditEvent.action)))
    assert {"disposal_proposed", "disposal_approved", "legal_hold_placed"} <= actions
    assert disposal.certificate(svc, run["id"]) == certificate
    assert disposal.dry_run(svc)["schedules"]["child_case"] == 0  # disposed cases are not listed again
    with pytest.raises(Conflict):
        disposal.approve(svc, run["id"], actor="mia.manager")


def test_a_hold_placed_after_the_proposal_still_stops_disposal(svc, estate):
    run = disposal.propose(svc, actor="wes.worker")
    holds.place_hold(svc, "CH-nodob", reason="Complaint under investigation", actor="mia.manager")
    certificate = disposal.approve(svc, run["id"], actor="mia.manager")
    assert [i["case_ref"] for i in certificate["skipped"]] == ["CH-nodob"]
    with svc.db.transaction() as session:
        assert session.get(Child, estate["CH-nodob"]).first_name == "Robin"


def test_a_released_hold_lets_the_case_fall_due(svc, estate):
    hold = holds.place_hold(svc, "CH-held", reason="Care proceedings", actor="mia.manager")
    holds.release_hold(svc, hold["id"], actor="mia.manager")
    assert "CH-held" in {i.get("case_ref") for i in disposal.dry_run(svc)["items"]}


def test_bad_input_changes_nothing(svc, estate):
    with pytest.raises(InvalidFormData):
        holds.place_hold(svc, "CH-held", reason=" ", actor="mia.manager")
    with pytest.raises(NotPermitted):
        holds.place_hold(svc, "CH-held", reason="x", actor="wes.worker")
    run = disposal.propose(svc, actor="mia.manager")
    with pytest.raises(NotPermitted):
        disposal.approve(svc, run["id"], actor="mia.manager")  # four eyes
    assert holds.holds(svc) == [] and disposal.dry_run(svc)["schedules"]["child_case"] == 3


def test_old_audit_rows_go_and_the_chain_still_verifies(svc, clock):
    make_user(svc, "mia.manager", role="manager")
    make_user(svc, "wes.worker")
    chain.seal_all(svc)
    clock.advance(days=365 * 8)
    make_user(svc, "new.starter")
    with pytest.raises(NothingDue):
        disposal.propose(svc.with_clock(lambda: NOW), actor="wes.worker")
    run = disposal.propose(svc, actor="wes.worker")
    chain.seal_all(svc)
    certificate = disposal.approve(svc, run["id"], actor="mia.manager")
    audit_item = next(i for i in certificate["disposed"] if i["schedule"] == "audit_rows")
    assert audit_item["count"] >= 2
    chain.seal_all(svc)
    report = chain.verify(svc)
    assert report.holds and report.checked >= 3


def test_cli_due_and_dry_run(lite, monkeypatch, capsys, sqlite_url):
    _estate(lite)
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main(["retention", "due", "--json"]) == 0
    due = json.loads(capsys.readouterr().out)
    assert due["schedules"]["context_case"] >= 1
    assert main(["retention", "dispose", "--dry-run"]) == 0
    assert "dry_run: nothing was changed" in capsys.readouterr().out
    assert main(["retention", "approve", "99", "--as", "mia.manager"]) == 1
    assert "error[not_found]" in capsys.readouterr().err

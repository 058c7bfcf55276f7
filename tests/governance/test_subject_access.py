"""Subject access: an export of everything held about a child, other children and referrers masked."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cli.main import main
from engine import audit
from engine.bootstrap import bootstrap
from engine.cases.document_store import content_hash
from engine.cases.documents import document_store
from engine.config import Settings
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.governance import disposal, sar
from engine.store.cases import Case, Child, ChildContextLink, Context, Referral
from engine.store.casework import CaseNote, Document
from engine.store.models import AuditEvent
from tests.support.factories import make_user

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
LETTER = b"A fictional letter about Robin.\n"


@pytest.fixture
def gov(sqlite_url, clock, tmp_path):
    env = {"FRONTDOOR_DOCUMENTS_DIR": str(tmp_path / "docs"), "DATABASE_URL": sqlite_url}
    svc = bootstrap(settings=Settings.from_env(env), clock=clock, database_url=sqlite_url)
    make_user(svc, "ira.governance", role="cs_lead")
    make_user(svc, "wes.worker")
    document_store(svc).put(content_hash(LETTER), LETTER)
    with svc.db.transaction() as session:
        ids = {}
        for ref, first in (("CH-1", "Robin"), ("CH-2", "Casey")):
            case = Case(ref=ref, subject_type="child", status="closed", opened_at=NOW - timedelta(days=4000),
                        closed_at=NOW - timedelta(days=3000), created_by="fd")
            session.add(case)
            session.flush()
            ids[ref] = case.id
            session.add(Child(case_id=case.id, first_name=first, last_name="Testchild", dob=date(1999, 1, 1),
                              address="1 Fiction Row", postcode="ZZ1 4AB"))
        ctx = Case(ref="CTX-1", subject_type="context", opened_at=NOW, created_by="fd")
        session.add(ctx)
        session.flush()
        session.add(Context(case_id=ctx.id, type="place", name="Pretend Park"))
        for ref in ("CH-1", "CH-2"):
            session.add(ChildContextLink(child_case_id=ids[ref], context_case_id=ctx.id, role="harmed_at",
                                         started_on=date(2015, 1, 1)))
        session.add(Referral(case_id=ids["CH-1"], received_at=NOW - timedelta(days=4000), referrer_name="Sam Referrer",
                             referrer_role="teacher", referrer_agency="school", referrer_contact="sam@example.invalid",
                             harm_types=["cse"]))
        session.add(CaseNote(case_id=ids["CH-1"], kind="visit", text="Home visit", occurred_at=NOW,
                             recorded_at=NOW, recorded_by="wes.worker"))
        session.add(Document(case_id=ids["CH-1"], sha256=content_hash(LETTER), size=len(LETTER),
                             content_type="text/plain", file_name="letter.txt", description="Letter", store="folder",
                             scan_status="clean", uploaded_at=NOW, uploaded_by="wes.worker"))
        audit.record(session, at=NOW, actor="wes.worker", action="case_viewed", subject_type="case",
                     subject_id="CH-1", case_ref="CH-1", agency="council", section="record")
    yield svc
    svc.db.dispose()


def test_the_export_holds_the_record_masks_third_parties_and_lists_who_looked(gov, tmp_path):
    result = sar.export(gov, "CH-1", tmp_path / "out", actor="ira.governance")
    assert result == {"case_ref": "CH-1", "out": str(tmp_path / "out"), "notes": 1, "documents": 1, "views": 1}
    bundle = json.loads((tmp_path / "out" / "subject-access.json").read_text())
    assert bundle["child"]["first_name"] == "Robin" and bundle["notes"][0]["text"] == "Home visit"
    assert bundle["referrals"][0]["referrer_name"] == sar.WITHHELD
    assert bundle["referrals"][0]["referrer_contact"] == sar.WITHHELD
    assert bundle["referrals"][0]["referrer_agency"] == "school"
    assert bundle["links"][0]["context"] == "Pretend Park"
    assert bundle["links"][0]["other_children"] == ["another child (1)"]
    assert bundle["who_viewed"] == [{"at": NOW.isoformat(), "who": "wes.worker", "what": "case_viewed",
                                     "agency": "council", "section": "record"}]
    assert (tmp_path / "out" / bundle["documents"][0]["file"]).read_bytes() == LETTER
    page = (tmp_path / "out" / "subject-access.html").read_text()
    assert "Robin" in page and "Casey" not in page and "Sam Referrer" not in page
    assert "Casey" not in json.dumps(bundle)
    with gov.db.transaction() as session:
        assert session.scalar(select(AuditEvent.actor).where(AuditEvent.action == "subject_access_exported")) == (
            "ira.governance")


def test_refusals_change_nothing(gov, tmp_path):
    with pytest.raises(NotPermitted):
        sar.export(gov, "CH-1", tmp_path / "a", actor="wes.worker")
    with pytest.raises(NotFound):
        sar.export(gov, "CTX-1", tmp_path / "b", actor="ira.governance")
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "old.txt").write_text("x")
    with pytest.raises(InvalidFormData):
        sar.export(gov, "CH-1", tmp_path / "c", actor="ira.governance")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    with gov.db.transaction() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "subject_access_exported")) is None


def test_cli_sar_export(gov, sqlite_url, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FRONTDOOR_DOCUMENTS_DIR", str(tmp_path / "docs"))
    code = main(["sar", "export", "CH-1", "--out", str(tmp_path / "cli"), "--as", "ira.governance", "--json"])
    assert code == 0 and json.loads(capsys.readouterr().out)["documents"] == 1
    assert (tmp_path / "cli" / "subject-access.html").is_file()


def test_disposal_erases_the_document_files_after_the_commit(gov, clock):
    run = disposal.propose(gov, actor="wes.worker")
    disposal.approve(gov, run["id"], actor="ira.governance")
    with pytest.raises(NotFound):
        document_store(gov).get(content_hash(LETTER))
    with gov.db.transaction() as session:
        assert session.get(Child, session.scalar(select(Case.id).where(Case.ref == "CH-1"))).first_name == "(disposed)"

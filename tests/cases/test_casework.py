"""Daily casework through the services: links, notes and documents, with need-to-know and audit rows."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from engine.access.need_to_know import NoNeedToKnow
from engine.bootstrap import bootstrap
from engine.cases.documents import Upload, attach_document, delete_document, open_document
from engine.cases.intake import log_context_referral, refer_child
from engine.cases.links import LinkRequest, end_link, link_cases
from engine.cases.notes import NoteInput, add_note, correct_note, list_notes
from engine.cases.views import get_case
from engine.config import Settings
from engine.errors import Conflict, InvalidFormData, NotPermitted
from engine.people.directory import add_user
from engine.store.cases import ChildContextLink
from engine.store.casework import CaseNote, Document
from engine.store.models import AuditEvent
from tests.support.boundaries import EICAR, FakeClamd
from tests.support.case_data import child_referral, context_referral, deploy_routes, team

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000")  # a PNG header
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 200


def services(url, clock, **env):
    """Services whose settings come from ``env`` (as the process would read them)."""
    return bootstrap(settings=Settings.from_env(env), clock=clock, database_url=url)


@pytest.fixture
def work(sqlite_url, clock, tmp_path):
    svc = services(sqlite_url, clock, FRONTDOOR_DOCUMENTS_DIR=str(tmp_path / "docs"), FRONTDOOR_DOCUMENTS_MAX_MB="0.01")
    deploy_routes(svc)
    team(svc)
    child = refer_child(svc, child_referral(), "fd").case_ref
    context = log_context_referral(svc, context_referral(), "fd").case_ref
    yield svc, child, context
    svc.db.dispose()


def audit_actions(svc, subject: str) -> list[str]:
    with svc.db.read() as session:
        return session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == subject)
                               .order_by(AuditEvent.id)).all()


def rows(svc, model) -> list:
    with svc.db.read() as session:
        return session.scalars(select(model)).all()


# --- links ---------------------------------------------------------------------------------------------------

def test_a_link_from_the_childs_case_shows_on_both_and_is_audited_on_both(work):
    svc, child, context = work
    made = link_cases(svc, child, LinkRequest(context, "at_risk_at", "Seen there most evenings",
                                              date(2026, 2, 20)), "fd")
    assert (made["child_ref"], made["context_ref"], made["started_on"]) == (child, context, "2026-02-20")
    assert get_case(svc, child, "fd").links[0]["context_ref"] == context
    assert get_case(svc, context, "fd").links[0]["child_ref"] == child
    assert "case_linked" in audit_actions(svc, child) and "case_linked" in audit_actions(svc, context)


def test_ending_a_link_keeps_it_with_its_date_and_reason(work):
    svc, child, context = work
    link = link_cases(svc, context, LinkRequest(child, "member_of", "Named by the school"), "csl")
    svc.clock.advance(days=3)
    ended = end_link(svc, child, link["link_id"], "Moved out of the area", "fd")
    assert ended["ended_on"] == "2026-03-05"
    [row] = rows(svc, ChildContextLink)
    assert (row.ended_reason, row.ended_by) == ("Moved out of the area", "fd")
    assert "case_link_ended" in audit_actions(svc, context)
    with pytest.raises(Conflict):
        end_link(svc, child, link["link_id"], "Again", "fd")


@pytest.mark.parametrize("other, field", [("CX-999999", "other_ref"), ("", "other_ref"), ("CH-000001", "other_ref")])
def test_an_unknown_or_wrong_kind_reference_is_named_and_nothing_is_linked(work, other, field):
    svc, child, _ = work
    with pytest.raises(InvalidFormData) as err:
        link_cases(svc, child, LinkRequest(other, "at_risk_at", "Because"), "fd")
    assert field in err.value.errors
    assert rows(svc, ChildContextLink) == []


def test_bad_role_reason_and_future_date_are_each_named(work):
    svc, child, context = work
    with pytest.raises(InvalidFormData) as err:
        link_cases(svc, child, LinkRequest(context, "lives_near", " ", date(2027, 1, 1)), "fd")
    assert set(err.value.errors) == {"role", "reason", "started_on"}


def test_linking_needs_need_to_know_of_the_child(work):
    svc, child, context = work
    with pytest.raises(NoNeedToKnow):
        link_cases(svc, context, LinkRequest(child, "at_risk_at", "Named in intelligence"), "pc_one")
    assert rows(svc, ChildContextLink) == []


# --- notes ---------------------------------------------------------------------------------------------------

def test_a_contact_record_is_added_listed_and_audited(work):
    svc, child, _ = work
    note = add_note(svc, child, NoteInput("phone_call", "Mother says Robin came home late.", "Mother"), "fd")
    [listed] = list_notes(svc, child, "fd")
    assert (listed["id"], listed["kind"], listed["with_whom"], listed["earlier"]) == (note["id"], "phone_call",
                                                                                       "Mother", [])
    assert "case_note_added" in audit_actions(svc, child)


def test_a_correction_is_a_new_version_that_keeps_the_old_one(work):
    svc, child, _ = work
    note = add_note(svc, child, NoteInput("visit", "Home visit: nobody in."), "fd")
    svc.clock.advance(hours=2)
    correct_note(svc, child, note["id"], NoteInput("visit", "Home visit: grandmother in, Robin out."),
                 "Misheard on the doorstep", "mgr")
    [listed] = list_notes(svc, child, "mgr")
    assert (listed["version"], listed["text"], listed["recorded_by"]) == (2, "Home visit: grandmother in, Robin out.",
                                                                          "mgr")
    assert listed["correction_reason"] == "Misheard on the doorstep"
    assert [v["text"] for v in listed["earlier"]] == ["Home visit: nobody in."]
    assert len(rows(svc, CaseNote)) == 2
    assert "case_note_corrected" in audit_actions(svc, child)


@pytest.mark.parametrize("note, field", [
    (NoteInput("gossip", "x"), "kind"), (NoteInput("note", "  "), "text"),
    (NoteInput("note", "x", "y" * 201), "with_whom")])
def test_bad_notes_name_the_field_and_store_nothing(work, note, field):
    svc, child, _ = work
    with pytest.raises(InvalidFormData) as err:
        add_note(svc, child, note, "fd")
    assert field in err.value.errors and rows(svc, CaseNote) == []


def test_notes_follow_need_to_know_and_a_refused_look_is_audited(work):
    svc, child, _ = work
    add_note(svc, child, NoteInput("note", "Strategy agreed."), "fd")
    with pytest.raises(NoNeedToKnow):
        list_notes(svc, child, "pc_one")
    with pytest.raises(NoNeedToKnow):
        add_note(svc, child, NoteInput("note", "Police view."), "pc_one")
    assert "case_view_refused" in audit_actions(svc, child)
    assert len(rows(svc, CaseNote)) == 1


# --- documents -----------------------------------------------------------------------------------------------

def test_a_document_is_stored_by_hash_outside_the_database_and_read_back_audited(work, tmp_path):
    svc, child, _ = work
    doc = attach_document(svc, child, Upload("minutes.pdf", PDF, "Strategy minutes"), "fd")
    assert doc["scan_status"] == "not_scanned" and doc["content_type"] == "application/pdf"
    assert (tmp_path / "docs" / doc["sha256"][:2] / doc["sha256"]).read_bytes() == PDF
    got = open_document(svc, child, doc["id"], "mgr")
    assert got.data == PDF and got.record["file_name"] == "minutes.pdf"
    assert {"document_added", "document_downloaded"} <= set(audit_actions(svc, child))


@pytest.mark.parametrize("name, data, words", [
    ("big.pdf", PDF + b"0" * 20_000, "largest accepted"),
    ("photo.pdf", PNG, "name says otherwise"),
    ("report.pdf", ELF, "is a program"),
    ("../../etc/passwd.pdf", PDF, "without folders"),
    ("..\\windows\\report.pdf", PDF, "without folders"),
    ("empty.pdf", b"", "empty"),
])
def test_refused_uploads_say_why_and_store_nothing(work, tmp_path, name, data, words):
    svc, child, _ = work
    with pytest.raises(InvalidFormData) as err:
        attach_document(svc, child, Upload(name, data), "fd")
    assert words in err.value.errors["file"][0]
    assert rows(svc, Document) == [] and not (tmp_path / "docs").exists()


def test_documents_follow_need_to_know(work):
    svc, child, _ = work
    doc = attach_document(svc, child, Upload("minutes.pdf", PDF), "fd")
    with pytest.raises(NoNeedToKnow):
        open_document(svc, child, doc["id"], "pc_one")
    with pytest.raises(NoNeedToKnow):
        attach_document(svc, child, Upload("other.pdf", PDF), "pc_one")
    assert "case_view_refused" in audit_actions(svc, child)


def test_deleting_is_soft_with_a_reason_and_only_for_the_uploader_or_a_manager(work):
    svc, child, _ = work
    add_user(svc, "fd_two", ["front_door"], "test", role="front_door")  # may see the case, did not add it
    doc = attach_document(svc, child, Upload("minutes.pdf", PDF), "fd")
    with pytest.raises(NotPermitted) as refused:
        delete_document(svc, child, doc["id"], "Wrong child", "fd_two")
    assert "Only the person who added" in refused.value.message
    with pytest.raises(InvalidFormData):
        delete_document(svc, child, doc["id"], "", "fd")
    delete_document(svc, child, doc["id"], "Attached to the wrong case", "mgr")
    [row] = rows(svc, Document)
    assert (row.deleted_by, row.delete_reason) == ("mgr", "Attached to the wrong case")
    assert "document_deleted" in audit_actions(svc, child)


def test_a_configured_scanner_passes_clean_files_and_refuses_infected_ones(sqlite_url, clock, tmp_path):
    with FakeClamd() as clamd:
        svc = services(sqlite_url, clock, FRONTDOOR_DOCUMENTS_DIR=str(tmp_path / "d"), FRONTDOOR_CLAMD=clamd.address)
        deploy_routes(svc)
        team(svc)
        child = refer_child(svc, child_referral(), "fd").case_ref
        assert attach_document(svc, child, Upload("notes.txt", b"Visit notes\n"), "fd")["scan_status"] == "clean"
        with pytest.raises(InvalidFormData) as err:
            attach_document(svc, child, Upload("notes.txt", EICAR + b"\n"), "fd")
        assert "Eicar-Signature" in err.value.errors["file"][0]
        assert clamd.scanned == [12, len(EICAR) + 1]
    with pytest.raises(InvalidFormData) as err:  # the scanner is gone: refuse rather than store unscanned
        attach_document(svc, child, Upload("more.txt", b"More notes\n"), "fd")
    assert "could not be checked" in err.value.errors["file"][0]
    assert len(rows(svc, Document)) == 1
    svc.db.dispose()

"""Casework through the pages: link from the case page, end it, add and correct a note, attach documents."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine.cases.intake import log_context_referral, refer_child
from engine.store.cases import ChildContextLink
from engine.store.casework import CaseNote, Document
from tests.support.case_data import child_referral, context_referral
from tests.support.web import csrf, sign_in

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ" + b"\x90\x00" * 100


@pytest.fixture
def cases(lite, routes_app):
    child = refer_child(lite, child_referral(), "fd").case_ref
    context = log_context_referral(lite, context_referral(), "fd").case_ref
    return child, context


@pytest.fixture
def fd(routes_app):
    client = routes_app.test_client()
    sign_in(client, "fd")
    return client


def test_a_context_is_found_by_a_misspelt_name_linked_and_the_link_ended(fd, cases, lite):
    child, context = cases
    page = fd.get(f"/cases/{child}/links/new?q=Riversde").get_data(as_text=True)
    assert f'value="{context}"' in page  # offered to choose
    token = csrf(fd, f"/cases/{child}")
    answer = fd.post(f"/cases/{child}/links/new", data={"csrf_token": token, "other_ref": context,
                                                        "role": "at_risk_at", "reason": "Seen there at night",
                                                        "started_on-day": "20", "started_on-month": "2",
                                                        "started_on-year": "2026"})
    assert answer.status_code == 302
    assert "Seen there at night" in fd.get(f"/cases/{context}").get_data(as_text=True)
    with lite.db.read() as session:
        link = session.scalars(select(ChildContextLink)).one()
    answer = fd.post(f"/cases/{context}/links/{link.id}/end", data={"csrf_token": token, "reason": "Moved away"})
    assert answer.status_code == 302
    assert "ended" in fd.get(f"/cases/{child}").get_data(as_text=True)


def test_an_unknown_reference_comes_back_in_the_error_summary(fd, cases, lite):
    child, _ = cases
    answer = fd.post(f"/cases/{child}/links/new", data={"csrf_token": csrf(fd, f"/cases/{child}"),
                                                        "other_ref": "CX-999999", "role": "at_risk_at",
                                                        "reason": "x"})
    page = answer.get_data(as_text=True)
    assert answer.status_code == 422 and "govuk-error-summary" in page and "CX-999999" in page
    with lite.db.read() as session:
        assert session.scalars(select(ChildContextLink)).all() == []


def test_a_note_is_added_and_corrected_from_the_case_page(fd, cases, lite):
    child, _ = cases
    token = csrf(fd, f"/cases/{child}")
    fd.post(f"/cases/{child}/notes/new", data={"csrf_token": token, "kind": "phone_call", "with_whom": "Mother",
                                               "text": "Robin came home at midnight."})
    with lite.db.read() as session:
        note = session.scalars(select(CaseNote)).one()
    fd.post(f"/cases/{child}/notes/{note.id}/correct", data={"csrf_token": token, "kind": "phone_call",
                                                              "with_whom": "Mother", "text": "Robin came home at 1am.",
                                                              "reason": "Mother rang back to correct the time"})
    page = fd.get(f"/cases/{child}").get_data(as_text=True)
    assert "Robin came home at 1am." in page and "Earlier versions (1)" in page


def test_documents_upload_download_and_a_renamed_program_is_refused(fd, cases, lite):
    child, _ = cases
    token = csrf(fd, f"/cases/{child}")
    sent = fd.post(f"/cases/{child}/documents/new", content_type="multipart/form-data",
                   data={"csrf_token": token, "file": (io.BytesIO(PDF), "minutes.pdf"), "description": "Minutes"})
    assert sent.status_code == 302
    with lite.db.read() as session:
        doc = session.scalars(select(Document)).one()
    got = fd.get(f"/cases/{child}/documents/{doc.id}")
    assert got.data == PDF and got.headers["Content-Disposition"].startswith("attachment")
    refused = fd.post(f"/cases/{child}/documents/new", content_type="multipart/form-data",
                      data={"csrf_token": token, "file": (io.BytesIO(EXE), "report.pdf")})
    assert refused.status_code == 422 and "is a program" in refused.get_data(as_text=True)
    with lite.db.read() as session:
        assert len(session.scalars(select(Document)).all()) == 1


def test_the_search_page_finds_a_child_by_date_of_birth_or_a_misspelt_name_and_shows_the_stage(fd, cases):
    child, _ = cases
    by_dob = fd.get("/cases?dob=2011-04-01").get_data(as_text=True)
    assert child in by_dob and "Referral" in by_dob
    assert child in fd.get("/cases?q=Robyn+Testcase").get_data(as_text=True)
    assert child not in fd.get("/cases?q=Robin&dob=2011-04-02").get_data(as_text=True)

"""The casework contracts of the API: clocks and stage on a case, links, notes, documents, tolerant search."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from engine.cases.intake import log_context_referral, refer_child
from engine.store.cases import ChildContextLink
from engine.store.casework import Document
from engine.store.models import AuditEvent
from tests.support.case_data import child_referral, context_referral, deploy_routes

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00\x01\x00\x00\x00" + b"\x00" * 200


@pytest.fixture
def cases(lite, api):
    deploy_routes(lite)
    child = refer_child(lite, child_referral(child={"first_name": "Jamie", "last_name": "Example"}), "fd").case_ref
    context = log_context_referral(lite, context_referral(), "fd").case_ref
    return child, context


def test_a_case_has_its_clocks_and_stage(client, tokens, cases):
    child, _ = cases
    body = client.get(f"/api/v1/cases/{child}", headers=tokens["fd"]).get_json()
    assert body["stage"] == "referral"
    [clock] = [c for c in body["clocks"] if c["name"] == "referral_decision"]
    assert clock["status"] == "running" and clock["anchor_at"] and clock["due_at"]


def test_link_and_end_a_link(client, tokens, cases, lite):
    child, context = cases
    made = client.post(f"/api/v1/cases/{child}/links", headers=tokens["fd"],
                       json={"other_ref": context, "role": "at_risk_at", "reason": "Seen there at night"})
    assert made.status_code == 201 and made.get_json()["context_ref"] == context
    ended = client.post(f"/api/v1/cases/{context}/links/{made.get_json()['link_id']}/end", headers=tokens["fd"],
                        json={"reason": "Moved away"})
    assert ended.status_code == 200 and ended.get_json()["reason"] == "Moved away"


def test_an_unknown_reference_is_422_naming_the_field_and_links_nothing(client, tokens, cases, lite):
    child, _ = cases
    answer = client.post(f"/api/v1/cases/{child}/links", headers=tokens["fd"],
                         json={"other_ref": "CX-999999", "role": "at_risk_at", "reason": "x"})
    body = answer.get_json()
    assert (answer.status_code, body["code"], list(body["errors"])) == (422, "invalid_form_data", ["other_ref"])
    with lite.db.read() as session:
        assert session.scalars(select(ChildContextLink)).all() == []


def test_notes_are_added_and_listed(client, tokens, cases):
    child, _ = cases
    added = client.post(f"/api/v1/cases/{child}/notes", headers=tokens["fd"],
                        json={"kind": "phone_call", "text": "Called the school.", "with_whom": "DSL"})
    assert added.status_code == 201
    listed = client.get(f"/api/v1/cases/{child}/notes", headers=tokens["fd"]).get_json()
    assert [(n["kind"], n["with_whom"]) for n in listed] == [("phone_call", "DSL")]
    refused = client.get(f"/api/v1/cases/{child}/notes", headers=tokens["pc"])
    assert refused.status_code == 403


def test_a_document_goes_up_and_comes_back_as_an_attachment(client, tokens, cases, lite):
    child, _ = cases
    sent = client.post(f"/api/v1/cases/{child}/documents", headers=tokens["fd"], content_type="multipart/form-data",
                       data={"file": (io.BytesIO(PDF), "minutes.pdf"), "description": "Minutes"})
    assert sent.status_code == 201, sent.get_json()
    doc = sent.get_json()
    got = client.get(f"/api/v1/cases/{child}/documents/{doc['id']}", headers=tokens["fd"])
    assert got.status_code == 200 and got.data == PDF
    assert got.headers["Content-Disposition"].startswith('attachment; filename="minutes.pdf"')
    assert got.headers["X-Content-Type-Options"] == "nosniff" and got.mimetype == "application/pdf"
    assert client.get(f"/api/v1/cases/{child}/documents/{doc['id']}", headers=tokens["pc"]).status_code == 403
    with lite.db.read() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == child)).all()
    assert {"document_added", "document_downloaded", "case_view_refused"} <= set(actions)


@pytest.mark.parametrize("name, data, words", [("report.pdf", ELF, "is a program"),
                                                ("../../../etc/cron.d/x.pdf", PDF, "without folders")])
def test_a_refused_upload_is_422_with_a_reason(client, tokens, cases, lite, name, data, words):
    child, _ = cases
    answer = client.post(f"/api/v1/cases/{child}/documents", headers=tokens["fd"],
                         content_type="multipart/form-data", data={"file": (io.BytesIO(data), name)})
    body = answer.get_json()
    assert answer.status_code == 422 and words in body["detail"] and words in body["errors"]["file"][0]
    with lite.db.read() as session:
        assert session.scalars(select(Document)).all() == []


def test_search_tolerates_spelling_and_takes_a_date_of_birth(client, tokens, cases):
    child, _ = cases
    by_name = client.get("/api/v1/cases?q=Jamy%20Exampel", headers=tokens["fd"]).get_json()
    assert [c["ref"] for c in by_name] == [child]
    by_dob = client.get("/api/v1/cases?dob=2011-04-01&nhs_number=9990000001", headers=tokens["fd"]).get_json()
    assert [(c["ref"], c["why"]) for c in by_dob] == [(child, ["date of birth", "NHS number"])]

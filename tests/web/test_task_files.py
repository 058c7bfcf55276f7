"""A task form's file picker: the file is stored on the task and its case, kept across a mistake, checked."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from engine.cases.intake import refer_child
from engine.processes.deploy import deploy, read_paths
from engine.store.casework import Document
from engine.work.items import claim
from tests.support.case_data import ROOT, child_referral
from tests.support.web import csrf, sign_in

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
EXE = b"MZ" + b"\x90\x00" * 100
PICKER = {"id": "Field_letter", "type": "filepicker", "key": "letter", "label": "Copy of the letter",
          "accept": ".pdf"}
ANSWERS = {"acknowledged_on-day": "2", "acknowledged_on-month": "3", "acknowledged_on-year": "2026",
           "acknowledged_by": "letter", "action": "complete"}


@pytest.fixture
def task(lite, routes_app):
    """The acknowledgement task of a new child referral, its form given a file picker, claimed by fd."""
    files = read_paths([ROOT / "workflows" / "bpmn", ROOT / "forms"])
    form = json.loads(files["child_acknowledge.form"])
    form["components"].append(PICKER)
    deploy(lite, {**files, "child_acknowledge.form": json.dumps(form).encode()}, actor="admin")
    ref = refer_child(lite, child_referral(), "fd").case_ref
    client = routes_app.test_client()
    sign_in(client, "fd")
    inbox = client.get("/inbox").get_data(as_text=True)
    item = int(inbox.split('href="/tasks/', 1)[1].split('"', 1)[0])
    claim(lite, item, "fd")
    return client, item, ref


def _send(client, item: int, data: dict, file: tuple[bytes, str]):
    token = csrf(client, f"/tasks/{item}")
    return client.post(f"/tasks/{item}", content_type="multipart/form-data",
                       data={**data, "csrf_token": token, "letter": (io.BytesIO(file[0]), file[1])})


def _documents(lite) -> list[tuple[str, int | None]]:
    with lite.db.read() as session:
        return [(d.file_name, d.work_item_id) for d in session.scalars(select(Document).order_by(Document.id))]


def test_the_picker_is_a_file_upload_and_the_form_posts_files(task):
    client, item, _ = task
    page = client.get(f"/tasks/{item}").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file"' in page and 'accept=".pdf"' in page


def test_a_file_is_kept_through_a_mistake_then_completes_the_task_and_is_on_the_case(task, lite):
    client, item, ref = task
    wrong = _send(client, item, {**ANSWERS, "acknowledged_by": ""}, (PDF, "letter.pdf"))
    page = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "govuk-error-summary" in page
    assert _documents(lite) == [("letter.pdf", item)]
    assert "letter.pdf" in page and "checked" in page  # ticked as attached: not chosen again
    doc_id = page.split('name="letter"', 2)[1].split('value="', 1)[1].split('"', 1)[0]
    token = csrf(client, f"/tasks/{item}")
    done = client.post(f"/tasks/{item}", data={**ANSWERS, "letter": doc_id, "csrf_token": token})
    assert done.status_code == 302 and done.headers["Location"].endswith("/done")
    assert "letter.pdf" in client.get(f"/cases/{ref}").get_data(as_text=True)


def test_a_program_named_pdf_is_refused_on_the_field_and_nothing_is_stored(task, lite):
    client, item, _ = task
    refused = _send(client, item, ANSWERS, (EXE, "letter.pdf"))
    assert refused.status_code == 422 and "is a program" in refused.get_data(as_text=True)
    assert _documents(lite) == []


def test_a_file_of_a_kind_the_picker_does_not_accept_is_refused(task, lite):
    client, item, _ = task
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
    refused = _send(client, item, ANSWERS, (png, "photo.png"))
    assert refused.status_code == 422 and _documents(lite) == []


def test_a_document_of_another_task_cannot_be_named_in_the_answers(task, lite):
    client, item, ref = task
    token = csrf(client, f"/cases/{ref}")
    client.post(f"/cases/{ref}/documents/new", content_type="multipart/form-data",
                data={"csrf_token": token, "file": (io.BytesIO(PDF), "minutes.pdf")})
    [(_, none)] = _documents(lite)
    with lite.db.read() as session:
        other = session.scalar(select(Document.id))
    token = csrf(client, f"/tasks/{item}")
    answer = client.post(f"/tasks/{item}", data={**ANSWERS, "letter": str(other), "csrf_token": token})
    assert none is None and answer.status_code == 422
    assert "Attach the file again" in answer.get_data(as_text=True)

"""Creating a brand-new form from /admin/forms: admins only, CSRF, the error summary, save, list and delete.

On SQLite and PostgreSQL (the ``svc`` fixture): the form library is a table of its own.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine.people.directory import add_user
from engine.processes.form_editing import get_form
from engine.store.models import AuditEvent, LibraryForm
from tests.support.factories import deploy_demo
from tests.support.web import PASSWORD_HASH, csrf, sign_in
from web import create_app

NEW = "housing_check"


@pytest.fixture
def app(svc):
    """The app with the demo intake deployed, an administrator and a front-door worker who can sign in."""
    deploy_demo(svc)
    add_user(svc, "root", ["admin"], actor="test", role="admin", password_hash=PASSWORD_HASH)
    add_user(svc, "fd", ["front_door"], actor="test", role="front_door", password_hash=PASSWORD_HASH)
    return create_app(svc, {"TESTING": True})


@pytest.fixture
def root(app):
    """A browser signed in as the administrator."""
    client = app.test_client()
    sign_in(client, "root")
    return client


def _create(client, form_id: str = NEW, title: str = "Check housing records", token: str | None = None):
    token = csrf(client, "/admin/forms/new") if token is None else token
    return client.post("/admin/forms/new", data={"form_id": form_id, "title": title, "csrf_token": token})


def _save(client, form_id: str, body: str):
    token = csrf(client, f"/admin/forms/{form_id}/edit")
    return client.post(f"/admin/forms/{form_id}/save", data=body,
                       headers={"X-CSRF-Token": token, "Content-Type": "application/json"})


def _rows(svc) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count()).select_from(LibraryForm))


def test_the_list_offers_to_create_a_form(root):
    page = root.get("/admin/forms").get_data(as_text=True)
    assert 'href="/admin/forms/new"' in page and "Create a form" in page
    assert root.get("/admin/forms/new").status_code == 200


def test_creating_a_form_opens_it_in_the_editor(root, svc):
    response = _create(root)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/admin/forms/{NEW}/edit?created=1"
    page = root.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Form {NEW} created as version 1" in page and "No live process uses this form yet" in page
    assert json.loads(root.get(f"/admin/forms/{NEW}.json").data)["components"][0]["text"] == \
        "# Check housing records"
    listed = root.get("/admin/forms").get_data(as_text=True)
    assert "Check housing records" in listed and "Not used yet" in listed
    assert {"id": NEW, "name": "Check housing records"} in \
        root.get("/admin/processes/catalogue.json").get_json()["forms"]


def test_a_broken_rule_shows_the_error_summary_and_stores_nothing(root, svc):
    response = _create(root, form_id="Housing Check", title="")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "There is a problem" in page
    assert 'href="#form_id"' in page and 'href="#title"' in page and "<title>Error: " in page
    assert 'value="Housing Check"' in page  # what was typed comes back
    assert _rows(svc) == 0


def test_a_taken_id_is_refused_with_a_clear_error(root, svc):
    response = _create(root, form_id="demo_note")
    page = response.get_data(as_text=True)
    assert response.status_code == 409 and "A form &#39;demo_note&#39; already exists" in page
    assert "demo_intake" in page and _rows(svc) == 0


def test_creating_needs_an_administrator_and_the_csrf_token(app, root, svc):
    assert _create(root, token="").status_code == 400
    worker = app.test_client()
    sign_in(worker, "fd")
    assert worker.get("/admin/forms/new").status_code == 403
    assert _create(worker, token=csrf(worker, "/inbox")).status_code == 403
    assert _rows(svc) == 0


def test_saving_a_new_form_reports_its_form_version(root, svc):
    _create(root)
    form = json.loads(get_form(svc, NEW))
    form["components"].append({"type": "textfield", "key": "tenancy", "label": "Tenancy"})
    assert _save(root, NEW, json.dumps(form)).get_json() == \
        {"problems": [], "created": True, "versions": [], "form_version": 2}
    assert _save(root, NEW, json.dumps(form)).get_json()["created"] is False
    broken = _save(root, NEW, "{broken")
    assert broken.status_code == 422 and broken.get_json()["problems"]
    assert _rows(svc) == 2


def test_an_unused_new_form_is_deleted_and_audited(root, svc):
    _create(root)
    response = root.post(f"/admin/forms/{NEW}/delete", data={"csrf_token": csrf(root, "/admin/forms")})
    assert response.status_code == 200 and "was deleted" in response.get_data(as_text=True)
    assert NEW not in root.get("/admin/forms").get_data(as_text=True)
    assert root.get(f"/admin/forms/{NEW}/edit").status_code == 404
    with svc.db.read() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == NEW)
                                  .order_by(AuditEvent.id)).all()
    assert actions == ["form_created", "form_deleted"]

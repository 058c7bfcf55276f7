"""Change your password: the current one first, the policy on the new one, and what ends with the old one."""

from __future__ import annotations

import pytest

from engine.people.accounts import sign_in as engine_sign_in
from engine.people.tokens import create_token
from tests.support.audit import audit_rows
from tests.support.web import PASSWORD, post, sign_in

NEW = "kettle orbit marble seven"


def _change(client, current: str, new: str):
    return post(client, "/account/password", {"current_password": current, "new_password": new},
                token_from="/account/password")


def test_f14_the_page_asks_for_the_current_and_the_new_password(client):
    sign_in(client, "fd")
    page = client.get("/account/password").get_data(as_text=True)
    assert 'autocomplete="current-password"' in page and 'autocomplete="new-password"' in page
    assert "12 characters or more" in page


@pytest.mark.parametrize(("current", "new", "field", "words"), [
    ("not my password", NEW, "current_password", "Enter your current password correctly"),
    ("", NEW, "current_password", "Enter your current password"),
    (PASSWORD, "aaaaaaaaaaaa", "new_password", "harder to guess"),
    (PASSWORD, "password1234", "new_password", "harder to guess"),
    (PASSWORD, "too short", "new_password", "12 characters or more"),
])
def test_f14_a_wrong_current_or_a_weak_new_password_changes_nothing(client, lite, current, new, field, words):
    sign_in(client, "fd")
    response = _change(client, current, new)
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "govuk-error-summary" in page and f'href="#{field}"' in page
    assert words in page
    assert engine_sign_in(lite, "fd", PASSWORD)[1].username == "fd"  # the old password still works


def test_f14_f5_changing_it_ends_other_sessions_and_personal_tokens_but_keeps_service_tokens(app, client, lite):
    sign_in(client, "fd")
    elsewhere = app.test_client()
    sign_in(elsewhere, "fd")
    personal = create_token(lite, "fd", "fd")
    service = create_token(lite, "fd", "admin", kind="service", name="police sync")
    response = _change(client, PASSWORD, NEW)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your password has been changed" in page
    assert f"fd_{service.prefix}" in page and "police sync" in page  # listed as kept
    assert client.get("/inbox").status_code == 200  # still signed in here
    assert elsewhere.get("/inbox").status_code == 302  # signed out there
    api = app.test_client()
    assert api.get("/api/v1/work-items", headers={"Authorization": f"Bearer {personal.secret}"}).status_code == 401
    assert api.get("/api/v1/work-items", headers={"Authorization": f"Bearer {service.secret}"}).status_code == 200
    [changed] = audit_rows(lite, "password_changed")
    assert changed.details["tokens_revoked"] == 1 and changed.details["sessions_ended"] == 1
    assert engine_sign_in(lite, "fd", NEW)[1].username == "fd"

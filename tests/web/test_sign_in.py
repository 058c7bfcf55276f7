"""Sign-in, server-side sessions, timeouts, throttling and CSRF, through the real app on SQLite."""

from __future__ import annotations

from engine.people.accounts import set_active
from engine.people.throttle import FREE_PER_ACCOUNT
from tests.support.web import PASSWORD, csrf, post, sign_in


def test_signing_in_opens_the_inbox(client):
    response = sign_in(client, "fd")
    assert response.status_code == 302 and response.headers["Location"] == "/inbox"
    assert client.get("/inbox").status_code == 200


def test_wrong_password_and_unknown_user_get_the_same_answer(client):
    wrong = sign_in(client, "fd", "not the password")
    unknown = sign_in(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Enter a correct user name and password" in wrong.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(client):
    token = csrf(client)
    ok = client.post("/sign-in?next=/inbox?view=mine", data={"username": "fd", "password": PASSWORD,
                                                             "csrf_token": token})
    assert ok.headers["Location"] == "/inbox?view=mine"
    client.post("/sign-out", data={"csrf_token": csrf(client, "/inbox")})
    token = csrf(client)
    evil = client.post("/sign-in?next=//evil.example/", data={"username": "fd", "password": PASSWORD,
                                                              "csrf_token": token})
    assert evil.headers["Location"] == "/inbox"


def test_repeated_failures_make_a_new_browser_wait_even_with_the_right_password(client):
    for _ in range(FREE_PER_ACCOUNT):
        assert sign_in(client, "fd", "guess").status_code == 401
    response = sign_in(client, "fd")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.get_data(as_text=True)


def test_throttle_lifts_after_the_window(client, clock):
    for _ in range(FREE_PER_ACCOUNT):
        sign_in(client, "fd", "guess")
    clock.advance(minutes=16)
    assert sign_in(client, "fd").status_code == 302


def test_sign_out_ends_the_session_on_the_server(app, client):
    sign_in(client, "fd")
    stolen = client.get_cookie("fd_session").value
    assert post(client, "/sign-out").status_code == 302
    replay = app.test_client()
    replay.set_cookie("fd_session", stolen)
    assert replay.get("/inbox").status_code == 302  # a copied cookie no longer works


def test_disabling_an_account_ends_its_sessions(lite, client):
    sign_in(client, "fd")
    set_active(lite, "fd", False, actor="admin")
    assert client.get("/inbox").status_code == 302
    assert sign_in(client, "fd").status_code == 401


def test_idle_sessions_time_out(client, clock, lite):
    sign_in(client, "fd")
    clock.advance(minutes=lite.settings.session_minutes - 1)
    assert client.get("/inbox").status_code == 200  # activity keeps it alive
    clock.advance(minutes=lite.settings.session_minutes - 1)
    assert client.get("/inbox").status_code == 200
    clock.advance(minutes=lite.settings.session_minutes + 1)
    assert client.get("/inbox").status_code == 302


def test_each_sign_in_gets_a_new_token(client):
    sign_in(client, "fd")
    first = client.get_cookie("fd_session").value
    sign_in(client, "fd")
    assert client.get_cookie("fd_session").value != first


def test_post_without_csrf_token_is_refused(client, started):
    sign_in(client, "fd")
    item = started.open_work_items[0]["id"]
    response = client.post(f"/tasks/{item}/claim", data={})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)


def test_csrf_token_from_another_session_is_refused(app, client, started):
    sign_in(client, "fd")
    other = app.test_client()
    sign_in(other, "sw")
    foreign = csrf(other, "/inbox")
    item = started.open_work_items[0]["id"]
    assert client.post(f"/tasks/{item}/claim", data={"csrf_token": foreign}).status_code == 400


def test_sign_in_form_needs_its_csrf_token(client):
    response = client.post("/sign-in", data={"username": "fd", "password": PASSWORD})
    assert response.status_code == 400

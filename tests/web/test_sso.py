"""Single sign-on end to end against a real OpenID provider on loopback (tests/support/oidc_provider.py).

The Flask test client follows frontdoor's redirects to the provider, the provider's answer is fetched over
HTTP, and its redirect is followed back to the callback: the code exchange, the PKCE check, the signed ID
token and the key set all really happen.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from sqlalchemy import func, select

from engine.bootstrap import bootstrap
from engine.config import Settings
from engine.errors import InvalidSetting
from engine.people.directory import add_user, get_user
from engine.store.accounts import AccountSession
from tests.support.audit import audit_rows
from tests.support.oidc_provider import LoopbackProvider
from tests.support.web import PASSWORD, PASSWORD_HASH, csrf, post, sign_in
from web import create_app
from web.security import csrf_token

MAPPING = {"g-duty": {"groups": ["front_door"], "role": "front_door"},
           "g-police": {"groups": ["police"], "role": "practitioner"},
           "g-admins": {"groups": ["admin"], "role": "admin"}}


@pytest.fixture
def provider(clock):
    """The loopback provider, signing tokens on the tests' clock."""
    with LoopbackProvider(now=clock) as running:
        yield running


def make_app(tmp_path, db_url, clock, provider, *, approve_new=False, passwords="on", **env):
    path = tmp_path / "providers.json"
    path.write_text(json.dumps({"providers": [{
        "key": "council", "label": "Council account", "issuer": provider.issuer, "client_id": provider.client_id,
        "client_secret": provider.client_secret, "scopes": ["openid", "profile", "email"], "agency": "council",
        "approve_new": approve_new, "groups": MAPPING}]}))
    settings = Settings.from_env({"FRONTDOOR_OIDC_PROVIDERS": str(path), "FRONTDOOR_LOCAL_PASSWORDS": passwords, **env})
    svc = bootstrap(settings=settings, clock=clock, database_url=db_url)
    return svc, create_app(svc, {"TESTING": True})


@pytest.fixture
def sso(tmp_path, db_url, clock, provider):
    svc, app = make_app(tmp_path, db_url, clock, provider)
    yield svc, app.test_client()
    svc.db.dispose()


def through_provider(client, key: str = "council", start: str = ""):
    """Press the button, let the provider answer, and follow its redirect back; returns (response, callback URL)."""
    sent = client.get(start or f"/sign-in/oidc/{key}")
    assert sent.status_code == 302, sent.get_data(as_text=True)
    question = parse_qs(urlsplit(sent.location).query)
    assert question["code_challenge_method"] == ["S256"] and question["nonce"] and question["state"]
    answer = requests.get(sent.location, allow_redirects=False, timeout=10)
    assert answer.status_code == 302
    back = urlsplit(answer.headers["Location"])
    callback = f"{back.path}?{back.query}"
    return client.get(callback), callback


def sessions(svc) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count()).select_from(AccountSession))


def test_the_sign_in_page_offers_each_provider(sso):
    svc, client = sso
    page = client.get("/sign-in?next=/cases").get_data(as_text=True)
    assert "Sign in with Council account" in page and "/sign-in/oidc/council?next=/cases" in page
    assert 'name="password"' in page  # local passwords are on by default


def test_first_sign_in_creates_the_person_with_mapped_access_and_lands_on_the_inbox(sso, provider):
    svc, client = sso
    provider.sign_in_as("sub-0001", ["g-duty", "g-unrelated"], preferred_username="amira.khan",
                        name="Amira Khan", email="amira.khan@council.example")
    response, _ = through_provider(client)
    assert response.status_code == 302 and urlsplit(response.location).path == "/inbox"
    assert client.get("/inbox").status_code == 200
    person = get_user(svc, "amira.khan")
    assert (person["role"], person["groups"], person["display_name"], person["agency"]) == (
        "front_door", ["front_door"], "Amira Khan", "council")
    assert [r.subject_id for r in audit_rows(svc, "sso_signed_in")] == ["amira.khan"]
    assert audit_rows(svc, "sso_person_created")[0].subject_id == "amira.khan"


def test_a_changed_group_takes_effect_at_the_next_sign_in(sso, provider):
    svc, client = sso
    provider.sign_in_as("sub-0002", ["g-duty"], preferred_username="li.wei")
    through_provider(client)
    assert get_user(svc, "li.wei")["groups"] == ["front_door"]
    provider.sign_in_as("sub-0002", ["g-police"], preferred_username="li.wei")
    through_provider(client)
    person = get_user(svc, "li.wei")
    assert (person["role"], person["groups"]) == ("practitioner", ["police"])
    [changed] = [r for r in audit_rows(svc, "sso_access_changed") if r.details.get("groups_before")]
    assert changed.details["groups_before"] == ["front_door"] and changed.details["groups"] == ["police"]


def test_an_account_in_no_mapped_group_is_refused(sso, provider):
    svc, client = sso
    provider.sign_in_as("sub-0003", ["g-unrelated"], preferred_username="nobody")
    response, _ = through_provider(client)
    assert response.status_code == 401
    assert "not in a group that uses frontdoor" in response.get_data(as_text=True)
    assert sessions(svc) == 0


def test_a_provider_account_never_takes_over_a_local_account_of_the_same_name(sso, provider):
    svc, client = sso
    add_user(svc, "root", ["admin"], actor="test", role="admin", password_hash=PASSWORD_HASH)
    provider.sign_in_as("sub-0004", ["g-duty"], preferred_username="root")
    through_provider(client)
    assert get_user(svc, "root")["role"] == "admin" and get_user(svc, "root-2")["role"] == "front_door"


@pytest.mark.parametrize(("switch", "words"), [
    ({"rogue_key": True}, "was not signed with its published keys"),
    ({"audience": "another-service"}, "it was meant for another service"),
    ({"lifetime": -600}, "it has expired"),
])
def test_a_bad_id_token_is_refused_with_a_clear_page_and_no_session(sso, provider, switch, words):
    svc, client = sso
    provider.sign_in_as("sub-0005", ["g-duty"], preferred_username="sam.jones")
    for name, value in switch.items():
        setattr(provider.behaviour, name, value)
    response, _ = through_provider(client)
    page = response.get_data(as_text=True)
    assert response.status_code == 401 and "You could not be signed in" in page and words in page
    assert sessions(svc) == 0 and client.get("/inbox").status_code == 302
    assert words in audit_rows(svc, "sso_sign_in_failed")[-1].details["reason"]


def test_a_replayed_state_is_refused(sso, provider):
    svc, client = sso
    provider.sign_in_as("sub-0006", ["g-duty"], preferred_username="jo.bloggs")
    first, callback = through_provider(client)
    assert first.status_code == 302 and sessions(svc) == 1
    client.post("/sign-out", data={"csrf_token": csrf(client, "/inbox")})
    again = client.get(callback)  # the browser's state cookie went at the first use
    assert again.status_code == 401 and "already been used" in again.get_data(as_text=True)
    # with a copy of the cookie too, the server still knows the state was used
    client.set_cookie("fd_sso_state", parse_qs(urlsplit(callback).query)["state"][0])
    again = client.get(callback)
    assert again.status_code == 401 and "This sign-in link has already been used" in again.get_data(as_text=True)
    assert client.get("/inbox").status_code == 302 and sessions(svc) == 1
    assert len(audit_rows(svc, "sso_sign_in_failed")) == 2


def test_a_replayed_nonce_is_refused(sso, provider):
    svc, client = sso
    provider.sign_in_as("sub-0007", ["g-duty"], preferred_username="kay.ng")
    through_provider(client)
    provider.behaviour.replay_token = provider.issued[-1]  # an earlier sign-in's ID token, sent again
    response, _ = through_provider(client.application.test_client())
    assert response.status_code == 401 and "it does not belong to this sign-in" in response.get_data(as_text=True)
    assert sessions(svc) == 1


def test_a_callback_from_another_browser_is_refused(sso, provider):
    svc, client = sso
    provider.sign_in_as("sub-0008", ["g-duty"], preferred_username="ola.ade")
    sent = client.get("/sign-in/oidc/council")
    back = urlsplit(requests.get(sent.location, allow_redirects=False, timeout=10).headers["Location"])
    other = client.application.test_client()
    response = other.get(f"{back.path}?{back.query}")
    assert response.status_code == 401 and "not started in this browser" in response.get_data(as_text=True)
    assert sessions(svc) == 0


def test_an_unknown_provider_is_a_clear_page(sso):
    _svc, client = sso
    response = client.get("/sign-in/oidc/nowhere")
    assert response.status_code == 404 and "no such way to sign in" in response.get_data(as_text=True)


def test_sign_out_ends_the_session_at_the_provider_too(sso, provider):
    svc, client = sso
    provider.sign_in_as("sub-0009", ["g-duty"], preferred_username="pat.roe")
    through_provider(client)
    response = client.post("/sign-out", data={"csrf_token": csrf(client, "/inbox")})
    assert response.status_code == 302 and response.location.startswith(f"{provider.issuer}/end-session?")
    asked = parse_qs(urlsplit(response.location).query)
    assert asked["id_token_hint"] == [provider.issued[-1]]
    assert asked["post_logout_redirect_uri"] == ["http://localhost/sign-in"]
    assert client.get("/inbox").status_code == 302
    assert provider.issuer in client.get("/sign-in").headers["Content-Security-Policy"]


def test_a_new_person_waits_for_an_admin_then_signs_in(tmp_path, db_url, clock, provider):
    svc, app = make_app(tmp_path, db_url, clock, provider, approve_new=True)
    client = app.test_client()
    provider.sign_in_as("sub-0010", ["g-police"], preferred_username="dc.hughes", name="DC Hughes")
    response, _ = through_provider(client)
    assert response.status_code == 403 and "waiting for approval" in response.get_data(as_text=True)
    assert sessions(svc) == 0
    add_user(svc, "root", ["admin"], actor="test", role="admin", password_hash=PASSWORD_HASH)
    admin = app.test_client()
    sign_in(admin, "root")
    assert "DC Hughes" in admin.get("/admin/accounts").get_data(as_text=True)
    approved = post(admin, "/admin/accounts/pending/approve", {"username": "dc.hughes"}, token_from="/admin/accounts")
    assert approved.status_code == 302
    assert audit_rows(svc, "sso_person_approved", actor="root")[0].subject_id == "dc.hughes"
    response, _ = through_provider(client)
    assert response.status_code == 302 and client.get("/inbox").status_code == 200
    svc.db.dispose()


def test_local_passwords_switched_off(tmp_path, db_url, clock, provider):
    svc, app = make_app(tmp_path, db_url, clock, provider, passwords="off")
    add_user(svc, "fd", ["front_door"], actor="test", role="front_door", password_hash=PASSWORD_HASH)
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    assert "Sign in with Council account" in page and 'name="password"' not in page
    client.set_cookie("fd_csrf", "browser-binding")  # the page has no form, so the token is made as a form's is
    with app.test_request_context("/sign-in", headers={"Cookie": "fd_csrf=browser-binding"}):
        token = csrf_token()
    response = client.post("/sign-in", data={"username": "fd", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 403 and "switched off" in response.get_data(as_text=True)
    assert sessions(svc) == 0
    svc.db.dispose()


def test_a_mapping_to_a_role_that_does_not_exist_stops_start_up(tmp_path, db_url, clock, provider):
    path = tmp_path / "providers.json"
    path.write_text(json.dumps({"providers": [{"key": "council", "label": "Council", "issuer": provider.issuer,
                                               "client_id": "a", "client_secret": "b",
                                               "groups": {"g1": {"groups": ["x"], "role": "superuser"}}}]}))
    with pytest.raises(InvalidSetting, match="group 'g1': no role 'superuser'"):
        bootstrap(settings=Settings.from_env({"FRONTDOOR_OIDC_PROVIDERS": str(path)}), clock=clock,
                  database_url=db_url)


def test_an_answer_that_comes_back_too_late_is_refused(sso, provider, clock):
    svc, client = sso
    provider.sign_in_as("sub-0011", ["g-duty"], preferred_username="al.late")
    sent = client.get("/sign-in/oidc/council")
    back = urlsplit(requests.get(sent.location, allow_redirects=False, timeout=10).headers["Location"])
    clock.advance(minutes=11)
    response = client.get(f"{back.path}?{back.query}")
    assert response.status_code == 401 and "took too long" in response.get_data(as_text=True)
    assert sessions(svc) == 0


def test_an_admin_signed_in_through_the_provider_is_not_held_for_a_local_code(tmp_path, db_url, clock, provider):
    svc, app = make_app(tmp_path, db_url, clock, provider, FRONTDOOR_MFA_ROLES="admin")
    try:
        client = app.test_client()
        provider.sign_in_as("sub-0009", ["g-admins"], preferred_username="ada.admin")
        response, _ = through_provider(client)
        assert response.status_code == 302 and urlsplit(response.location).path == "/inbox"
        assert client.get("/admin/accounts").status_code == 200  # the provider's own second factor stands
        add_user(svc, "local.admin", ["admin"], actor="test", role="admin", password_hash=PASSWORD_HASH)
        local = app.test_client()
        sign_in(local, "local.admin")
        held = local.get("/admin/accounts")
        assert held.status_code == 303 and urlsplit(held.location).path == "/account/security"
    finally:
        svc.db.dispose()

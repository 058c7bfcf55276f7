"""After sign-in only a path on this site; sign-out forgets the cookie the way the browser stored it."""

from __future__ import annotations

import re
from urllib.parse import quote, urljoin, urlsplit

import pytest

from tests.support.web import PASSWORD, csrf, post, sign_in
from web import create_app

SITE = "https://frontdoor.example"
HOSTILE = ["/\t/evil.example", "/\t/\t/evil.example", "\t//evil.example", " //evil.example", "/\\evil.example",
           "\\\\evil.example", "//evil.example/", "https://evil.example/", "javascript:alert(1)",
           "/\r/evil.example", "/\n/evil.example", "/\r\n/evil.example", "\x00//evil.example",
           "/\x0b/evil.example", "https:evil.example", "evil.example", "/x\nSet-Cookie: a=b"]


def browser_destination(location: str) -> str:
    """Where a browser goes for this Location header (WHATWG URL parsing: strip C0 controls and spaces at
    the ends, drop tabs and line breaks anywhere, read a backslash as a slash)."""
    cleaned = re.sub(r"[\t\n\r]", "", location.strip("".join(map(chr, range(0x21))))).replace("\\", "/")
    return urljoin(SITE + "/sign-in", cleaned)


def _sign_in_with_next(client, target: str):
    token = csrf(client)
    return client.post(f"/sign-in?next={quote(target, safe='')}",
                       data={"username": "fd", "password": PASSWORD, "csrf_token": token})


@pytest.mark.parametrize("target", HOSTILE, ids=[repr(t) for t in HOSTILE])
def test_f3_f10_sign_in_never_redirects_off_site_nor_fails(client, target):
    response = _sign_in_with_next(client, target)
    assert response.status_code == 302  # F10: a line break in `next` used to give a 500
    assert urlsplit(browser_destination(response.headers["Location"])).netloc == "frontdoor.example"
    assert response.headers["Location"] == "/inbox"
    assert client.get("/inbox").status_code == 200  # the person is signed in all the same


@pytest.mark.parametrize("target", ["/inbox?view=mine", "/cases?q=riverside%20park", "/cases/CX-000001#clocks"])
def test_f3_same_site_paths_are_kept(client, target):
    response = _sign_in_with_next(client, target)
    assert response.headers["Location"] == target


def test_f11_sign_out_deletes_the_cookie_with_the_attributes_it_was_set_with(lite):
    from tests.support.web import team_app

    team_app(lite)
    app = create_app(lite, {"TESTING": True, "SECURE_COOKIES": True})
    client = app.test_client()
    signed_in = client.post("/sign-in", data={"username": "fd", "password": PASSWORD,
                                              "csrf_token": csrf(client)}, base_url="https://localhost")
    set_cookie = next(h for h in signed_in.headers.getlist("Set-Cookie") if h.startswith("__Host-fd_session="))
    token = client.get("/inbox", base_url="https://localhost").get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([0-9a-f]+)"', token).group(1)
    out = client.post("/sign-out", data={"csrf_token": found}, base_url="https://localhost")
    deletion = next(h for h in out.headers.getlist("Set-Cookie") if h.startswith("__Host-fd_session="))
    attributes = {a.strip().split("=")[0].lower() for a in deletion.split(";")[1:]}
    assert {"secure", "httponly", "path", "samesite"} <= attributes
    assert {a.strip().split("=")[0].lower() for a in set_cookie.split(";")[1:]} - {"max-age", "expires"} <= attributes
    assert "Max-Age=0" in deletion or "expires=Thu, 01 Jan 1970" in deletion


def test_f11_sign_out_in_development_still_forgets_the_cookie(client):
    sign_in(client, "fd")
    response = post(client, "/sign-out")
    assert any(h.startswith("fd_session=;") for h in response.headers.getlist("Set-Cookie"))
    assert client.get("/inbox").status_code == 302

"""Security headers on every page, cookies, and error pages that never show a stack trace."""

from __future__ import annotations

import base64
import hashlib
import re
from pathlib import Path

import govuk_frontend_jinja
import pytest

from tests.support.web import sign_in
from web import create_app


def test_every_page_has_the_security_headers(client):
    headers = client.get("/sign-in").headers
    csp = headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Cache-Control"] == "no-store"


def test_the_one_inline_script_is_allowed_by_its_hash(client):
    template = Path(govuk_frontend_jinja.__file__).with_name("templates") / "template.html"
    script = re.search(r"<script[^>]*>(.*?)</script>", template.read_text(), re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    assert f"'sha256-{digest}'" in client.get("/sign-in").headers["Content-Security-Policy"]
    page = client.get("/sign-in").get_data(as_text=True)
    assert len(re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page)) == 1  # only GOV.UK's js-enabled line


def test_task_pages_are_not_cached(client, started):
    sign_in(client, "fd")
    response = client.get(f"/tasks/{started.open_work_items[0]['id']}")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"


def test_production_cookies_are_secure_and_host_only(lite):
    app = create_app(lite, {"TESTING": True, "SECURE_COOKIES": True})
    response = app.test_client().get("/sign-in")
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("__Host-fd_csrf=") and "Secure" in cookie and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_unknown_pages_show_no_internals(client):
    sign_in(client, "fd")
    missing = client.get("/tasks/999999")
    assert missing.status_code == 404 and "Traceback" not in missing.get_data(as_text=True)


def test_unexpected_errors_show_a_generic_page(app, lite, caplog):
    fresh = create_app(lite, {"TESTING": False})

    @fresh.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    client = fresh.test_client()
    sign_in(client, "fd")
    page = client.get("/boom")
    assert page.status_code == 500
    assert "secret internals" not in page.get_data(as_text=True)
    assert "Sorry, there is a problem with the service" in page.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/static/vendor/govuk-frontend/govuk-frontend.min.css", "/static/js/init.mjs"])
def test_assets_are_served_from_our_own_origin(client, path):
    assert client.get(path).status_code == 200

"""Patterns, the map and the network in a real browser, checked with axe-core on every page: the third
referral about children groomed near the same bus station is told so on the spot, opens the context in one
step, and shows on the map (with and without a tile server on loopback) and in the network."""

from __future__ import annotations

import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from werkzeug.serving import make_server

from engine.bootstrap import bootstrap
from engine.cases.intake import refer_child
from engine.config import Settings
from engine.demo.load import load_demo
from engine.store.db import Database
from tests.browser.conftest import Person, Site
from tests.browser.steps import fill
from tests.support.pattern_data import BUS_STATION, kid
from tests.support.web import as_post
from web import create_app

pytestmark = pytest.mark.browser
# A 1x1 transparent PNG: every tile the fake tile server sends.
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082")


@contextmanager
def tile_server() -> Iterator[tuple[str, list[str]]]:
    """A tile server on loopback that answers every path with the PNG; yields its URL template and the paths."""
    asked: list[str] = []

    class Tiles(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the standard library's name
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PNG)))
            self.end_headers()
            self.wfile.write(PNG)

        def log_message(self, *_args):
            return

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Tiles)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/tiles/{{z}}/{{x}}/{{y}}.png", asked
    finally:
        httpd.shutdown()
        thread.join(timeout=5)


@contextmanager
def site(folder, env: dict[str, str]) -> Iterator[Site]:
    """The demo on its own server with these settings (the stories add referrals)."""
    url = f"sqlite:///{folder / 'frontdoor.db'}"
    Database(url).upgrade()
    svc = bootstrap(settings=Settings.from_env(env), database_url=url)
    load_demo(svc, say=lambda _text: None)
    httpd = make_server("127.0.0.1", 0, create_app(svc), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield Site(f"http://127.0.0.1:{httpd.server_port}", svc)
    finally:
        httpd.shutdown()
        thread.join(timeout=5)
        svc.db.dispose()


def _no_policy_errors(person: Person) -> None:
    assert not [e for e in person.console_errors if "Content Security Policy" in e or "Refused" in e], \
        person.console_errors


def test_the_third_referral_is_told_opens_a_context_and_shows_on_the_map_and_network(browser, tmp_path):
    with site(tmp_path, {}) as running:
        for n in (51, 52):
            refer_child(running.svc, kid(n, places=[BUS_STATION]), "fd.amber")
        amber = Person(browser, running.url, "fd.amber")
        amber.goto("/front-door/child")
        third = kid(53, places=[BUS_STATION])
        fill(amber.page, [(k, v) for k, v in as_post(third) if amber.page.locator(f'[name="{k}"]').count()])
        amber.page.get_by_role("button", name="Send referral").click()
        amber.page.wait_for_url("**/front-door/referrals/*")
        amber.check_accessibility()
        assert "This may be part of a pattern" in amber.page.content()
        child_ref = re.search(r"CH-\d{6}", amber.page.locator(".govuk-panel").inner_text()).group(0)

        amber.page.get_by_role("link", name="See the pattern and open a context from it").click()
        amber.check_accessibility()
        assert "3 children named the place Northgate bus station" in amber.page.content()
        amber.page.get_by_role("button", name="Open a context referral").click()
        amber.page.wait_for_url("**/cases/CX-*")
        amber.check_accessibility()
        context_ref = amber.page.url.rsplit("/", 1)[1]

        amber.goto("/patterns?status=actioned")
        assert context_ref in amber.page.content()
        amber.goto("/map")
        amber.page.wait_for_selector("#map[data-ready]")
        assert "Northgate bus station" in amber.page.locator("#map-table").inner_text()
        assert amber.page.locator("#map .leaflet-control-scale").count() == 1
        amber.check_accessibility()
        amber.goto(f"/cases/{child_ref}/network")
        amber.page.wait_for_selector("#network[data-ready]")
        assert context_ref in amber.page.content()
        amber.check_accessibility()
        _no_policy_errors(amber)
        amber.close()


def test_the_map_draws_tiles_from_the_configured_server_only(browser, tmp_path):
    with tile_server() as (template, asked), site(tmp_path, {"FRONTDOOR_MAP_TILES": template,
                                                            "FRONTDOOR_MAP_ATTRIBUTION": "Test tiles"}) as running:
        refer_child(running.svc, kid(61, places=[BUS_STATION]), "fd.amber")
        amber = Person(browser, running.url, "fd.amber")
        response = amber.page.goto("/map")
        assert "img-src 'self' data: http://127.0.0.1:" in response.headers["content-security-policy"]
        amber.page.wait_for_selector("#map[data-ready]")
        amber.page.wait_for_selector("#map img.leaflet-tile-loaded")
        assert asked and all(path.startswith("/tiles/") for path in asked)
        assert "Test tiles" in amber.page.locator(".leaflet-control-attribution").inner_text()
        amber.check_accessibility()
        _no_policy_errors(amber)
        amber.close()


def test_a_peer_group_starts_from_a_selection_in_the_network_and_a_node_opens_its_case(browser, tmp_path):
    with site(tmp_path, {}) as running:
        kai = [{"name": "Kai Example", "approx_age": 17}]
        made = [refer_child(running.svc, kid(n, associates=kai), "fd.amber") for n in (71, 72, 73)]
        amber = Person(browser, running.url, "fd.amber")
        amber.goto(f"/cases/{made[0].case_ref}/network")
        amber.page.wait_for_selector("#network[data-ready]")
        box = amber.page.locator("#network").bounding_box()
        # where cytoscape.js drew this case's node (it keeps its instance on the container)
        at = amber.page.evaluate("() => document.getElementById('network')._cyreg.cy.nodes('.centre')"
                                 "[0].renderedPosition()")
        amber.page.mouse.click(box["x"] + at["x"], box["y"] + at["y"])
        amber.page.wait_for_url(f"**/cases/{made[0].case_ref}")
        amber.page.go_back()
        amber.page.wait_for_selector("#network[data-ready]")

        amber.page.get_by_role("button", name="Open a peer group referral").click()
        assert "at least two children" in amber.page.locator(".govuk-error-summary").inner_text()
        amber.check_accessibility()
        for ref in (made[0].case_ref, made[1].case_ref):
            amber.page.locator(f'input[name="child"][value="{ref}"]').check()
        amber.page.get_by_label("Neutral description of the group").fill("Young people who know the same older boy")
        amber.page.get_by_role("button", name="Open a peer group referral").click()
        amber.page.wait_for_url("**/cases/CX-*")
        amber.check_accessibility()
        page = amber.page.content()
        assert made[0].case_ref in page and made[1].case_ref in page and made[2].case_ref not in page
        _no_policy_errors(amber)
        amber.close()

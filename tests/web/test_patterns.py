"""The pages: /patterns, a pattern and its actions, /map with and without tiles, /cases/<ref>/network."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from engine.cases.intake import refer_child
from engine.cases.records import involve
from engine.config import Settings
from engine.store.cases import Case
from engine.store.models import AuditEvent
from tests.support.case_data import deploy_routes, team
from tests.support.pattern_data import BUS_STATION, kid
from tests.support.web import sign_in
from web import create_app


def _app(svc, **settings):
    if settings:
        object.__setattr__(svc, "settings", Settings(**{**svc.settings.__dict__, **settings}))
    return create_app(svc, {"TESTING": True})


@pytest.fixture
def routes(lite):
    deploy_routes(lite)
    team(lite)
    return lite


def _three(svc, clock, actor: str = "fd") -> list:
    made = []
    for n in range(3):
        kai = [{"name": "Kai Example", "approx_age": 17}]
        made.append(refer_child(svc, kid(n, places=[BUS_STATION], associates=kai), actor))
        clock.advance(days=4)
    return made


@pytest.fixture
def app(routes):
    from engine.people.directory import add_user
    from tests.support.web import PASSWORD_HASH
    for name, role in (("fd.web", "front_door"), ("sw.web", "practitioner"), ("rev.web", "reviewer")):
        add_user(routes, name, ["front_door" if role == "front_door" else "others"], "test", role=role,
                 password_hash=PASSWORD_HASH)
    return _app(routes)


def _client(app, name):
    client = app.test_client()
    assert sign_in(client, name).status_code == 302
    return client


def _post(client, path, data, token_from):
    page = client.get(token_from)
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.get_data(as_text=True)).group(1)
    return client.post(path, data={**data, "csrf_token": token})


def test_the_patterns_page_lists_the_evidence_and_the_confirmation_says_so(app, routes, clock):
    made = _three(routes, clock, "fd.web")
    client = _client(app, "fd.web")
    page = client.get("/patterns").get_data(as_text=True)
    assert "3 children named the place Northgate bus station" in page and "named associate Kai Example" in page
    confirmation = client.get(f"/front-door/referrals/{made[2].referral_id}")
    text = confirmation.get_data(as_text=True)
    assert confirmation.status_code == 200 and "This may be part of a pattern" in text, text
    detail = client.get(f"/patterns/{made[2].patterns[0]}").get_data(as_text=True)
    assert all(m.case_ref in detail for m in made) and "Open a context referral" in detail


def test_dismissing_on_the_page_needs_a_reason(app, routes, clock):
    pattern_id = _three(routes, clock)[2].patterns[0]
    client = _client(app, "fd.web")
    refused = _post(client, f"/patterns/{pattern_id}/dismiss", {"reason": "no"}, f"/patterns/{pattern_id}")
    assert refused.status_code == 422 and "There is a problem" in refused.get_data(as_text=True)
    done = _post(client, f"/patterns/{pattern_id}/dismiss", {"reason": "A known school trip, not a concern"},
                 f"/patterns/{pattern_id}")
    assert done.status_code == 302
    listed = client.get("/patterns").get_data(as_text=True)
    assert "the place Northgate bus station" not in listed and "named associate Kai Example" in listed
    assert "the place Northgate bus station" in client.get("/patterns?status=dismissed").get_data(as_text=True)


def test_opening_a_context_from_the_page(app, routes, clock):
    pattern_id = _three(routes, clock)[2].patterns[0]
    client = _client(app, "fd.web")
    done = _post(client, f"/patterns/{pattern_id}/open-context", {}, f"/patterns/{pattern_id}")
    assert done.status_code == 302 and "/cases/CX-" in done.headers["Location"]


def test_a_practitioner_sees_masked_children_and_cannot_act(app, routes, clock):
    made = _three(routes, clock)
    with routes.db.transaction() as session:
        involve(session, session.scalar(select(Case).where(Case.ref == made[0].case_ref)), "sw.web", "allocated",
                clock())
    client = _client(app, "sw.web")
    page = client.get(f"/patterns/{made[2].patterns[0]}").get_data(as_text=True)
    assert made[0].case_ref in page and made[1].case_ref not in page and "a child (age" in page
    assert "Open a context referral" not in page
    refused = _post(client, f"/patterns/{made[2].patterns[0]}/dismiss", {"reason": "Not a concern at all"},
                    "/patterns")
    assert refused.status_code == 403
    assert _client(app, "rev.web").get("/patterns").status_code == 403


def test_the_map_without_a_tile_server_allows_no_other_host(app, routes, clock):
    _three(routes, clock)
    response = _client(app, "fd.web").get("/map")
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "3 points on the map" in text and "app-map--plain" in text
    assert "img-src 'self' data:;" in response.headers["Content-Security-Policy"]


def test_the_map_with_a_tile_server_allows_exactly_that_host(routes, clock):
    app = _app(routes, map_tiles="http://127.0.0.1:8123/tiles/{z}/{x}/{y}.png", map_attribution="Test tiles")
    from engine.people.directory import add_user
    from tests.support.web import PASSWORD_HASH
    add_user(routes, "fd.web", ["front_door"], "test", role="front_door", password_hash=PASSWORD_HASH)
    client = _client(app, "fd.web")
    policy = client.get("/map").headers["Content-Security-Policy"]
    assert "img-src 'self' data: http://127.0.0.1:8123;" in policy
    assert "127.0.0.1:8123" not in client.get("/patterns").headers["Content-Security-Policy"]


def test_the_map_withholds_a_protected_home_and_masks_children(app, routes, clock):
    data = kid(5, places=[{**BUS_STATION, "name": "Home"}])
    data["child"].update({"postcode": "ZZ3 4BS"})
    home = refer_child(routes, data, "fd").case_ref
    refer_child(routes, kid(6, places=[BUS_STATION]), "fd")
    with routes.db.transaction() as session:  # protected after the referral: withheld from then on
        from engine.store.cases import Child
        case = session.scalar(select(Case).where(Case.ref == home))
        session.get(Child, case.id).protected_address = True
    text = _client(app, "sw.web").get("/map").get_data(as_text=True)
    assert "1 point on the map" in text and "1 place withheld" in text and "a child, age" in text
    assert "Example6" not in text


def test_the_network_shows_links_two_steps_out_masked(app, routes, clock):
    made = _three(routes, clock)
    client = _client(app, "fd.web")
    _post(client, f"/patterns/{made[2].patterns[0]}/open-context", {}, "/patterns")
    page = client.get(f"/cases/{made[0].case_ref}/network")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Northgate bus station" in text and "Kai Example" in text
    assert all(m.case_ref in text for m in made)
    with routes.db.transaction() as session:
        involve(session, session.scalar(select(Case).where(Case.ref == made[0].case_ref)), "sw.web", "allocated",
                clock())
    masked = _client(app, "sw.web").get(f"/cases/{made[0].case_ref}/network").get_data(as_text=True)
    assert "a child (age" in masked and "Example1" not in masked and "Example2" not in masked
    refused = _client(app, "sw.web").get(f"/cases/{made[1].case_ref}/network")
    assert refused.status_code == 302 and "break-glass" in refused.headers["Location"]
    with routes.db.read() as session:
        assert session.scalar(select(AuditEvent.id).where(AuditEvent.action == "case_view_refused")) is not None


def test_a_peer_group_starts_from_a_selection_in_the_network(app, routes, clock):
    made = _three(routes, clock)
    client = _client(app, "fd.web")
    path = f"/cases/{made[0].case_ref}/network"
    short = _post(client, f"{path}/peer-group", {"child": made[0].case_ref, "name": "Group"}, path)
    assert short.status_code == 422 and "at least two children" in short.get_data(as_text=True)
    page = client.get(path)
    token = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.get_data(as_text=True)).group(1)
    from werkzeug.datastructures import MultiDict
    chosen = [("child", made[0].case_ref), ("child", made[1].case_ref)]
    done = client.post(f"{path}/peer-group", data=MultiDict([("csrf_token", token), ("name", "Friends at the station"),
                                                              *chosen]))
    assert done.status_code == 302 and "/cases/CX-" in done.headers["Location"]


def test_the_map_filters_by_harm_period_and_what_to_show(app, routes, clock):
    _three(routes, clock)
    refer_child(routes, kid(7, places=[BUS_STATION], harm=("EFH-CSE",)), "fd")
    clients = [_client(app, "fd.web")]

    def count(query: str) -> str:
        text = clients[-1].get(f"/map?{query}").get_data(as_text=True)
        return re.search(r"(\d+|No) points? on the map", text).group(0)

    assert count("") == "4 points on the map"
    assert count("harm_type=EFH-CCE") == "3 points on the map"
    assert count("harm_type=EFH-CSE") == "1 point on the map"
    assert count("show=contexts") == count("status=closed") == "0 points on the map"
    assert count("harm_type=nonsense&period=bad") == "4 points on the map"  # unknown choices fall back
    clock.advance(days=60)
    clients.append(_client(app, "fd.web"))  # the session has long timed out
    assert count("period=30") == "0 points on the map" and count("period=") == "4 points on the map"


def test_a_contexts_network_shows_its_children_and_an_unknown_case_is_not_found(app, routes, clock):
    made = _three(routes, clock)
    client = _client(app, "fd.web")
    opened = _post(client, f"/patterns/{made[2].patterns[0]}/open-context", {}, "/patterns")
    context_ref = re.search(r"/cases/(CX-[0-9-]+)", opened.headers["Location"]).group(1)
    text = client.get(f"/cases/{context_ref}/network").get_data(as_text=True)
    assert all(m.case_ref in text for m in made) and "Kai Example" in text
    assert client.get("/cases/CX-999999/network").status_code == 404

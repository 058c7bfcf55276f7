"""Every route checks access on the server: each URL × each role, and anonymous people go to sign in.

ROUTES lists every non-public endpoint; a new route fails the first test until it is added here with
its expected answers, so no page ships unchecked (fail closed).
"""

from __future__ import annotations

import pytest

from engine.cases.intake import log_context_referral
from engine.runtime.instances import get_instance
from engine.work.items import reassign
from tests.support.case_data import context_referral
from tests.support.web import ROUTE_TEAM, sign_in
from web.security import PUBLIC

ROLES = sorted(ROUTE_TEAM)  # chair, csl, fd, mgr, pc_one, pc_two, rev, root, sw
CASE_WIDE = {"fd", "mgr", "csl", "pc_one"}  # front door, manager, CS lead roles; pc_one holds work on the park
BREAK_GLASS = 302  # no need-to-know: redirected to the break-glass page


def _case(user: str) -> int:
    return 200 if user in CASE_WIDE else BREAK_GLASS


def _programme(user: str, found: int = 200) -> int:
    return found if user in ("csl", "mgr", "root", "rev") else 403


# endpoint: (URL template, method, expected status for a user)
ROUTES = {
    "auth.home": ("/", "GET", lambda u: 302),
    "auth.sign_out": ("/sign-out", "POST", None),
    "inbox.index": ("/inbox", "GET", lambda u: 200),
    "tasks.show": ("/tasks/{item}", "GET", lambda u: 200 if u in ("fd", "pc_one") else 403),
    "tasks.submit": ("/tasks/{item}", "POST", None),
    "tasks.done": ("/tasks/{item}/done", "GET", lambda u: 403),  # nobody has completed it
    "tasks.claim": ("/tasks/{item}/claim", "POST", None),
    "tasks.unclaim": ("/tasks/{item}/unclaim", "POST", None),
    "tasks.reassign": ("/tasks/{item}/reassign", "GET", lambda u: 200 if u in ("fd", "pc_one") else 403),
    "instances.show": ("/instances/{instance}", "GET", _case),
    "instances.diagram": ("/instances/{instance}/diagram.json", "GET", _case),
    "cases.search": ("/cases?q=park", "GET", lambda u: 200),
    "cases.show": ("/cases/{ref}", "GET", _case),
    "cases.break_glass_page": ("/cases/{ref}/break-glass", "GET", lambda u: 200),
    "front_door.index": ("/front-door/", "GET", lambda u: 403 if u in ("root", "rev") else 200),
    "front_door.referral": ("/front-door/context", "GET", lambda u: 403 if u in ("root", "rev") else 200),
    "front_door.confirmation": ("/front-door/referrals/{referral}", "GET", lambda u: 200 if u == "fd" else 404),
    # measures and the system review for managers, the CS lead, admins and critical friends (who see no case)
    "insight.measures": ("/insight", "GET", lambda u: 200 if u in ("mgr", "csl", "root", "rev") else 403),
    "insight.waiting_index": ("/insight/waiting", "GET",
                              lambda u: 200 if u in ("mgr", "csl", "root", "rev") else 403),
    "insight.waiting": ("/insight/waiting/context_referral/1", "GET",
                        lambda u: 200 if u in ("mgr", "csl", "root", "rev") else 403),
    "insight.waiting_diagram_json": ("/insight/waiting/context_referral/1/diagram.json", "GET",
                                     lambda u: 200 if u in ("mgr", "csl", "root", "rev") else 403),
    "insight.pilots": ("/insight/pilots", "GET", lambda u: 200 if u in ("mgr", "csl", "root", "rev") else 403),
    "insight.system_review": ("/insight/system-review", "GET",
                              lambda u: 200 if u in ("mgr", "csl", "root", "rev") else 403),
    "insight.journey": ("/insight/journeys/{ref}", "GET", _case),
    # the form editor, administrators only
    "admin_forms.index": ("/admin/forms", "GET", lambda u: 200 if u == "root" else 403),
    "admin_forms.new": ("/admin/forms/new", "GET", lambda u: 200 if u == "root" else 403),
    "admin_forms.create": ("/admin/forms/new", "POST", None),
    "admin_forms.edit": ("/admin/forms/ctx_referral/edit", "GET", lambda u: 200 if u == "root" else 403),
    "admin_forms.form_json": ("/admin/forms/ctx_referral.json", "GET", lambda u: 200 if u == "root" else 403),
    "admin_forms.check": ("/admin/forms/ctx_referral/check", "POST", None),
    "admin_forms.save": ("/admin/forms/ctx_referral/save", "POST", None),
    "admin_forms.delete": ("/admin/forms/ctx_referral/delete", "POST", None),
    # clocks on the case page (owner or manager, checked in the service) and in-app notifications
    "cases.clock_reason": ("/cases/{ref}/clocks/1/reason", "POST", None),
    "cases.clock_pause": ("/cases/{ref}/clocks/1/pause", "POST", None),
    "cases.clock_resume": ("/cases/{ref}/clocks/1/resume", "POST", None),
    "cases.clock_stop": ("/cases/{ref}/clocks/1/stop", "POST", None),
    # a child's protected address (who may: engine/access/rules.py, checked in the service)
    "cases.address_protection": ("/cases/{ref}/address-protection", "POST", None),
    "notifications.index": ("/notifications", "GET", lambda u: 200),
    "notifications.read": ("/notifications/1/read", "POST", None),
    "notifications.read_all": ("/notifications/read-all", "POST", None),
    # the change programme: read by the CS lead, managers, administrators, critical friends (and the partnership
    # group); changed by the CS lead and administrators (engine/access/rules.py); no question, action or pilot yet
    "programme.index": ("/programme", "GET", lambda u: _programme(u)),
    "programme.governance": ("/programme/governance", "GET", lambda u: _programme(u)),
    "programme.champions": ("/programme/champions", "GET", lambda u: _programme(u)),
    "programme.values": ("/programme/values", "GET", lambda u: _programme(u)),
    "programme.questions": ("/programme/questions", "GET", lambda u: _programme(u)),
    "programme.trend": ("/programme/trend", "GET", lambda u: _programme(u)),
    "programme.pilots": ("/programme/pilots", "GET", lambda u: _programme(u)),
    "programme.step": ("/programme/steps/plan", "GET", lambda u: 200 if u in ("csl", "root") else 403),
    "programme.question": ("/programme/questions/1", "GET", lambda u: _programme(u, 404)),
    "programme.action": ("/programme/actions/1", "GET", lambda u: _programme(u, 404)),
    "programme.pilot": ("/programme/pilots/1", "GET", lambda u: _programme(u, 404)),
    "programme.add_governance_member": ("/programme/governance/members", "POST", None),
    "programme.governance_member_leaves": ("/programme/governance/members/1/leave", "POST", None),
    "programme.governance_chair": ("/programme/governance/members/1/chair", "POST", None),
    "programme.governance_terms": ("/programme/governance/terms", "POST", None),
    "programme.governance_meeting": ("/programme/governance/meetings", "POST", None),
    "programme.add_a_champion": ("/programme/champions", "POST", None),
    "programme.champion_training": ("/programme/champions/1/training", "POST", None),
    "programme.champion_stands_down": ("/programme/champions/1/leave", "POST", None),
    "programme.ask_for_agreement": ("/programme/values", "POST", None),
    "programme.ask": ("/programme/questions", "POST", None),
    "programme.answer": ("/programme/questions/1", "POST", None),
    "programme.start_review": ("/programme/reviews", "POST", None),
}


@pytest.fixture
def park(lite, routes_app):
    """Riverside Park referred by fd; its first task reassigned to pc_one (so pc_one holds work on it)."""
    logged = log_context_referral(lite, context_referral(), "fd")
    item = get_instance(lite, logged.instance_id).open_work_items[0]["id"]
    reassign(lite, item, "fd", "Police to check the park", to_user="pc_one")
    return {"item": item, "instance": logged.instance_id, "ref": logged.case_ref, "referral": logged.referral_id}


# The areas whose pages are in the table; other areas (API, process administration, tokens) keep their
# own role tables, and every one of their URLs is still in the anonymous sweep below.
AREAS = ("auth.", "inbox.", "tasks.", "instances.", "cases.", "front_door.", "insight.", "notifications.",
         "admin_forms.", "programme.")


def test_every_route_of_these_areas_is_in_the_table(routes_app):
    endpoints = {rule.endpoint for rule in routes_app.url_map.iter_rules()
                 if rule.endpoint.startswith(AREAS)} - PUBLIC
    assert endpoints == set(ROUTES)


def test_every_url_in_the_app_refuses_anonymous_people(routes_app):
    client, refused = routes_app.test_client(), []
    for rule in routes_app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint.endswith(".static") or "docs" in rule.endpoint:
            continue
        path = rule.rule
        for arg in rule.arguments:
            path = path.replace(f"<int:{arg}>", "1").replace(f"<{arg}>", "X").replace(f"<path:{arg}>", "X")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            signed_out = response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
            if not (signed_out or response.status_code in (400, 401)):  # 400: no CSRF token; 401: API
                refused.append((method, path, response.status_code))
    assert refused == []


@pytest.mark.parametrize("endpoint", sorted(ROUTES))
def test_anonymous_people_are_sent_to_sign_in_and_change_nothing(routes_app, lite, park, endpoint):
    path, method, _ = ROUTES[endpoint]
    before = get_instance(lite, park["instance"]).open_work_items
    response = routes_app.test_client().open(path.format(**park), method=method, data={"reason": "x" * 20})
    if method == "GET":
        assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")
    else:
        assert response.status_code in (302, 400)  # sign in, or a missing CSRF token
    assert get_instance(lite, park["instance"]).open_work_items == before


@pytest.mark.parametrize("user", ROLES)
def test_each_role_gets_what_the_access_rules_say(routes_app, park, user):
    client = routes_app.test_client()
    sign_in(client, user)
    got = {e: client.get(path.format(**park)).status_code for e, (path, method, expect) in ROUTES.items()
           if method == "GET"}
    wanted = {e: expect(user) for e, (_, method, expect) in ROUTES.items() if method == "GET"}
    assert got == wanted

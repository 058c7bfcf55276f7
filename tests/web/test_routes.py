"""Every route checks access on the server: each URL × each role, and anonymous people go to sign in.

ROUTES lists every non-public endpoint; a new route fails the first test until it is added here with
its expected answers, so no page ships unchecked (fail closed).
"""

from __future__ import annotations

import re

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
MANAGING = {"mgr", "csl"}  # manager and CS lead roles


REVIEWER = "rev"  # the critical friend: from outside the organisation, never a case, break glass included


def _case_wide_only(user: str) -> int:
    """No such row for those who see every case; a reviewer never; anyone else must break glass first."""
    return 404 if user in CASE_WIDE else 403 if user == REVIEWER else BREAK_GLASS


def _case(user: str) -> int:
    if user == REVIEWER:
        return 403
    return 200 if user in CASE_WIDE else BREAK_GLASS


def _not_reviewer(user: str) -> int:
    return 403 if user == REVIEWER else 200


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
    "cases.search": ("/cases?q=park", "GET", _not_reviewer),
    "cases.show": ("/cases/{ref}", "GET", _case),
    "cases.print_record": ("/cases/{ref}/print", "GET", _case),
    "cases.break_glass_page": ("/cases/{ref}/break-glass", "GET", _not_reviewer),
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
    "cases.clock_extend": ("/cases/{ref}/clocks/1/extend", "POST", None),
    # subject access requests: those the route names as its starters (a context case is no child's case)
    "subject_access.new": ("/cases/{ref}/subject-access/new", "GET", lambda u: 404 if u in MANAGING else 403),
    "subject_access.reply": ("/cases/{ref}/subject-access/1/reply.html", "GET",
                             lambda u: 404 if u in MANAGING else 403),
    # a child's protected address (who may: engine/access/rules.py, checked in the service)
    "cases.address_protection": ("/cases/{ref}/address-protection", "POST", None),
    # daily casework from the case page (need-to-know first, so others are offered break glass)
    "casework.link_new": ("/cases/{ref}/links/new?q=robin", "GET", _case),
    "casework.link_end": ("/cases/{ref}/links/1/end", "GET", _case_wide_only),
    "casework.note_new": ("/cases/{ref}/notes/new", "GET", _case),
    "casework.note_correct": ("/cases/{ref}/notes/1/correct", "GET",
                              _case_wide_only),
    "casework.documents_upload": ("/cases/{ref}/documents/new", "GET", _case),
    "casework.document_download": ("/cases/{ref}/documents/1", "GET",
                                   _case_wide_only),
    "casework.document_delete": ("/cases/{ref}/documents/1/delete", "GET", _case),
    "notifications.index": ("/notifications", "GET", lambda u: 200),
    "notifications.read": ("/notifications/1/read", "POST", None),
    "notifications.read_all": ("/notifications/read-all", "POST", None),
    "notifications.acknowledge_one": ("/notifications/1/acknowledge", "POST", None),
    # the team's work, handovers and allocation: managers and the CS lead (engine/access/rules.py)
    "team.index": ("/team", "GET", lambda u: 200 if u in MANAGING else 403),
    "team.reassign": ("/team/reassign", "POST", None),
    "team.handover": ("/team/people/pc_one/handover", "GET", lambda u: 200 if u in MANAGING else 403),
    "team.allocate_page": ("/team/allocate", "GET", lambda u: 200 if u in MANAGING else 403),
    # a context's safety plan opens as the case does; e-mail not yet sent is for administrators
    "plans.show": ("/cases/{ref}/plan", "GET", _case),
    "admin_mail.index": ("/admin/mail", "GET", lambda u: 200 if u == "root" else 403),
    "admin_mail.send": ("/admin/mail/1/send-again", "POST", None),
    "insight.start_review": ("/insight/system-review/start", "POST", None),
    # your own password; accounts administration (locks, ending sessions, service tokens) for administrators
    "account.password": ("/account/password", "GET", lambda u: 200),
    "account.change": ("/account/password", "POST", None),
    "account.security": ("/account/security", "GET", lambda u: 200),
    "account.start_set_up": ("/account/security/set-up", "POST", None),
    "account.set_up": ("/account/security/set-up", "GET", lambda u: 302),  # nothing waiting: back to the page
    "account.confirm_set_up": ("/account/security/set-up/confirm", "POST", None),
    "account.new_recovery_codes": ("/account/security/recovery-codes", "POST", None),
    "account.turn_off": ("/account/security/turn-off", "POST", None),
    "account.forget_device": ("/account/security/devices/1/forget", "POST", None),
    "admin_accounts.index": ("/admin/accounts", "GET", lambda u: 200 if u == "root" else 403),
    "admin_accounts.lift_lock": ("/admin/accounts/locks/lift", "POST", None),
    "admin_accounts.end_sessions": ("/admin/accounts/end-sessions", "POST", None),
    "admin_accounts.reset_mfa": ("/admin/accounts/mfa-reset", "POST", None),
    "admin_accounts.approve_person": ("/admin/accounts/pending/approve", "POST", None),
    # patterns across referrals, the map and the network: people working cases (masked by need-to-know)
    "patterns.index": ("/patterns", "GET", lambda u: 403 if u in ("root", "rev") else 200),
    "patterns.show": ("/patterns/1", "GET", lambda u: 403 if u in ("root", "rev") else 404),  # none found yet
    "patterns.open_from": ("/patterns/1/open-context", "POST", None),
    "patterns.add": ("/patterns/1/add-to-context", "POST", None),
    "patterns.dismiss": ("/patterns/1/dismiss", "POST", None),
    "patterns.map_page": ("/map", "GET", lambda u: 403 if u in ("root", "rev") else 200),
    "patterns.network": ("/cases/{ref}/network", "GET", lambda u: 403 if u in ("root", "rev") else _case(u)),
    "patterns.peer_group": ("/cases/{ref}/network/peer-group", "POST", None),
    "patterns.context_ranking_page": ("/insight/contexts", "GET",
                                      lambda u: 200 if u in ("mgr", "csl", "root") else 403),
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
    """Riverside Park referred by fd; its first task reassigned by the manager to pc_one (who holds work on it)."""
    logged = log_context_referral(lite, context_referral(), "fd")
    item = get_instance(lite, logged.instance_id).open_work_items[0]["id"]
    reassign(lite, item, "mgr", "Police to check the park", to_user="pc_one")
    return {"item": item, "instance": logged.instance_id, "ref": logged.case_ref, "referral": logged.referral_id}


# The areas whose pages are in the table; other areas (API, process administration, tokens) keep their
# own role tables, and every one of their URLs is still in the anonymous sweep below.
AREAS = ("auth.", "inbox.", "tasks.", "instances.", "cases.", "casework.", "front_door.", "insight.",
         "notifications.", "admin_forms.", "team.", "plans.", "admin_mail.", "account.", "admin_accounts.", "patterns.",
         "programme.", "subject_access.")


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


# The header's links by role (web/navigation.py): each area shows only for the roles its pages let in.
HEADER = {"Inbox": lambda u: True, "Find a case": lambda u: u != "rev",
          "Front door": lambda u: u not in ("root", "rev"), "Patterns": lambda u: u not in ("root", "rev"),
          "Team": lambda u: u in MANAGING,
          "Insight": lambda u: u in ("mgr", "csl", "root", "rev"),
          "System review": lambda u: False,  # the reviewer reads it among the insight pages
          "Programme": lambda u: u in ("csl", "mgr", "root", "rev"),
          "Processes": lambda u: u == "root", "Forms": lambda u: u == "root", "E-mail": lambda u: u == "root",
          "API tokens": lambda u: True}


@pytest.mark.parametrize("user", ROLES)
def test_the_header_links_each_role_to_what_it_may_use_and_nothing_else(routes_app, user):
    client = routes_app.test_client()
    sign_in(client, user)
    page = client.get("/notifications").get_data(as_text=True)
    header = page.split("</header>")[0].split('class="govuk-service-navigation__list"')[1]
    links = {" ".join(re.sub(r"<[^>]+>", " ", text).split()): href
             for href, text in re.findall(r'<a [^>]*href="(/[^"]*)"[^>]*>(.*?)</a>', header, re.S)}
    assert {words for words in links if words in HEADER} == {words for words, rule in HEADER.items() if rule(user)}
    for words, href in links.items():  # every link it shows opens for them
        assert client.get(href).status_code == 200, words


@pytest.fixture
def robin(lite, routes_app, park):
    """A child referred by fd and linked to the park."""
    from engine.cases.intake import refer_child
    from tests.support.case_data import child_referral

    return refer_child(lite, child_referral(), "fd")


def test_the_reviewer_reaches_no_case_child_or_instance_url_and_may_not_break_glass(routes_app, lite, park, robin):
    from tests.support.audit import audit_rows
    from tests.support.web import post

    client = routes_app.test_client()
    sign_in(client, REVIEWER)
    urls = [f"/cases/{ref}{tail}" for ref in (park["ref"], robin.case_ref)
            for tail in ("", "?section=timeline", "/break-glass")]
    urls += [f"/instances/{i}{tail}" for i in (park["instance"], robin.instance_id) for tail in ("", "/diagram.json")]
    urls += [f"/insight/journeys/{park['ref']}", f"/insight/journeys/{robin.case_ref}?format=csv",
             f"/cases?q={robin.case_ref}", "/cases?q=Riverside", f"/tasks/{park['item']}"]
    assert {url: client.get(url).status_code for url in urls} == {url: 403 for url in urls}
    token_page = "/inbox"
    for ref in (park["ref"], robin.case_ref):
        assert post(client, f"/cases/{ref}/break-glass", {"reason": "Reviewing the front door's decisions"},
                    token_from=token_page).status_code == 403
    assert post(client, f"/cases/{robin.case_ref}/address-protection", {"change": "protect", "reason": "Reviewing"},
                token_from=token_page).status_code == 403
    assert [e.subject_id for e in audit_rows(lite, "break_glass_refused")] == [park["ref"], robin.case_ref]
    assert audit_rows(lite, "break_glass_granted") == []
    assert client.get(f"/cases/{robin.case_ref}").status_code == 403  # still nothing after the attempts

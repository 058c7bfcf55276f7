"""The pages for alerts and team work: acknowledging an alert, the team page and its moves, handovers,
allocating a case, the reassign pick lists, the plan page, e-mail not yet sent, and starting a system
review. Every refusal changes nothing."""

from __future__ import annotations

import re

from werkzeug.datastructures import MultiDict

from engine.alerts.notifications import list_notifications
from engine.cases.intake import log_context_referral
from engine.people.directory import add_user
from engine.runtime.instances import get_instance
from engine.work.items import claim
from tests.support.case_data import context_referral
from tests.support.factories import start_demo
from tests.support.walker import ensure_group_users
from tests.support.web import PASSWORD_HASH, csrf, post, sign_in


def signed_in(app, user: str):
    client = app.test_client()
    sign_in(client, user)
    return client


def assignee(svc, instance_id: int):
    return get_instance(svc, instance_id).open_work_items[0]["assignee"]


def test_the_team_page_shows_people_groups_and_what_needs_the_manager(app, lite, started, clock):
    clock.advance(days=3)  # the triage task is now overdue
    page = signed_in(app, "boss").get("/team").get_data(as_text=True)
    assert "Your team's work" in page and "Work that needs you (1)" in page
    assert "Triage the contact" in page and "Overdue by" in page
    assert signed_in(app, "fd").get("/team").status_code == 403


def test_a_manager_moves_several_tasks_with_one_reason(app, lite, started):
    other = start_demo(lite, case_ref="C-2")
    client = signed_in(app, "boss")
    ids = [("ids", str(started.open_work_items[0]["id"])), ("ids", str(other.open_work_items[0]["id"]))]
    token = csrf(client, "/team")
    missing = client.post("/team/reassign", data=MultiDict([*ids, ("to", "user"), ("to_user", "fd2"),
                                                            ("csrf_token", token)]))
    assert missing.status_code == 422 and 'href="#reason"' in missing.get_data(as_text=True)
    assert assignee(lite, started.id) is None
    done = client.post("/team/reassign", data=MultiDict([*ids, ("to", "user"), ("to_user", "fd2"),
                                                         ("reason", "Covering the front door today"),
                                                         ("csrf_token", token)]))
    assert done.status_code == 302 and "notice=moved" in done.headers["Location"]
    assert (assignee(lite, started.id), assignee(lite, other.id)) == ("fd2", "fd2")


def test_someone_who_is_not_a_manager_cannot_move_the_teams_work(app, lite, started):
    client = signed_in(app, "fd2")
    response = post(client, "/team/reassign", {"ids": str(started.open_work_items[0]["id"]), "to": "user",
                                               "to_user": "fd2", "reason": "Taking this one myself"})
    assert response.status_code == 403 and assignee(lite, started.id) is None


def test_a_manager_hands_over_a_persons_work_for_leave(app, lite, started):
    claim(lite, started.open_work_items[0]["id"], "fd")
    client = signed_in(app, "boss")
    page = client.get("/team/people/fd/handover").get_data(as_text=True)
    assert "Hand over fd's work" in page and "Triage the contact" in page
    unsure = post(client, "/team/people/fd/handover", {"reason": "On leave for two weeks"}, "/team")
    assert unsure.status_code == 422 and "Choose who the work goes to" in unsure.get_data(as_text=True)
    done = post(client, "/team/people/fd/handover", {"to": "back", "reason": "On leave for two weeks"}, "/team")
    assert done.status_code == 302 and assignee(lite, started.id) is None


def test_the_reassign_page_lists_active_people_with_their_agency_and_refuses_a_typo(app, lite, started):
    add_user(lite, "yw", ["youth_service"], "test", agency="Exampletown Youth Trust", display_name="Kim Youthworker",
             password_hash=PASSWORD_HASH)
    item = started.open_work_items[0]["id"]
    client = signed_in(app, "fd")
    client.post(f"/tasks/{item}/claim", data={"csrf_token": csrf(client, "/inbox")})
    page = client.get(f"/tasks/{item}/reassign").get_data(as_text=True)
    assert '<option value="yw">Kim Youthworker (Exampletown Youth Trust)</option>' in page
    typo = post(client, f"/tasks/{item}/reassign", {"to": "user", "to_user": "nobody.here",
                                                    "reason": "Handing this on now"}, f"/tasks/{item}/reassign")
    text = typo.get_data(as_text=True)
    assert typo.status_code == 422 and 'href="#to_user"' in text and "no active person" in text
    outside = post(client, f"/tasks/{item}/reassign", {"to": "user", "to_user": "yw",
                                                       "reason": "Handing this on now"}, f"/tasks/{item}/reassign")
    assert outside.status_code == 403 and assignee(lite, started.id) == "fd"


def test_an_alert_is_acknowledged_from_the_notifications_page(routes_app, lite):
    ensure_group_users(lite)
    log_context_referral(lite, context_referral(persons_or_premises_of_concern=True), "fd")
    client = signed_in(routes_app, "pc_one")
    page = client.get("/notifications").get_data(as_text=True)
    assert "1 alert needs acknowledging" in page and "Urgent" in page and "What to do:" in page
    [alert] = list_notifications(lite, "pc_one")
    done = post(client, f"/notifications/{alert.id}/acknowledge", token_from="/notifications")
    assert done.status_code == 302
    assert "Acknowledged by pc_one" in client.get("/notifications").get_data(as_text=True)
    other = signed_in(routes_app, "sw")
    assert post(other, f"/notifications/{alert.id}/acknowledge", token_from="/notifications").status_code == 404


def test_a_manager_allocates_a_case_and_the_worker_can_then_open_it(routes_app, lite):
    ref = log_context_referral(lite, context_referral(), "fd").case_ref
    assert signed_in(routes_app, "pc_two").get(f"/cases/{ref}").status_code == 302  # break glass first
    client = signed_in(routes_app, "mgr")
    page = client.get(f"/team/allocate?case={ref}").get_data(as_text=True)
    assert f'value="{ref}"' in page
    wrong = post(client, "/team/allocate", {"case_ref": "CX-999999", "worker": "pc_two"}, "/team/allocate")
    assert wrong.status_code == 422 and 'href="#case_ref"' in wrong.get_data(as_text=True)
    nobody = post(client, "/team/allocate", {"case_ref": ref, "worker": "ghost"}, "/team/allocate")
    assert nobody.status_code == 422 and 'href="#worker"' in nobody.get_data(as_text=True)
    done = post(client, "/team/allocate", {"case_ref": ref, "worker": "pc_two"}, "/team/allocate")
    assert done.status_code == 302
    assert signed_in(routes_app, "pc_two").get(f"/cases/{ref}").status_code == 200
    assert post(signed_in(routes_app, "sw"), "/team/allocate", {"case_ref": ref, "worker": "sw"}).status_code == 403


def test_a_context_without_a_plan_says_so(routes_app, lite):
    ref = log_context_referral(lite, context_referral(), "fd").case_ref
    page = signed_in(routes_app, "fd").get(f"/cases/{ref}/plan").get_data(as_text=True)
    assert "Context Safety Plan" in page and "No plan has been agreed" in page


def test_email_not_yet_sent_is_for_administrators(routes_app):
    assert "All e-mail has gone." in signed_in(routes_app, "root").get("/admin/mail").get_data(as_text=True)
    assert post(signed_in(routes_app, "mgr"), "/admin/mail/1/send-again").status_code == 403


def test_the_cs_lead_starts_a_system_review_from_the_web(routes_app, lite):
    lead = signed_in(routes_app, "csl")
    assert "Start a new system review" in lead.get("/insight/system-review").get_data(as_text=True)
    assert "Start a new system review" not in signed_in(routes_app, "mgr").get("/insight/system-review").get_data(
        as_text=True)
    refused = post(signed_in(routes_app, "mgr"), "/insight/system-review/start", token_from="/insight/system-review")
    assert refused.status_code == 403
    started = post(lead, "/insight/system-review/start", token_from="/insight/system-review")
    instance = int(re.search(r"/instances/(\d+)", started.headers["Location"]).group(1))
    assert get_instance(lite, instance).process_id == "system_review"
    assert lead.get(started.headers["Location"]).status_code == 200

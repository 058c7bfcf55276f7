"""Every route checks access on the server: anonymous people are sent to sign in; roles see only their work."""

from __future__ import annotations

import pytest

from engine.runtime.instances import get_instance
from tests.support.web import sign_in

PAGES = ["/inbox", "/tasks/{item}", "/tasks/{item}/reassign", "/tasks/{item}/done", "/instances/{instance}", "/",
         "/notifications", "/team", "/team/allocate", "/team/people/fd/handover", "/admin/mail"]
ACTIONS = ["/tasks/{item}", "/tasks/{item}/claim", "/tasks/{item}/unclaim", "/tasks/{item}/reassign", "/sign-out",
           "/team/reassign", "/team/people/fd/handover", "/team/allocate"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_pages_redirect_to_sign_in(client, started, path):
    url = path.format(item=started.open_work_items[0]["id"], instance=started.id)
    response = client.get(url)
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("path", ACTIONS)
def test_anonymous_posts_change_nothing(client, started, lite, path):
    url = path.format(item=started.open_work_items[0]["id"], instance=started.id)
    before = get_instance(lite, started.id)
    response = client.post(url, data={"rag": "red", "action": "complete"})
    assert response.status_code in (302, 400)
    assert get_instance(lite, started.id).open_work_items == before.open_work_items


@pytest.mark.parametrize(("user", "task", "case"), [
    ("fd", 200, 200),     # front-door role and group: the task is offered to them
    ("fd2", 200, 403),    # practitioner in the front_door group: may read the offered task, not the case
    ("pc", 403, 403),     # police: no work on this case yet
    ("sw", 403, 403),     # social worker: no work on this case yet
    ("boss", 403, 200),   # manager role sees the case, but the task is not theirs
])
def test_task_and_case_pages_follow_need_to_know(client, started, user, task, case):
    sign_in(client, user)
    assert client.get(f"/tasks/{started.open_work_items[0]['id']}").status_code == task
    assert client.get(f"/instances/{started.id}").status_code == case


def test_every_case_view_is_audited_including_refusals(client, started, lite):
    sign_in(client, "pc")
    client.get(f"/instances/{started.id}")
    client2 = client.application.test_client()
    sign_in(client2, "fd")
    page = client2.get(f"/instances/{started.id}").get_data(as_text=True)
    assert "Triage the contact" in page and "Demo intake started" in page  # the history names the route
    actions = [(e["actor"], e["action"], e["details"].get("role")) for e in get_instance(lite, started.id).history
               if e["action"].startswith("case_view")]
    assert actions == [("pc", "case_view_refused", "practitioner"), ("fd", "case_viewed", "front_door")]


def test_done_page_is_only_for_whoever_completed_the_task(client, started):
    sign_in(client, "fd")
    assert client.get(f"/tasks/{started.open_work_items[0]['id']}/done").status_code == 403


def test_a_reviewer_never_sees_a_task_on_a_case_even_when_it_is_offered_to_their_group(app, client, lite, started):
    from engine.people.directory import add_user
    from tests.support.web import PASSWORD_HASH

    add_user(lite, "rev", ["front_door", "critical_friend"], actor="test", role="reviewer",
             password_hash=PASSWORD_HASH)
    sign_in(client, "rev")
    item = started.open_work_items[0]["id"]
    for url in (f"/tasks/{item}", f"/tasks/{item}/reassign", f"/instances/{started.id}",
                f"/instances/{started.id}/diagram.json", "/cases/C-1", "/cases/C-1/break-glass"):
        assert client.get(url).status_code in (403, 404), url  # C-1 has no case row here: 404 is as good
    assert client.get(f"/instances/{started.id}").status_code == 403

"""The notifications page: each person sees only their own, newest first; marking read; the header count."""

from __future__ import annotations

import re

import pytest

from engine.alerts.notifications import count_unread, list_notifications, notify
from tests.support.web import ROUTE_TEAM, post, sign_in

UNREAD_BADGE = re.compile(r'app-unread-count">(\d+)<')


def raise_for(svc, recipient: str, n: int, kind: str = "due_soon") -> list[int]:
    """``n`` notifications for ``recipient``, through the engine's own notify; returns their ids, oldest first."""
    with svc.db.transaction() as session:
        for i in range(n):
            notify(session, recipient=recipient, kind=kind, dedupe_key=f"test:{recipient}:{kind}:{i}",
                   text=f"Message {i} for {recipient}", at=svc.now(), case_ref="C-1")
    return [v.id for v in reversed(list_notifications(svc, recipient))]


def client_for(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


@pytest.mark.parametrize("user", sorted(ROUTE_TEAM))
def test_every_role_sees_only_their_own_notifications_newest_first(routes_app, lite, user):
    raise_for(lite, user, 2)
    raise_for(lite, "somebody_else", 1)
    page = client_for(routes_app, user).get("/notifications")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert text.index(f"Message 1 for {user}") < text.index(f"Message 0 for {user}")
    assert "somebody_else" not in text and len(re.findall(r"govuk-tag--blue\">\s*Unread", text)) == 2


def test_anonymous_people_are_sent_to_sign_in(routes_app):
    response = routes_app.test_client().get("/notifications")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in")


def test_the_header_shows_the_unread_count_and_mark_read_lowers_it(routes_app, lite):
    first, second, third = raise_for(lite, "sw", 3)
    client = client_for(routes_app, "sw")
    assert UNREAD_BADGE.findall(client.get("/inbox").get_data(as_text=True)) == ["3"]
    response = post(client, f"/notifications/{second}/read", token_from="/notifications")
    assert response.status_code == 302 and response.headers["Location"] == "/notifications"
    assert count_unread(lite, "sw") == 2
    assert [n.id for n in list_notifications(lite, "sw", unread_only=True)] == [third, first]
    assert UNREAD_BADGE.findall(client.get("/inbox").get_data(as_text=True)) == ["2"]


def test_mark_all_read_clears_the_count_and_the_badge(routes_app, lite):
    raise_for(lite, "mgr", 4)
    raise_for(lite, "fd", 1)
    client = client_for(routes_app, "mgr")
    assert post(client, "/notifications/read-all", token_from="/notifications").status_code == 302
    assert count_unread(lite, "mgr") == 0 and count_unread(lite, "fd") == 1
    page = client.get("/notifications").get_data(as_text=True)
    assert not UNREAD_BADGE.findall(page) and "Mark all as read" not in page


def test_someone_elses_notification_is_not_found_and_stays_unread(routes_app, lite):
    [theirs] = raise_for(lite, "fd", 1)
    client = client_for(routes_app, "sw")
    response = post(client, f"/notifications/{theirs}/read", token_from="/notifications")
    assert response.status_code == 404
    assert post(client, "/notifications/999999/read", token_from="/notifications").status_code == 404
    assert count_unread(lite, "fd") == 1


def test_marking_read_needs_the_csrf_token(routes_app, lite):
    [mine] = raise_for(lite, "sw", 1)
    response = client_for(routes_app, "sw").post(f"/notifications/{mine}/read")
    assert response.status_code == 400 and count_unread(lite, "sw") == 1

"""Nothing typed is lost: front-door drafts, and a post after the session ended kept for its author only."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.people.accounts import sign_out
from engine.store.casework import KeptAnswers
from engine.store.models import AuditEvent
from tests.support.case_data import child_referral
from tests.support.web import as_post, csrf, post_form, sign_in
from web.kept import session_csrf_token

CHILD = "/front-door/child"
TYPED = "Seen with older youths at Riverside Park late at night, twice this week."


@pytest.fixture
def fd(routes_app):
    client = routes_app.test_client()
    sign_in(client, "fd")
    return client


def kept_rows(lite):
    with lite.db.read() as session:
        return [(r.username, r.kind, r.path) for r in session.scalars(select(KeptAnswers).order_by(KeptAnswers.id))]


def half_typed() -> list[tuple[str, str]]:
    return [("child.first_name", "Robin"), ("child.last_name", "Testcase"), ("concerns.what", TYPED)]


def test_a_referral_saved_as_a_draft_comes_back_for_its_author_only_and_goes_when_sent(fd, routes_app, lite):
    saved = post_form(fd, CHILD, [*half_typed(), ("action", "draft")], token_from=CHILD)
    assert saved.status_code == 302 and saved.headers["Location"].endswith("/front-door/?notice=draft")
    assert "carry on with your draft" in fd.get("/front-door/").get_data(as_text=True)
    page = fd.get(CHILD).get_data(as_text=True)
    assert TYPED in page and 'value="Robin"' in page and "This is your draft" in page
    other = routes_app.test_client()
    sign_in(other, "sw")
    assert TYPED not in other.get(CHILD).get_data(as_text=True)
    sent = post_form(fd, CHILD, as_post(child_referral()), token_from=CHILD)
    assert sent.status_code == 302 and "/front-door/referrals/" in sent.headers["Location"]
    assert kept_rows(lite) == [] and TYPED not in fd.get(CHILD).get_data(as_text=True)


def test_a_draft_can_be_discarded(fd, lite):
    post_form(fd, CHILD, [*half_typed(), ("action", "draft")], token_from=CHILD)
    gone = post_form(fd, CHILD, [("action", "discard")], token_from=CHILD)
    assert gone.headers["Location"].endswith("notice=discarded") and kept_rows(lite) == []


def test_a_post_after_the_session_ended_is_kept_and_given_back_after_signing_in(fd, clock, lite):
    token = csrf(fd, CHILD)
    clock.advance(minutes=lite.settings.session_minutes + 1)  # the worker typed for longer than the idle limit
    late = fd.post(CHILD, data=dict([*half_typed(), ("csrf_token", token)]))
    assert late.status_code == 302 and late.headers["Location"] == "/sign-in?next=/front-door/child&kept=1"
    assert kept_rows(lite) == [("fd", "signed_out", CHILD)]
    assert "What you had typed has been kept" in fd.get(late.headers["Location"]).get_data(as_text=True)
    back = fd.post(late.headers["Location"], data={"username": "fd", "password": "correct horse battery staple",
                                                   "csrf_token": csrf(fd)})
    assert back.headers["Location"] == CHILD
    page = fd.get(CHILD).get_data(as_text=True)
    assert TYPED in page and "before your session ended" in page
    assert kept_rows(lite) == [("fd", "draft", CHILD)]  # now their draft, so leaving the page loses nothing
    with lite.db.read() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == "fd")).all()
    assert "kept_answers_saved" in actions and "kept_answers_restored" in actions


def test_what_was_kept_for_one_person_is_never_given_to_another(fd, routes_app, clock, lite):
    token = csrf(fd, CHILD)
    clock.advance(minutes=lite.settings.session_minutes + 1)
    fd.post(CHILD, data=dict([*half_typed(), ("csrf_token", token)]))
    other = routes_app.test_client()
    sign_in(other, "sw")
    assert TYPED not in other.get(CHILD).get_data(as_text=True)
    assert kept_rows(lite) == [("fd", "signed_out", CHILD)]


def test_nothing_is_kept_without_the_sessions_own_token_or_after_signing_out(fd, clock, lite):
    token = csrf(fd, CHILD)
    clock.advance(minutes=lite.settings.session_minutes + 1)
    forged = fd.post(CHILD, data=dict([*half_typed(), ("csrf_token", "0" * 64)]))
    assert forged.headers["Location"] == "/sign-in" and kept_rows(lite) == []
    sign_in(fd, "fd")
    token = csrf(fd, CHILD)
    sign_out(lite, fd.get_cookie("fd_session").value)  # revoked, not timed out: nothing is kept for it
    revoked = fd.post(CHILD, data=dict([*half_typed(), ("csrf_token", token)]))
    assert revoked.headers["Location"] == "/sign-in" and kept_rows(lite) == []


def test_the_token_checked_is_the_one_the_sessions_pages_carried(fd, routes_app):
    page_token = csrf(fd, CHILD)
    with routes_app.test_request_context():
        assert session_csrf_token(fd.get_cookie("fd_session").value) == page_token


def test_a_task_form_posted_after_the_session_ended_becomes_its_draft(fd, lite, clock):
    from engine.cases.intake import refer_child
    from engine.work.items import claim

    refer_child(lite, child_referral(), "fd")
    inbox = fd.get("/inbox").get_data(as_text=True)
    item = int(inbox.split('href="/tasks/', 1)[1].split('"', 1)[0])
    claim(lite, item, "fd")
    token = csrf(fd, f"/tasks/{item}")
    clock.advance(minutes=lite.settings.session_minutes + 5)
    late = fd.post(f"/tasks/{item}", data={"acknowledge_note": "Rang the school back at 4pm", "action": "complete",
                                           "csrf_token": token})
    assert late.headers["Location"] == f"/sign-in?next=/tasks/{item}&kept=1"
    sign_in(fd, "fd")
    page = fd.get(f"/tasks/{item}").get_data(as_text=True)
    assert "Rang the school back at 4pm" in page and "before your session ended" in page
    assert "Rang the school back at 4pm" in fd.get(f"/tasks/{item}").get_data(as_text=True)  # kept as the draft

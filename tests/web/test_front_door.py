"""Front-door pages: the referral forms, matching before a new case, and the confirmation."""

from __future__ import annotations

import pytest

from engine.cases.views import get_case
from tests.support.case_data import child_referral, context_referral
from tests.support.web import as_post, post_form, sign_in

CONTEXT = "/front-door/context"
CHILD = "/front-door/child"


@pytest.fixture
def fd(routes_app):
    """The front-door worker, signed in."""
    client = routes_app.test_client()
    sign_in(client, "fd")
    return client


def refer(client, path, answers, *extra):
    return post_form(client, path, [*as_post(answers), *extra], token_from=path)


def test_the_forms_render_with_gov_uk_components(fd):
    for path, words, field in ((CONTEXT, "Log a context of concern", 'name="context_name"'),
                               (CHILD, "Refer a child", 'name="child.first_name"')):
        page = fd.get(path).get_data(as_text=True)
        assert words in page and "govuk-button" in page and field in page


def test_a_context_referral_opens_a_case_and_confirms_with_its_reference(fd):
    response = refer(fd, CONTEXT, context_referral())
    assert response.status_code == 302 and "/front-door/referrals/" in response.headers["Location"]
    page = fd.get(response.headers["Location"]).get_data(as_text=True)
    assert "CX-000001" in page and "What happens next" in page


def test_missing_answers_come_back_with_the_error_summary(fd):
    response = refer(fd, CONTEXT, {"context_type": "public_space"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and "govuk-error-summary" in page and "Riverside" not in page


def test_a_possible_match_asks_to_add_to_it_or_give_a_reason(fd, lite):
    refer(fd, CONTEXT, context_referral())
    again = refer(fd, CONTEXT, context_referral())
    page = again.get_data(as_text=True)
    assert again.status_code == 409 and "CX-000001" in page and 'value="new"' in page
    no_reason = refer(fd, CONTEXT, context_referral(), ("match", "new"), ("new_reason", " "))
    assert no_reason.status_code == 422 and "Say why" in no_reason.get_data(as_text=True)
    added = refer(fd, CONTEXT, context_referral(), ("match", "CX-000001"))
    assert added.status_code == 302 and "added to the open case" in fd.get(added.headers["Location"]).get_data(
        as_text=True)
    assert len(get_case(lite, "CX-000001", "fd").referrals) == 2
    new = refer(fd, CONTEXT, context_referral(), ("match", "new"), ("new_reason", "A different park, same name"))
    assert "CX-000002" in fd.get(new.headers["Location"]).get_data(as_text=True)


def test_a_partner_sees_only_matches_they_may_open(routes_app, fd):
    refer(fd, CHILD, child_referral())
    police = routes_app.test_client()
    sign_in(police, "pc_two")
    page = refer(police, CHILD, child_referral()).get_data(as_text=True)
    assert "1 possible match you do not have access to" in page and "CH-000001" not in page
    done = refer(police, CHILD, child_referral(), ("match", "new"), ("new_reason", "Police record shows a new address"))
    assert done.status_code == 302


def test_the_confirmation_is_only_for_the_referrer(routes_app, fd):
    location = refer(fd, CONTEXT, context_referral()).headers["Location"]
    other = routes_app.test_client()
    sign_in(other, "mgr")
    assert other.get(location).status_code == 404


@pytest.mark.parametrize("user", ["root", "rev"])
def test_administrators_and_reviewers_do_not_refer(routes_app, user):
    client = routes_app.test_client()
    sign_in(client, user)
    assert client.get(CONTEXT).status_code == 403
    assert client.get("/front-door/").status_code == 403

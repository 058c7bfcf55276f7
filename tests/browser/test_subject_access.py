"""A subject access request in a real browser: a service manager records it from the child's case page, confirms
identity and reviews, the Contextual Safeguarding lead approves, the reply is sent and downloaded from the case
page with the referrer masked. axe-core checks every page visited (conftest.Person)."""

from __future__ import annotations

import pytest

from engine.cases.intake import refer_child
from tests.browser.conftest import demo_server, signing_in
from tests.browser.steps import claim_and_open, complete, fill
from tests.support.case_data import child_referral

pytestmark = pytest.mark.browser
CHILD = {"first_name": "Quinn", "last_name": "Requestcase", "dob": "2012-02-03", "nhs_number": "", "upn": "",
         "postcode": "ZZ9 6ZZ", "school": "Northgate Academy"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A server of this module's own (the story starts a route and keeps a reply), documents in a temporary folder."""
    folder = tmp_path_factory.mktemp("subject_access")
    with demo_server(folder, {"FRONTDOOR_DOCUMENTS_DIR": str(folder / "documents")}) as running:
        yield running


def test_a_subject_access_request_from_the_case_page_to_the_downloaded_reply(site, browser):
    ref = refer_child(site.svc, child_referral(child=CHILD), "fd.amber").case_ref
    with signing_in(browser, site.url) as sign_in:
        dahlia = sign_in("smgr.dahlia")
        dahlia.goto(f"/cases/{ref}")
        dahlia.page.get_by_role("link", name="Record a subject access request").click()
        dahlia.check_accessibility()
        fill(dahlia.page, [("requester_name", "Pat Requestcase"), ("requester_relationship", "parent"),
                           ("request_scope", "Everything you hold about Quinn"), ("sar_received_on-day", "2"),
                           ("sar_received_on-month", "3"), ("sar_received_on-year", "2026")])
        dahlia.page.get_by_role("button", name="Record the request").click()
        dahlia.page.wait_for_url(f"**/cases/{ref}?notice=subject_access*")
        dahlia.check_accessibility()
        assert dahlia.page.get_by_role("cell", name="Respond to a subject access request").is_visible()

        claim_and_open(dahlia, "Confirm the identity of the person asking", ref)
        fill(dahlia.page, [("identity_confirmed", "yes"), ("identity_evidence", "Passport and birth certificate seen")])
        complete(dahlia)
        claim_and_open(dahlia, "Review and redact the information", ref)
        assert dahlia.page.get_by_text("Referral 1").first.is_visible()
        complete(dahlia)

        laurel = sign_in("cslead.laurel")
        claim_and_open(laurel, "Approve the reply", ref)
        fill(laurel.page, [("sar_approval", "approve")])
        complete(laurel)

        claim_and_open(dahlia, "Send the reply", ref)
        fill(dahlia.page, [("sent_how", "secure_email"), ("sent_on-day", "10"), ("sent_on-month", "3"),
                           ("sent_on-year", "2026")])
        complete(dahlia)

        dahlia.goto(f"/cases/{ref}")
        with dahlia.page.expect_download() as download:
            dahlia.page.get_by_role("link", name="Reply to read or print").first.click()
        reply = download.value.path().read_text(encoding="utf-8")
        assert "Quinn" in reply and child_referral()["referrer"]["name"] not in reply

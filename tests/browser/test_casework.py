"""Daily casework in a real browser: a referral typed while the session ran out comes back after signing
in; a note with its document and a link from the case page; two records of one child found by a misspelt
name and merged; a file chosen in a task form kept through a mistake. axe-core checks every page visited
(conftest.Person)."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.cases.intake import log_context_referral, refer_child
from engine.demo.load import DEMO_PASSWORD
from engine.people.accounts import token_hash
from engine.processes.deploy import deploy, read_paths
from engine.store.accounts import AccountSession
from engine.store.models import WorkItem
from engine.work.items import claim
from tests.browser.conftest import demo_server
from tests.browser.steps import complete
from tests.support.case_data import ROOT, child_referral, context_referral

pytestmark = pytest.mark.browser

TYPED = "Seen with older youths at the bus station late at night, twice this week."
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
JORDAN = {"first_name": "Jordan", "last_name": "Casefile", "dob": "2012-05-06", "nhs_number": "", "upn": "",
          "postcode": "ZZ9 9ZZ", "school": "Northgate Academy"}

MORGAN = {"first_name": "Morgan", "last_name": "Notebook", "dob": "2013-09-10", "nhs_number": "", "upn": "",
          "postcode": "ZZ9 7ZZ", "school": "Southgate Primary"}
UNDERPASS = {"address": "Bus station underpass, Exampletown", "postcode": "ZZ9 8ZZ", "uprn": "100000000888"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A server of this module's own (its stories open cases and end sessions), documents in a temporary folder."""
    folder = tmp_path_factory.mktemp("casework")
    with demo_server(folder, {"FRONTDOOR_DOCUMENTS_DIR": str(folder / "documents")}) as running:
        yield running


@pytest.fixture(scope="module")
def server(site):
    """The people of these stories sign in to this module's server."""
    return site.url


def _time_runs_out(site, person) -> None:
    """The person's session last saw them longer ago than the idle limit (they kept typing)."""
    token = next(c["value"] for c in person.context.cookies() if c["name"].endswith("fd_session"))
    idle = timedelta(minutes=site.svc.settings.session_minutes + 1)
    with site.svc.db.transaction() as session:
        session.execute(update(AccountSession).where(AccountSession.token_hash == token_hash(token))
                        .values(last_seen_at=site.svc.now() - idle))


def test_a_referral_typed_while_the_session_ran_out_comes_back_after_signing_in(person, site):
    amber = person("fd.amber")
    amber.goto("/front-door/child")
    amber.page.fill('[name="child.first_name"]', "Robin")
    amber.page.fill('[name="child.last_name"]', "Testcase")
    amber.page.fill('[name="concerns.what"]', TYPED)
    _time_runs_out(site, amber)
    amber.page.get_by_role("button", name="Send referral").click()
    amber.page.wait_for_url(re.compile(r"/sign-in\?.*kept=1"))
    amber.check_accessibility()
    assert "What you had typed has been kept" in amber.page.content()
    amber.page.fill("#username", "fd.amber")
    amber.page.fill("#password", DEMO_PASSWORD)
    amber.page.get_by_role("button", name="Sign in", exact=True).click()
    amber.page.wait_for_url("**/front-door/child")
    amber.check_accessibility()
    assert "before your session ended" in amber.page.content()
    assert amber.page.locator('[name="concerns.what"]').input_value() == TYPED
    assert amber.page.locator('[name="child.first_name"]').input_value() == "Robin"
    amber.goto("/front-door/")  # kept as her draft: leaving the page loses nothing
    assert "carry on with your draft" in amber.page.content()


def test_a_note_with_a_document_and_a_link_are_added_from_the_case_page(person, site, tmp_path):
    ref = refer_child(site.svc, child_referral(child=MORGAN), "fd.amber").case_ref
    log_context_referral(site.svc, context_referral(context_name="Bus Station Underpass", location=UNDERPASS),
                         "fd.amber")
    amber = person("fd.amber")
    amber.goto(f"/cases/{ref}")
    amber.page.get_by_role("link", name="Add a note or contact").click()
    amber.check_accessibility()
    amber.page.get_by_label("Phone call").check()
    amber.page.get_by_label("With whom (optional)").fill("Head of year")
    amber.page.get_by_label("What happened").fill("School says Morgan missed three afternoons this week.")
    amber.page.get_by_role("button", name="Add to the case").click()
    amber.page.wait_for_url(f"**/cases/{ref}*")
    amber.check_accessibility()
    assert "School says Morgan missed three afternoons this week." in amber.page.content()

    minutes = tmp_path / "attendance.pdf"
    minutes.write_bytes(PDF)
    amber.page.get_by_role("link", name="Attach a document to this note").click()
    amber.check_accessibility()
    assert "Attach a document to a note" in amber.page.content()
    amber.page.set_input_files("#file", str(minutes))
    amber.page.get_by_role("button", name="Attach").click()
    amber.page.wait_for_url(f"**/cases/{ref}*")
    amber.check_accessibility()
    note = amber.page.locator(".govuk-summary-card", has_text="missed three afternoons")
    assert "attendance.pdf" in note.inner_text()

    amber.page.get_by_role("link", name="Link a context").click()
    amber.check_accessibility()
    amber.page.get_by_label("Find the context by name or reference").fill("Bus Station Undrpass")
    amber.page.get_by_role("button", name="Search").click()
    amber.check_accessibility()
    amber.page.get_by_label(re.compile("Bus Station Underpass")).check()
    amber.page.select_option("#role", "at_risk_at")
    amber.page.get_by_label("Why are they linked?").fill("Seen there by the school's attendance officer")
    amber.page.get_by_role("button", name="Link the context").click()
    amber.page.wait_for_url(f"**/cases/{ref}*")
    amber.check_accessibility()
    links = amber.page.locator("table").filter(has=amber.page.get_by_role("columnheader", name="Role"))
    assert "Bus Station Underpass" in links.inner_text()


def test_a_manager_finds_two_records_of_one_child_and_merges_them(person, site):
    first = refer_child(site.svc, child_referral(child=JORDAN), "fd.amber").case_ref
    second = refer_child(site.svc, child_referral(child={**JORDAN, "first_name": "Jordon"}), "fd.amber",
                         new_reason="Thought to be a different boy").case_ref
    cedar = person("mgr.cedar")
    cedar.goto(f"/cases/{second}")
    cedar.page.get_by_role("link", name="Merge with another record of this child").click()
    cedar.check_accessibility()
    cedar.page.get_by_label("Find the other record by name or reference").fill("Jordan Casefile")
    cedar.page.get_by_role("button", name="Search").click()
    cedar.check_accessibility()
    cedar.page.get_by_role("link", name=f"Compare with {first}").click()
    cedar.check_accessibility()
    cedar.page.get_by_label(f"Keep {first}").check()
    cedar.page.get_by_label("Why are these records of one child?").fill("Same date of birth, school and postcode")
    cedar.page.get_by_role("button", name="Merge the records").click()
    cedar.page.wait_for_url(f"**/cases/{first}*")
    cedar.check_accessibility()
    assert second in cedar.page.locator("#merged").inner_text()
    cedar.goto(f"/cases/{second}")  # the old reference leads to the kept record
    assert cedar.page.url.split("?")[0].endswith(f"/cases/{first}")


def test_a_file_chosen_in_a_task_form_stays_attached_through_a_mistake(person, site, tmp_path):
    files = {name: text for name, text in read_paths([ROOT / "workflows" / "bpmn", ROOT / "forms"]).items()
             if not name.endswith(".bpmn") or name == "child_referral.bpmn"}  # only the child's route changes
    form = json.loads(files["child_acknowledge.form"])
    form["components"].append({"id": "Field_letter", "type": "filepicker", "key": "letter",
                               "label": "Copy of the letter", "accept": ".pdf"})
    deploy(site.svc, {**files, "child_acknowledge.form": json.dumps(form).encode()}, actor="admin.nettle")
    ref = refer_child(site.svc, child_referral(child={**MORGAN, "first_name": "Alex", "last_name": "Letterby",
                                                      "dob": "2014-01-02"}), "fd.amber").case_ref
    letter = tmp_path / "acknowledgement.pdf"
    letter.write_bytes(PDF)
    with site.svc.db.read() as session:
        item = session.scalar(select(WorkItem.id).where(WorkItem.case_ref == ref, WorkItem.status == "open"))
    claim(site.svc, item, "fd.amber")
    amber = person("fd.amber")
    amber.goto(f"/tasks/{item}")
    assert "Copy of the letter" in amber.page.content()
    amber.page.set_input_files('[name="letter"][type="file"]', str(letter))
    amber.page.get_by_role("button", name="Complete task").click()  # the date and how are still missing
    amber.page.wait_for_load_state()
    amber.check_accessibility()
    assert "There is a problem" in amber.page.content()
    assert amber.page.get_by_label("acknowledgement.pdf").is_checked()  # attached: not chosen again
    amber.page.select_option("#acknowledged_by", "letter")
    for part, value in (("day", "2"), ("month", "3"), ("year", "2026")):
        amber.page.fill(f'[name="acknowledged_on-{part}"]', value)
    complete(amber)
    amber.goto(f"/cases/{ref}")
    documents = amber.page.locator("table", has_text="acknowledgement.pdf")
    assert documents.count() == 1 and "Sent with a task's form" in documents.inner_text()

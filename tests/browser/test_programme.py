"""The change programme in a real browser over the demo partnership: the partnership's view of where it stands,
a critical friend's question answered by the CS lead, and the RAG trend. axe-core checks every page visited
(conftest.Person)."""

from __future__ import annotations

import pytest

from tests.browser.conftest import Person, demo_server

pytestmark = pytest.mark.browser


def test_the_partnership_sees_where_it_stands_on_its_roadmap(person):
    lead = person("cslead.laurel")
    lead.page.get_by_role("link", name="Programme", exact=True).click()
    lead.page.wait_for_url("**/programme")
    lead.check_accessibility()
    page = lead.page
    assert page.get_by_role("heading", name="Change programme", level=1).is_visible()
    roadmap = page.locator("#step-governance")
    assert "Done" in roadmap.inner_text() and "Chair: Laurel Lead" in roadmap.inner_text()
    assert "In progress" in page.locator("#step-values").inner_text()
    assert "3 of 10 agencies agreed" in page.locator("#step-values").inner_text()
    assert page.locator("svg.app-rag-chart[role='img']").count() == 1
    for link, heading in [("Governance group", "Governance group"), ("Champions", "Champions"),
                          ("Values and approach", "Values and approach"), ("Pilots", "Pilots and reflections")]:
        page.get_by_role("navigation", name="Change programme").get_by_role("link", name=link, exact=True).click()
        lead.check_accessibility()
        assert page.get_by_role("heading", name=heading, level=1).is_visible()
    lead.goto("/programme/values")
    assert page.get_by_role("link", name="Record the answer of Health").count() == 0  # not the lead's agency
    assert page.get_by_role("link", name="Record the answer of Wider council services").count() == 1  # partnership
    lead.goto("/programme/champions")
    assert page.get_by_text("Renewal due").count() == 1 and page.get_by_text("Not trained yet").count() == 1


def test_a_critical_friend_asks_a_question_and_the_cs_lead_answers_it(browser, tmp_path):
    with demo_server(tmp_path) as site:
        friend = Person(browser, site.url, "reviewer.olive")
        try:
            friend.goto("/programme/questions")
            friend.page.get_by_label("The change programme").check()
            friend.page.get_by_label("Your question").fill("How will the governance group hear from young people?")
            friend.page.get_by_role("button", name="Ask the CS lead").click()
            friend.page.wait_for_url("**/programme/questions")
            friend.check_accessibility()
            assert friend.page.get_by_text("Waiting for an answer").count() == 1
            lead = Person(browser, site.url, "cslead.laurel")
            try:
                lead.goto("/programme")
                lead.page.get_by_role("link", name="Open the question").click()
                lead.check_accessibility()
                assert lead.page.get_by_text("How will the governance group hear from young people?").is_visible()
                lead.page.get_by_label("Your answer").fill("The youth panel sends two members to every meeting.")
                lead.page.get_by_role("button", name="Send the answer").click()
                lead.page.wait_for_url("**/programme/questions/*")
                lead.check_accessibility()
                assert lead.page.get_by_role("heading", name="The answer").is_visible()
            finally:
                lead.close()
            friend.goto("/programme")
            assert friend.page.get_by_text("The youth panel sends two members to every meeting.").is_visible()
        finally:
            friend.close()


def test_the_rag_trend_shows_the_two_reviews_side_by_side(person):
    friend = person("reviewer.olive")
    friend.goto("/programme/trend")
    page = friend.page
    chart = page.locator("svg.app-rag-chart")
    label = chart.get_attribute("aria-label") or ""
    assert "Baseline (2025-04-01 to 2025-09-30)" in label and "Interim (2025-10-01 to 2026-03-31)" in label
    table = page.locator("table").nth(1)
    assert table.locator("thead th").all_inner_texts()[-3:] == ["Baseline (2025-04-01 to 2025-09-30)",
                                                                 "Interim (2025-10-01 to 2026-03-31)",
                                                                 "Direction of travel"]
    assert table.locator("tbody tr", has_text="Better").count() == 4
    assert table.locator("tbody tr", has_text="Worse").count() == 1
    download = page.request.get(page.get_by_role("link", name="Download the trend (CSV)").get_attribute("href"))
    assert download.headers["content-type"].startswith("text/csv")
    assert "Direction of travel" in download.text()

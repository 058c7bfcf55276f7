"""The insight pages in a real browser over the demo: measures, where cases wait (the heat-map
diagram with its count badges, and the step table), a click through to a journey, pilots, and the system
review for the reviewer. axe-core checks every page visited (conftest.Person)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_a_manager_sees_where_cases_wait_and_follows_a_case_to_its_journey(person):
    manager = person("mgr.cedar")
    manager.goto("/insight")
    assert manager.page.get_by_role("heading", name="Referral decisions within 1 working day").is_visible()
    manager.goto("/insight/waiting")
    manager.page.get_by_role("link", name="Child referral at the front door, version 1").first.click()
    manager.check_accessibility()
    heat_map = manager.page.locator(".app-heat-map.app-diagram--ready")
    heat_map.wait_for()
    assert heat_map.locator(".bjs-powered-by").count() == 1  # the bpmn.io watermark stays
    badges = heat_map.locator("a.app-heat-badge")
    assert badges.count() > 0
    assert all(text.strip().isdigit() for text in badges.all_inner_texts())  # the count, not only a colour
    assert "working days" in (badges.first.get_attribute("aria-label") or "")
    assert manager.console_errors == []
    badges.first.click()
    manager.page.wait_for_url("**element=*")
    manager.check_accessibility()
    assert manager.page.get_by_role("heading", name="Cases waiting at").is_visible()
    steps = manager.page.locator("tbody tr th a")
    assert steps.count() > 0
    steps.first.click()
    manager.check_accessibility()
    cases = manager.page.locator("td a[href*='/insight/journeys/']")
    if cases.count():
        cases.first.click()
        manager.page.wait_for_url("**/insight/journeys/*")
        manager.check_accessibility()
        assert manager.page.get_by_role("heading", level=1).inner_text().startswith("Journey of")
    manager.goto("/insight/pilots")


def test_the_reviewer_reads_the_system_review_and_the_measures_but_no_journey(person):
    reviewer = person("reviewer.olive")
    reviewer.goto("/insight/system-review")
    assert reviewer.page.get_by_role("heading", name="System review results").is_visible()
    reviewer.goto("/insight")
    assert reviewer.page.get_by_role("heading", name="Referral decisions within 1 working day").is_visible()
    response = reviewer.page.goto("/insight/journeys/CX-000001")
    assert response.status in (302, 403) or "/break-glass" in reviewer.page.url

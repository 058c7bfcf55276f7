"""Readable diagrams and small screens in a real browser (the shared demo server; nothing here changes it
except claims nobody else relies on). axe-core checks every page visited (conftest.Person)."""

from __future__ import annotations

import re

import pytest

from engine.demo.load import ADMIN

pytestmark = pytest.mark.browser

MILLBROOK = "CX-000008"  # a context inside its neighbourhood assessment (engine/demo/later_stages.py)
CASEY = "CH-000007"  # a child whose route ran twice: once for each referral
SCALE = re.compile(r"matrix\(([-\d.e]+)")


def viewbox(page, route: str) -> tuple[float, str]:
    """The drawing's zoom and its whole transform (pan), read from the canvas's SVG."""
    transform = page.locator(f"#diagram-{route} .viewport").first.get_attribute("transform") or "matrix(1"
    return float(SCALE.match(transform).group(1)), transform


def test_a_case_inside_a_called_process_drills_down_to_the_step_it_waits_at(person):
    laurel = person("cslead.laurel")
    laurel.goto(f"/cases/{MILLBROOK}")
    page = laurel.page
    figure = page.locator("#route-context_referral figure")
    page.wait_for_selector("#diagram-context_referral.app-diagram--ready")
    assert figure.locator(".app-diagram-now").inner_text().startswith(
        "Now at: Neighbourhood or online assessment.")
    assert page.locator(".djs-element.open[data-element-id='call_neighbourhood_assessment']").count() == 1
    assert page.locator(".djs-connection.path").count() > 5  # the path taken so far
    figure.get_by_role("button", name="See the steps inside Neighbourhood or online assessment").click()
    page.wait_for_selector("#route-context_referral .app-diagram-trail:not([hidden])")
    trail = figure.locator(".app-diagram-trail").inner_text()
    assert "Context referral" in trail and "Neighbourhood or online assessment" in trail
    assert "Observe on the stated days and times" in figure.locator(".app-diagram-now").inner_text()
    assert page.locator(".djs-element.open[data-element-id='ut_nbh_observation']").count() == 1
    assert page.locator(".djs-element.done[data-element-id='ut_nbh_scope']").count() == 1
    laurel.check_accessibility()

    zoom, _ = viewbox(page, "context_referral")
    page.locator("#diagram-context_referral svg").first.focus()
    page.keyboard.press("+")
    bigger, moved_from = viewbox(page, "context_referral")
    assert bigger > zoom
    page.keyboard.press("ArrowLeft")
    assert viewbox(page, "context_referral")[1] != moved_from  # panned
    figure.get_by_role("button", name="Zoom out").click()
    assert viewbox(page, "context_referral")[0] < bigger
    figure.locator(".app-diagram-trail").get_by_role("button", name="Context referral").click()
    page.wait_for_selector("#route-context_referral .app-diagram-trail[hidden]", state="attached")
    assert page.locator(".djs-element[data-element-id='call_neighbourhood_assessment']").count() == 1
    assert not laurel.console_errors


def test_a_route_that_ran_twice_has_one_diagram_listing_its_runs(person):
    amber = person("fd.amber")
    amber.goto(f"/cases/{CASEY}")
    page = amber.page
    assert page.locator(".app-route-diagram").count() == 1
    route = page.locator("#route-child_referral")
    assert "This route ran 2 times for this case" in route.inner_text()
    route.locator("summary").click()
    route.get_by_role("link", name=re.compile("^Started")).click()
    amber.check_accessibility()
    assert "run=" in page.url and page.locator(".app-route-diagram").count() == 1


def test_heat_map_and_version_diagrams_are_full_width_and_the_modeller_fills_the_page(person):
    laurel = person("cslead.laurel")
    laurel.goto("/insight/waiting/context_referral/1")
    page = laurel.page
    page.wait_for_selector(".app-heat-map.app-diagram--ready")
    assert page.locator(".app-heat-badge").count() > 0
    assert page.locator(".app-heat-map").bounding_box()["width"] > 1100  # wider than the 960px column
    admin = person(ADMIN)
    admin.goto("/admin/processes/context_referral/versions/1")
    admin.page.wait_for_selector("#diagram .app-diagram-stage svg")
    assert admin.page.locator("#diagram").bounding_box()["width"] > 1100
    admin.goto("/admin/processes/context_referral/edit")
    admin.page.wait_for_selector("#properties .bio-properties-panel")
    box = admin.page.locator("#modeller").bounding_box()
    assert box["width"] > 1100 and box["height"] >= 560


@pytest.mark.parametrize("width", [320, 375])
def test_the_inbox_a_case_and_a_task_fit_a_phone(person, width):
    amber = person("fd.amber")
    page = amber.page
    page.set_viewport_size({"width": width, "height": 640})
    amber.goto("/inbox")
    claims = page.get_by_role("button", name=re.compile("^Claim"))
    assert claims.count() > 0
    for n in range(claims.count()):
        box = claims.nth(n).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= width  # nothing cut off
    task = page.locator("td a[href^='/tasks/']").first.get_attribute("href")
    for path in ("/inbox", "/cases/CX-000001", f"/cases/{CASEY}", task, f"{task}/reassign"):
        amber.goto(path)
        assert page.evaluate("document.documentElement.scrollWidth") <= width, path  # no sideways scrolling

"""An admin redraws the context route in the browser: Check flags a problem, the fix deploys.

The context route has lanes, so a task drawn inside one takes the lane's group (docs/decisions.md, D1):
the problem Check flags here is the missing form; the fix sets the form and the housing group.
"""

from __future__ import annotations

from engine.demo.load import ADMIN

ADD_HOUSING_TASK = """() => {
  const modeler = window.__frontdoorModeler;
  const modeling = modeler.get('modeling');
  const end = modeler.get('elementRegistry').get('end_declined');
  const flow = end.incoming[0];
  const task = modeling.createShape({type: 'bpmn:UserTask'}, {x: end.x + 20, y: end.y + 140}, end.parent);
  modeling.reconnectEnd(flow, task, {x: task.x + task.width / 2, y: task.y + task.height / 2});
  modeling.connect(task, end);
  modeling.updateProperties(task, {id: 'ut_housing_check', name: 'Housing check'});
  return task.id;
}"""


def test_admin_pages_pass_axe_and_show_versions(person):
    admin = person(ADMIN)
    admin.goto("/admin/processes")
    assert admin.page.get_by_role("heading", name="Processes", exact=True).is_visible()
    admin.goto("/admin/processes/context_referral/versions/1")
    admin.page.wait_for_selector("#diagram .djs-container")
    assert admin.page.locator(".bjs-powered-by").count() == 1  # the bpmn.io watermark stays
    assert not admin.console_errors


def test_check_flags_a_missing_form_then_the_fix_deploys(person):
    admin = person(ADMIN)
    admin.goto("/admin/processes/context_referral/edit")
    page = admin.page
    page.wait_for_selector("#properties .bio-properties-panel")
    assert page.locator(".bjs-powered-by").count() == 1
    page.evaluate(ADD_HOUSING_TASK)
    page.click("#check")
    page.wait_for_function("() => document.getElementById('status').textContent.includes('found')")
    assert "problem" in page.inner_text("#status"), page.inner_text("#status")
    assert "Housing check" in page.inner_text("#problem-list")
    assert page.locator(".app-marker--problem").count() >= 1
    assert page.is_disabled("#deploy")
    page.evaluate("""() => {
      const modeler = window.__frontdoorModeler;
      const task = modeler.get('elementRegistry').get('ut_housing_check');
      modeler.get('modeling').updateProperties(task, {'camunda:candidateGroups': 'housing',
                                                      'camunda:formRef': 'ctx_add_information'});
    }""")
    page.click("#check")
    page.wait_for_function("() => !document.getElementById('deploy').disabled")
    page.click("#deploy")
    page.wait_for_selector("#status a")
    assert "Deployed as version 2" in page.inner_text("#status")
    admin.goto("/admin/processes")
    assert not [e for e in admin.console_errors if "Content Security Policy" in e]

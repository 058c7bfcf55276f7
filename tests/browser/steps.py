"""What a person does in the browser, shared by the stories: answer a form, claim and open a task, complete it."""

from __future__ import annotations


def fill(page, pairs) -> None:
    """Answer a rendered form the way a person would: tick, choose or type each answer."""
    for name, value in pairs:
        field = page.locator(f'[name="{name}"]')
        kind = field.first.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
        if kind in ("input:radio", "input:checkbox"):
            page.locator(f'[name="{name}"][value="{value}"]').check()
        elif kind.startswith("select"):
            field.select_option(value)
        else:
            field.fill(value)


def claim_and_open(person, task: str, ref: str) -> None:
    """From the inbox: claim the task on this case, then open it."""
    person.goto("/inbox")
    person.page.get_by_role("button", name=f"Claim {task} for {ref}").click()
    person.check_accessibility()
    row = person.page.locator("tr", has_text=ref).filter(has_text=task)
    row.get_by_role("link", name=task).click()
    person.check_accessibility()


def complete(person) -> None:
    """Press "Complete task" and land on what happens next."""
    person.page.get_by_role("button", name="Complete task").click()
    person.page.wait_for_url("**/done")
    person.check_accessibility()


# In the modeller, as an admin would draw it: a user task after element ``after`` (on the flow that leaves
# it), with its candidate group and form set as in the properties panel.
_INSERT_USER_TASK = """([after, id, name, group, formRef]) => {
  const modeler = window.__frontdoorModeler;
  const modeling = modeler.get('modeling');
  const source = modeler.get('elementRegistry').get(after);
  const flow = source.outgoing[0];
  const next = flow.target;
  const task = modeling.createShape({type: 'bpmn:UserTask'},
                                    {x: source.x + source.width / 2, y: source.y + source.height + 100}, next.parent);
  modeling.reconnectEnd(flow, task, {x: task.x + task.width / 2, y: task.y + task.height / 2});
  modeling.connect(task, next);
  modeling.updateProperties(task, {id: id, name: name, 'camunda:candidateGroups': group, 'camunda:formRef': formRef});
}"""


def insert_user_task(page, after: str, task_id: str, name: str, group: str, form_ref: str) -> None:
    """Draw a user task into the open modeller after element ``after``."""
    page.evaluate(_INSERT_USER_TASK, [after, task_id, name, group, form_ref])


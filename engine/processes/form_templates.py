"""Check at deploy that every ``{{ variable }}`` a form's text or labels name can hold a value.

A variable renders as nothing when the instance has no such data (engine/forms/templating.py), so a
misspelt one would silently show nothing: Check reports it instead, against the form and component.
A name is known when its first part is a field of a form the deploy can see, an output of a decision
table, a multi-instance item, a message, or a variable the engine itself sets.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from lxml import etree

from engine.errors import InvalidProcess, Problem
from engine.forms import FormDefinition, parse_form
from engine.forms.templating import NAME, template_names
from engine.workflow.xml import BPMN_NS, CAMUNDA_NS, document_kind, load_xml

# Set by the engine and the front door on every route (engine/runtime/instances.py, engine/cases/intake.py),
# and by the decision tables' trace (engine/workflow/specs.py).
ENGINE_VARIABLES = frozenset({"case_ref", "referral_id", "intake_decision", "referral_received_at",
                              "process_started_at", "decision_trace"})
# Set by a shipped service topic for the form that follows it (engine/operations/subject_access.py).
TOPIC_VARIABLES = frozenset({"sar_items_text"})


def template_problems(files: Mapping[str, bytes], pool: Mapping[str, bytes]) -> list[Problem]:
    """Every unknown or malformed variable in the forms of a deploy (its own and those its tasks name)."""
    forms = _forms(pool)
    roots = _roots(pool)
    known = set(ENGINE_VARIABLES) | TOPIC_VARIABLES | _form_keys(forms.values()) | _names_in(roots.values())
    wanted = {n.removesuffix(".form") for n in files if n.endswith(".form")}
    wanted |= {node.get(f"{{{CAMUNDA_NS}}}formRef") for name, root in roots.items() if name in files
               for node in root.iter(f"{{{BPMN_NS}}}userTask") if node.get(f"{{{CAMUNDA_NS}}}formRef")}
    problems = []
    for form_id in sorted(wanted & forms.keys()):
        problems += _unknown(forms[form_id], known)
    return problems


def _unknown(form: FormDefinition, known: set[str]) -> list[Problem]:
    found = []
    for f in form.iter_fields():
        for name in sorted(set().union(*(template_names(t) for t in (f.text, f.label, f.hint)))):
            if not NAME.match(name):
                found.append(Problem(f.id or f.key or form.id, f"'{{{{ {name} }}}}' is not a variable name: use "
                                     "letters, digits and '_', with dots between parts", f"{form.id}.form"))
            elif name.split(".")[0] not in known:
                found.append(Problem(f.id or f.key or form.id, f"'{{{{ {name} }}}}' names data no form, decision "
                                     "or step of the route sets, so it would always show nothing", f"{form.id}.form"))
    return found


def _forms(pool: Mapping[str, bytes]) -> dict[str, FormDefinition]:
    forms = {}
    for name, content in pool.items():
        if name.endswith(".form"):
            try:
                form = parse_form(content, source=name)
            except InvalidProcess:
                continue  # reported by the deploy's own form check
            forms[form.id] = form
    return forms


def _roots(pool: Mapping[str, bytes]) -> dict[str, etree._Element]:
    roots = {}
    for name, content in pool.items():
        if name.endswith((".bpmn", ".dmn")):
            try:
                roots[name] = load_xml(content, name)
            except InvalidProcess:
                continue
    return roots


def _form_keys(forms: Iterable[FormDefinition]) -> set[str]:
    return {f.path.split(".")[0].split("[")[0] for form in forms for f in form.iter_fields() if f.path}


def _names_in(roots: Iterable[etree._Element]) -> set[str]:
    """Decision outputs, multi-instance items and message names: data a route sets without a form."""
    names: set[str] = set()
    for root in roots:
        if document_kind(root) == "dmn":
            names |= {o.get("name") for o in root.iter("{*}output") if o.get("name")}
            continue
        names |= {n.get(f"{{{CAMUNDA_NS}}}elementVariable") for n in root.iter()
                  if isinstance(n.tag, str) and n.get(f"{{{CAMUNDA_NS}}}elementVariable")}
        names |= {m.get("name") for m in root.iter(f"{{{BPMN_NS}}}message") if m.get("name")}
    return names

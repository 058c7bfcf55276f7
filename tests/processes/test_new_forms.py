"""A brand-new form made in the form editor: created, validated, versioned, named by a process, deleted.

On SQLite and PostgreSQL (the ``svc`` fixture), because the form library is a table of its own.
"""

from __future__ import annotations

import json
import threading

import pytest
from sqlalchemy import func, select

from engine.errors import Conflict, InvalidFormData, InvalidProcess, NotFound
from engine.forms import parse_form
from engine.processes.deploy import check_files, deploy, read_paths
from engine.processes.form_editing import check_form, delete_form, get_form, list_forms, save_form
from engine.processes.modelling import catalogue
from engine.processes.new_forms import create_form
from engine.runtime.instances import get_instance
from engine.runtime.version_cache import load_version
from engine.store.models import AuditEvent, LibraryForm
from engine.work.items import complete_work_item
from tests.support.factories import FIXTURES, deploy_demo, make_user, start_demo

NEW = "housing_check"


@pytest.fixture
def demo(svc):
    """The demo intake deployed (forms demo_triage, demo_note, demo_decision), with front door and housing."""
    deploy_demo(svc)
    make_user(svc, "fd", "front_door")
    make_user(svc, "ho", "housing")
    return svc


def with_housing_task(form_id: str) -> dict[str, bytes]:
    """The demo route with a housing task after triage whose form is ``form_id``."""
    files = read_paths([FIXTURES / "bpmn"])
    task = (f'<bpmn:userTask id="housing_task" name="Check housing records" camunda:formRef="{form_id}" '
            'camunda:candidateGroups="housing"><bpmn:incoming>f2</bpmn:incoming>'
            '<bpmn:outgoing>f2b</bpmn:outgoing></bpmn:userTask>'
            '<bpmn:sequenceFlow id="f2b" sourceRef="housing_task" targetRef="lookup"/>').encode()
    bpmn = files["demo_intake.bpmn"].replace(
        b'<bpmn:sequenceFlow id="f2" sourceRef="triage" targetRef="lookup"/>',
        b'<bpmn:sequenceFlow id="f2" sourceRef="triage" targetRef="housing_task"/>' + task)
    bpmn = bpmn.replace(b'<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>',
                        b'<bpmn:incoming>f2b</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>')
    return {**files, "demo_intake.bpmn": bpmn}


def with_question(svc, form_id: str, key: str = "tenancy") -> str:
    """The form with one more required question, as the editor would save it."""
    form = json.loads(get_form(svc, form_id))
    form["components"].append({"type": "textfield", "key": key, "id": f"Field_{key}", "label": "Tenancy",
                               "validate": {"required": True, "maxLength": 200}})
    return json.dumps(form)


def _actions(svc, form_id: str) -> list[str]:
    with svc.db.read() as session:
        return list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "form",
                                                                    AuditEvent.subject_id == form_id)
                                    .order_by(AuditEvent.id)))


def _library_rows(svc) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count()).select_from(LibraryForm))


def test_a_new_form_starts_from_its_title_and_is_listed_as_unused(demo):
    created = create_form(demo, f" {NEW} ", "Check  housing records", actor="ada")
    assert (created.form_id, created.title, created.version) == (NEW, "Check housing records", 1)
    form = parse_form(get_form(demo, NEW))
    assert (form.id, form.title, form.field_keys()) == (NEW, "Check housing records", {"notes"})
    listed = {f.form_id: f for f in list_forms(demo)}[NEW]
    assert (listed.processes, listed.version, listed.changed_by) == ([], 1, "ada")
    assert _actions(demo, NEW) == ["form_created"]


@pytest.mark.parametrize("form_id", ["", "ab", "1st_form", "Housing", "housing-check", "housing check",
                                     "../housing", "h" * 65])
def test_a_form_id_breaking_the_rules_is_refused_and_nothing_is_stored(demo, form_id):
    with pytest.raises(InvalidFormData) as refused:
        create_form(demo, form_id, "Check housing records", actor="ada")
    assert list(refused.value.errors) == ["form_id"]
    assert _library_rows(demo) == 0


@pytest.mark.parametrize("title", ["", "   ", "t" * 121])
def test_a_missing_or_long_title_is_refused(demo, title):
    with pytest.raises(InvalidFormData) as refused:
        create_form(demo, NEW, title, actor="ada")
    assert list(refused.value.errors) == ["title"]
    assert _library_rows(demo) == 0


def test_a_taken_id_is_refused_with_a_clear_error_and_nothing_changes(demo):
    create_form(demo, NEW, "Check housing records", actor="ada")
    with pytest.raises(Conflict) as again:
        create_form(demo, NEW, "Another title", actor="ada")
    assert again.value.message.startswith(f"A form '{NEW}' already exists")
    with pytest.raises(Conflict) as used:
        create_form(demo, "demo_note", "A note", actor="ada")
    assert "demo_intake" in used.value.message and used.value.details["field"] == "form_id"
    assert _library_rows(demo) == 1 and parse_form(get_form(demo, NEW)).title == "Check housing records"
    assert _actions(demo, NEW) == ["form_created"] and _actions(demo, "demo_note") == []


def test_of_eight_admins_creating_one_id_at_once_exactly_one_wins(demo):
    barrier, outcomes = threading.Barrier(8), []

    def create() -> None:
        barrier.wait()
        try:
            outcomes.append(create_form(demo, NEW, "Check housing records", actor="ada").version)
        except Conflict:
            outcomes.append("conflict")

    threads = [threading.Thread(target=create) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=str) == [1] + ["conflict"] * 7
    assert _library_rows(demo) == 1


def test_the_modeller_pick_list_offers_the_new_form(demo):
    create_form(demo, NEW, "Check housing records", actor="ada")
    assert {"id": NEW, "name": "Check housing records"} in catalogue(demo)["forms"]


def test_a_process_can_name_the_new_form_only_once_it_exists(demo):
    [unknown] = [p for p in check_files(demo, with_housing_task(NEW)) if p.element_id == "housing_task"]
    assert f"The form '{NEW}' is not known" in unknown.message
    create_form(demo, NEW, "Check housing records", actor="ada")
    assert check_files(demo, with_housing_task(NEW)) == []
    [deployed] = deploy(demo, with_housing_task(NEW), actor="ada")
    assert deployed.version == 2
    with demo.db.read() as session:
        assert load_version(session, deployed.version_id).form(NEW).title == "Check housing records"
    assert {f.form_id: f for f in list_forms(demo)}[NEW].processes == ["demo_intake"]


def test_a_case_on_the_new_version_is_asked_the_new_forms_questions(demo):
    create_form(demo, NEW, "Check housing records", actor="ada")
    deploy(demo, with_housing_task(NEW), actor="ada")
    view = start_demo(demo)
    triage = next(w for w in view.open_work_items if w["element_id"] == "triage")
    after = complete_work_item(demo, triage["id"], "fd", {"rag": "green"})
    [housing] = after.open_work_items
    assert (housing["element_id"], housing["form"]) == ("housing_task", NEW)
    with pytest.raises(InvalidFormData):  # the new form's rules apply: notes up to 4,000 characters
        complete_work_item(demo, housing["id"], "ho", {"notes": "x" * 4001})
    complete_work_item(demo, housing["id"], "ho", {"notes": "Tenancy held by the council."})
    assert get_instance(demo, view.id).version == 2


def test_editing_a_new_form_checks_it_and_keeps_each_version(demo):
    create_form(demo, NEW, "Check housing records", actor="ada")
    assert check_form(demo, NEW, with_question(demo, NEW)) == []
    assert check_form(demo, NEW, "{not json")
    moved = get_form(demo, NEW).decode().replace(f'"id": "{NEW}"', '"id": "elsewhere"', 1)
    assert "must stay" in check_form(demo, NEW, moved)[0].message
    assert save_form(demo, NEW, with_question(demo, NEW), actor="bea") == []
    listed = {f.form_id: f for f in list_forms(demo)}[NEW]
    assert (listed.version, listed.changed_by) == (2, "bea")
    assert parse_form(get_form(demo, NEW)).field_keys() == {"notes", "tenancy"}
    save_form(demo, NEW, get_form(demo, NEW), actor="bea")  # unchanged: no new version
    assert {f.form_id: f.version for f in list_forms(demo)}[NEW] == 2 and _library_rows(demo) == 2
    assert _actions(demo, NEW) == ["form_created", "form_saved", "form_saved"]


def test_a_broken_edit_is_refused_and_the_form_stays_as_it_was(demo):
    create_form(demo, NEW, "Check housing records", actor="ada")
    before = get_form(demo, NEW)
    broken = json.loads(before)
    broken["components"].append({"type": "textfield", "key": "notes", "label": "Notes again"})
    with pytest.raises(InvalidProcess) as refused:
        save_form(demo, NEW, json.dumps(broken), actor="ada")
    assert "used by more than one field" in refused.value.problems[0].message
    assert get_form(demo, NEW) == before and _library_rows(demo) == 1


def test_saving_a_new_form_a_process_uses_versions_the_process_and_the_library(demo):
    create_form(demo, NEW, "Check housing records", actor="ada")
    deploy(demo, with_housing_task(NEW), actor="ada")
    deployed = save_form(demo, NEW, with_question(demo, NEW), actor="ada")
    assert [(d.process_id, d.version, d.created) for d in deployed] == [("demo_intake", 3, True)]
    assert {f.form_id: f.version for f in list_forms(demo)}[NEW] == 2 and _library_rows(demo) == 2
    with demo.db.read() as session:
        assert load_version(session, deployed[0].version_id).form(NEW).field_keys() == {"notes", "tenancy"}


def test_an_unused_new_form_can_be_deleted_and_then_no_process_can_name_it(demo):
    create_form(demo, NEW, "Check housing records", actor="ada")
    assert "was deleted" in delete_form(demo, NEW, actor="ada")
    assert NEW not in {f.form_id for f in list_forms(demo)}
    with pytest.raises(NotFound):
        get_form(demo, NEW)
    with pytest.raises(InvalidProcess):
        deploy(demo, with_housing_task(NEW), actor="ada")
    assert _actions(demo, NEW) == ["form_created", "form_deleted"]
    again = create_form(demo, NEW, "Check housing records again", actor="ada")  # a deleted id may be reused
    assert {f.form_id: f.version for f in list_forms(demo)}[NEW] == again.version == 1


def test_a_new_form_a_live_process_uses_cannot_be_deleted(demo):
    create_form(demo, NEW, "Check housing records", actor="ada")
    deploy(demo, with_housing_task(NEW), actor="ada")
    with pytest.raises(Conflict) as refused:
        delete_form(demo, NEW, actor="ada")
    assert "demo_intake" in refused.value.message
    assert get_form(demo, NEW) and _actions(demo, NEW) == ["form_created"]

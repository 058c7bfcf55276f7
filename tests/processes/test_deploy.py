"""Deploying versions: immutable, content-addressed, all-or-nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import InvalidProcess
from engine.processes.deploy import deploy, read_paths
from engine.runtime.instances import get_instance
from engine.runtime.version_cache import list_versions
from engine.store.models import AuditEvent, ProcessVersion, VersionFile
from tests.support.factories import FIXTURES, demo_team, deploy_demo, start_demo


def _files():
    return read_paths([FIXTURES / "bpmn", FIXTURES / "forms"])


def test_deploy_creates_a_version_with_its_whole_closure(lite):
    [result] = deploy_demo(lite)
    assert (result.process_id, result.version, result.created) == ("demo_intake", 1, True)
    with lite.db.read() as session:
        names = session.scalars(select(VersionFile.filename).order_by(VersionFile.filename)).all()
    assert names == ["demo_decision.form", "demo_intake.bpmn", "demo_level.dmn", "demo_note.form",
                     "demo_triage.form"]


def test_identical_content_returns_the_existing_version(lite):
    first = deploy_demo(lite)[0]
    again = deploy_demo(lite)[0]
    assert again == type(first)(first.process_id, 1, first.version_id, first.content_hash, False)


def test_changed_content_makes_version_two_and_running_instances_stay_on_one(lite):
    deploy_demo(lite)
    demo_team(lite)
    old = start_demo(lite)
    files = _files()
    files["demo_intake.bpmn"] = files["demo_intake.bpmn"].replace(b"Triage the contact", b"Triage the referral")
    [second] = deploy(lite, files, actor="admin")
    assert second.version == 2
    new = start_demo(lite)
    assert (get_instance(lite, old.id).version, new.version) == (1, 2)
    assert new.open_work_items[0]["name"] == "Triage the referral"
    assert get_instance(lite, old.id).open_work_items[0]["name"] == "Triage the contact"
    assert [v["version"] for v in list_versions_of(lite)] == [2, 1]


def list_versions_of(svc):
    with svc.db.read() as session:
        return list_versions(session)


def test_a_rejected_deploy_changes_nothing(lite):
    deploy_demo(lite)
    files = _files()
    files["demo_intake.bpmn"] = files["demo_intake.bpmn"].replace(b'camunda:topic="demo_lookup"',
                                                                  b'camunda:topic="nope"')
    files["demo_note.form"] = b"{not json"
    with lite.db.read() as session:
        before = (session.scalar(select(func.count()).select_from(ProcessVersion)),
                  session.scalar(select(func.count()).select_from(AuditEvent)))
    with pytest.raises(InvalidProcess) as err:
        deploy(lite, files, actor="admin")
    messages = [p.message for p in err.value.problems]
    assert any("topic 'nope'" in m for m in messages)
    assert any("not valid JSON" in m or "JSON" in m for m in messages)
    with lite.db.read() as session:
        after = (session.scalar(select(func.count()).select_from(ProcessVersion)),
                 session.scalar(select(func.count()).select_from(AuditEvent)))
    assert after == before


def test_form_file_must_match_its_id(lite):
    files = _files()
    files["renamed.form"] = files.pop("demo_note.form")
    with pytest.raises(InvalidProcess) as err:
        deploy(lite, files, actor="admin")
    assert any("named after its id" in p.message for p in err.value.problems)


def test_deploy_is_audited(lite):
    deploy_demo(lite, actor="ada")
    with lite.db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "process_deployed")).one()
    assert (event.actor, event.subject_id, event.details["version"]) == ("ada", "demo_intake", 1)

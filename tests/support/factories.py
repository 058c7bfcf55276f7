"""Factories that call the real services (STYLE: tests build state through the code, not SQL)."""

from __future__ import annotations

from pathlib import Path

from engine.people.directory import add_user
from engine.processes.deploy import deploy, read_paths
from engine.runtime.instances import start_process

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def deploy_demo(svc, actor: str = "admin"):
    """Deploy the demo intake process, its DMN and forms."""
    return deploy(svc, read_paths([FIXTURES / "bpmn", FIXTURES / "forms"]), actor=actor)


def make_user(svc, name: str, *groups: str, role: str = "practitioner"):
    """A user in the given groups."""
    return add_user(svc, name, list(groups), actor="test", role=role)


def demo_team(svc) -> None:
    """One user per demo group."""
    make_user(svc, "fd", "front_door")
    make_user(svc, "sw", "mash_social_worker")
    make_user(svc, "pc", "police")
    make_user(svc, "hv", "health")
    make_user(svc, "mgr", "mash_manager")
    make_user(svc, "smgr", "service_manager")


def start_demo(svc, data=None, actor: str = "fd", case_ref: str | None = "C-1"):
    """Start the demo intake and return its view."""
    return start_process(svc, "demo_intake", data or {}, actor=actor, case_ref=case_ref)


HOUSING_TASK = (b'<bpmn:userTask id="housing_check" name="Housing check" camunda:formRef="demo_note" '
                b'camunda:candidateGroups="housing"><bpmn:incoming>f2</bpmn:incoming>'
                b'<bpmn:outgoing>f2b</bpmn:outgoing></bpmn:userTask>'
                b'<bpmn:sequenceFlow id="f2b" sourceRef="housing_check" targetRef="lookup"/>')


def demo_files() -> dict[str, bytes]:
    """The demo bundle as deployed by the factories."""
    return read_paths([FIXTURES / "bpmn", FIXTURES / "forms"])


def with_housing_check(files: dict[str, bytes]) -> dict[str, bytes]:
    """The demo route with a housing check inserted after triage (ids kept stable)."""
    bpmn = files["demo_intake.bpmn"]
    bpmn = bpmn.replace(b'<bpmn:sequenceFlow id="f2" sourceRef="triage" targetRef="lookup"/>',
                        b'<bpmn:sequenceFlow id="f2" sourceRef="triage" targetRef="housing_check"/>' + HOUSING_TASK)
    bpmn = bpmn.replace(b'<bpmn:incoming>f2</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>',
                        b'<bpmn:incoming>f2b</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>')
    return {**files, "demo_intake.bpmn": bpmn}


def with_starters(files: dict[str, bytes], groups: str = "front_door", users: str = "",
                  start_form: str | None = "demo_triage") -> dict[str, bytes]:
    """The demo route naming its candidate starters and, optionally, a start form."""
    bpmn = files["demo_intake.bpmn"]
    starters = f' camunda:candidateStarterGroups="{groups}"'.encode()
    if users:
        starters += f' camunda:candidateStarterUsers="{users}"'.encode()
    bpmn = bpmn.replace(b'isExecutable="true"', b'isExecutable="true"' + starters, 1)
    if start_form:
        bpmn = bpmn.replace(b'<bpmn:startEvent id="start">',
                            f'<bpmn:startEvent id="start" camunda:formRef="{start_form}">'.encode(), 1)
    return {**files, "demo_intake.bpmn": bpmn}

"""The process library: list processes with their versions; start an instance; deploy files (admins)."""

from __future__ import annotations

from dataclasses import asdict

from engine.errors import InvalidProcess, NotPermitted
from engine.errors import Problem as Issue
from engine.processes.deploy import KINDS, deploy
from engine.processes.starting import start_instance
from engine.processes.versions import list_processes
from web.api.auth import caller, requires
from web.api.blueprint import Blueprint
from web.api.retries import DOC, answered, idempotent_in_step, step_retry
from web.api.schemas import Deployed, DeployIn, Problem, Process, Started, StartIn
from web.context import services

PATH = ""
bp = Blueprint("api-processes", __name__, description="Processes, versions and deployments")


@bp.get("/processes")
@requires("processes:read")
@bp.etag
@bp.response(200, Process(many=True))
def index():
    """Every deployed process with its versions, newest first."""
    return [p.to_dict() for p in list_processes(services())]


@bp.post("/processes/<string(maxlength=120):process_id>/instances")
@requires("processes:start")
@bp.doc(**DOC)
@idempotent_in_step
@bp.arguments(StartIn)
@bp.response(201, Started)
@bp.alt_response(403, schema=Problem, description="not_permitted: the process does not name you or your groups "
                 "as its starters, or you may not open the case")
@bp.alt_response(404, schema=Problem, description="not_found: no such process or case")
@bp.alt_response(409, schema=Problem, description="idempotency_in_progress")
@bp.alt_response(422, schema=Problem, description="invalid_form_data with per-field errors (checked against the "
                 "start form); workflow_failed; idempotency_key_reused")
def start(body, process_id: str):
    """Start the process (the version a new case would run) and run it to its first wait, as the token's user.

    Who may start a process is the process's own rule: its `camunda:candidateStarterGroups` and
    `camunda:candidateStarterUsers`. A process naming no starters (the referral routes) is refused.
    """
    retry = step_retry(201, _started)
    view = start_instance(services(), process_id, body["data"], caller().username, case_ref=body.get("case_ref"),
                          retry=retry)
    return answered(view, retry, 201, _started)


def _started(view) -> dict:
    return {"instance_id": view.id, "process_id": view.process_id, "version": view.version, "status": view.status,
            "case_ref": view.case_ref, "open_work_items": view.open_work_items}


@bp.post("/deployments")
@requires("processes:deploy")
@bp.arguments(DeployIn, location="files")
@bp.response(201, Deployed(many=True))
@bp.alt_response(403, schema=Problem, description="not_permitted: only administrators deploy")
@bp.alt_response(422, schema=Problem, description="invalid_process with every problem found")
def create(files):
    """Validate and deploy the files as new process versions (all or nothing); administrators only."""
    who = caller()
    if who.role != "admin":
        raise NotPermitted("Only administrators deploy processes")
    uploads = {}
    for upload in files["files"]:
        name = (upload.filename or "").rsplit("/", 1)[-1]
        if not name.endswith(tuple(KINDS)):
            raise InvalidProcess([Issue("", "Only .bpmn, .dmn and .form files can be deployed", name)])
        uploads[name] = upload.read()
    return [asdict(v) for v in deploy(services(), uploads, who.username, note="deployed through the API")]

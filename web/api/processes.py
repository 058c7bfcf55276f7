"""The process library: list processes with their versions; deploy BPMN, DMN and form files (admins)."""

from __future__ import annotations

from dataclasses import asdict

from flask_smorest import Blueprint

from engine.errors import InvalidProcess, NotPermitted
from engine.errors import Problem as Issue
from engine.processes.deploy import KINDS, deploy
from engine.processes.versions import list_processes
from web.api.auth import caller, requires
from web.api.schemas import Deployed, DeployIn, Problem, Process
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

"""Process admin pages (admin role only): versions, files, compare, migrate, and the browser modeller."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, g, jsonify, redirect, render_template, request, url_for

from engine.errors import InvalidProcess, NotPermitted
from engine.processes.migration import dry_run, move_instances
from engine.processes.modelling import catalogue, check_diagram, deploy_diagram, process_diagram
from engine.processes.versions import compare_versions, get_version, get_version_files, list_processes
from web.context import current_user, services

bp = Blueprint("admin_processes", __name__, url_prefix="/admin/processes")
MODELLER_ENDPOINTS = {"admin_processes.edit", "admin_processes.show_version", "admin_processes.compare"}


@bp.before_request
def _admins_only() -> None:
    """Fail closed: every page here changes or reveals how cases are routed."""
    if current_user().role != "admin":
        raise NotPermitted("Only an administrator can manage processes")
    if request.endpoint in MODELLER_ENDPOINTS:
        g.csp_inline_styles = True  # bpmn-js's markup carries style attributes (web/security.py)


@bp.get("")
def index():
    """Every process with its versions: number, who deployed it, when, hash, instances running."""
    return render_template("admin_processes/index.html", title="Processes", processes=list_processes(services()))


@bp.get("/<process_id>/versions/<int:number>")
def show_version(process_id: str, number: int):
    """One version read-only: its diagram and its files to download."""
    version = get_version(services(), process_id, number)
    files = sorted(get_version_files(services(), process_id, number))
    return render_template("admin_processes/version.html", title=f"{version.name} version {number}",
                           version=version, files=files, diagram=_diagram_name(process_id, files))


@bp.get("/<process_id>/versions/<int:number>/files/<filename>")
def download(process_id: str, number: int, filename: str):
    """One stored file of a version, as a download."""
    files = get_version_files(services(), process_id, number)
    if filename not in files:
        abort(404)
    kind = "application/json" if filename.endswith(".form") else "application/xml"
    return Response(files[filename], mimetype=kind,
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


@bp.get("/<process_id>/compare")
def compare(process_id: str):
    """What changed from one version to another: lists, and markers on the newer diagram."""
    old, new = request.args.get("old", type=int), request.args.get("new", type=int)
    versions = next((p.versions for p in list_processes(services()) if p.process_id == process_id), None)
    if not versions:
        abort(404)
    new = new or versions[0].number
    old = old or (versions[1].number if len(versions) > 1 else new)
    changes = compare_versions(services(), process_id, old, new)
    files = sorted(get_version_files(services(), process_id, new))
    return render_template("admin_processes/compare.html", title=f"Compare versions of {process_id}",
                           process_id=process_id, versions=versions, old=old, new=new, changes=changes,
                           diagram=_diagram_name(process_id, files), changes_json=json.dumps(changes.to_dict()))


@bp.get("/<process_id>/migrate")
def migrate_form(process_id: str):
    """Choose an old and a new version, then instances (or all), for a dry run."""
    old, new = request.args.get("old", type=int), request.args.get("new", type=int)
    versions = next((p.versions for p in list_processes(services()) if p.process_id == process_id), None)
    if not versions:
        abort(404)
    new = new or versions[0].number
    report = dry_run(services(), process_id, old, new) if old else None
    return render_template("admin_processes/migrate.html", title=f"Move running cases of {process_id}",
                           process_id=process_id, versions=versions, old=old, new=new, report=report,
                           results=None)


@bp.post("/<process_id>/migrate")
def migrate(process_id: str):
    """Dry run for the chosen instances, or move the movable ones in a batch."""
    old, new = request.form.get("old", type=int), request.form.get("new", type=int)
    chosen = [int(i) for i in request.form.getlist("instance") if i.isdigit()] or None
    versions = next((p.versions for p in list_processes(services()) if p.process_id == process_id), [])
    if request.form.get("action") == "move":
        results = move_instances(services(), process_id, old, new, chosen, actor=current_user().username)
        return render_template("admin_processes/migrate.html", title=f"Move running cases of {process_id}",
                               process_id=process_id, versions=versions, old=old, new=new, report=None,
                               results=results)
    report = dry_run(services(), process_id, old, new, chosen)
    return render_template("admin_processes/migrate.html", title=f"Move running cases of {process_id}",
                           process_id=process_id, versions=versions, old=old, new=new, report=report,
                           results=None, chosen=chosen)


@bp.get("/<process_id>/edit")
def edit(process_id: str):
    """The modeller: the newest version's diagram in bpmn-js with the Camunda properties panel."""
    process_diagram(services(), process_id)  # 404 early if there is nothing to edit
    return render_template("admin_processes/edit.html", title=f"Edit {process_id}", process_id=process_id)


@bp.get("/<process_id>/diagram.bpmn")
def diagram(process_id: str):
    """The newest version's own BPMN file, for the modeller to open."""
    _name, content = process_diagram(services(), process_id)
    return Response(content, mimetype="application/xml")


@bp.get("/catalogue.json")
def catalogue_json():
    """Pick lists for the properties panel: known forms, groups and service topics."""
    return jsonify(catalogue(services()))


@bp.post("/<process_id>/check")
def check(process_id: str):
    """Run the deploy-time validation on the posted diagram; problems carry element ids."""
    problems = check_diagram(services(), process_id, request.get_data())
    return jsonify({"problems": [p.to_dict() for p in problems]})


@bp.post("/<process_id>/deploy")
def deploy(process_id: str):
    """Validate again and deploy as a new version (optionally a pilot); audited by the deploy service."""
    body = request.get_json(silent=True) or {}
    try:
        deployed = deploy_diagram(services(), process_id, str(body.get("xml", "")).encode("utf-8"),
                                  actor=current_user().username, note=str(body.get("note", ""))[:500],
                                  pilot_rule=body.get("pilot_rule") or None)
    except InvalidProcess as exc:
        return jsonify({"problems": [p.to_dict() for p in exc.problems]}), 422
    mine = next((d for d in deployed if d.process_id == process_id), deployed[0])
    return jsonify({"problems": [], "version": mine.version, "created": mine.created,
                    "url": url_for("admin_processes.show_version", process_id=process_id, number=mine.version)})


@bp.get("/<process_id>")
def process(process_id: str):
    """A process's newest version."""
    found = next((p for p in list_processes(services()) if p.process_id == process_id), None)
    if found is None:
        abort(404)
    return redirect(url_for("admin_processes.show_version", process_id=process_id,
                            number=found.versions[0].number))


def _diagram_name(process_id: str, files: list[str]) -> str | None:
    if f"{process_id}.bpmn" in files:
        return f"{process_id}.bpmn"
    return next((f for f in files if f.endswith(".bpmn")), None)

"""Process admin pages (admin role only): versions, files, compare, migrate, the browser modeller, and ending
a pilot (promote it to current, or withdraw it)."""

from __future__ import annotations

import json

from flask import Blueprint, Response, abort, g, jsonify, redirect, render_template, request, url_for

from engine.errors import Conflict, InvalidFormData, InvalidProcess, NotPermitted
from engine.processes.migration import dry_run, move_instances
from engine.processes.modelling import (
    base_version,
    catalogue,
    check_diagram,
    deploy_diagram,
    plan_diagram,
    process_diagram,
)
from engine.processes.pilots import REASON_MAX, pilot_ending, promote_pilot, withdraw_pilot
from engine.processes.versions import compare_versions, get_version, get_version_files, list_processes
from web.context import current_user, services

bp = Blueprint("admin_processes", __name__, url_prefix="/admin/processes")
MODELLER_ENDPOINTS = {"admin_processes.edit", "admin_processes.show_version", "admin_processes.compare",
                      "admin_processes.diagram_page"}
NOTICES = {"promote": "The pilot is now the current version: every new case starts on it.",
           "withdraw": "The pilot was withdrawn: the cases it matched start on the current version again."}


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
    """One version read-only: what it is now (current, a pilot and its rule), its diagram and its files."""
    version = get_version(services(), process_id, number)
    files = sorted(get_version_files(services(), process_id, number))
    return render_template("admin_processes/version.html", title=f"{version.name} version {number}",
                           version=version, files=files, diagram=_diagram_name(process_id, files),
                           notice=NOTICES.get(request.args.get("notice", "")))


@bp.route("/<process_id>/versions/<int:number>/<any(promote, withdraw):action>", methods=["GET", "POST"])
def end_pilot(process_id: str, number: int, action: str):
    """Promote an active pilot to current, or withdraw it: what it will do, a reason, then do it (audited)."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        act = promote_pilot if action == "promote" else withdraw_pilot
        try:
            act(services(), process_id, number, current_user().username, request.form.get("reason", ""),
                expected=request.form.get("fingerprint") or "")
        except InvalidFormData as exc:
            errors = exc.errors
        except Conflict as exc:
            errors = {"fingerprint": [exc.message]}
        else:
            return redirect(url_for("admin_processes.show_version", process_id=process_id, number=number,
                                    notice=action))
    ending = pilot_ending(services(), process_id, number, action)
    error_list = [{"text": m[0], "href": "#reason"} for m in errors.values() if m]
    verb = "Promote" if action == "promote" else "Withdraw"
    return render_template("admin_processes/end_pilot.html", title=f"{verb} pilot version {number}",
                           ending=ending, action=action, verb=verb, errors=errors, error_list=error_list,
                           error_count=len(error_list), reason_max=REASON_MAX), 422 if errors else 200


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
    layout = request.args.get("layout") == "1"
    changes = compare_versions(services(), process_id, old, new, layout=layout)
    files = sorted(get_version_files(services(), process_id, new))
    return render_template("admin_processes/compare.html", title=f"Compare versions of {process_id}",
                           process_id=process_id, versions=versions, old=old, new=new, changes=changes, layout=layout,
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
    changes = compare_versions(services(), process_id, old, new) if old else None
    return render_template("admin_processes/migrate.html", title=f"Move running cases of {process_id}",
                           process_id=process_id, versions=versions, old=old, new=new, report=report,
                           results=None, changes=changes)


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
                           results=None, chosen=chosen, changes=compare_versions(services(), process_id, old, new))


@bp.get("/<process_id>/edit")
def edit(process_id: str):
    """The modeller on a version (the current one unless ``?base=N``) with the Camunda properties panel."""
    base = base_version(services(), process_id, request.args.get("base", type=int))
    found = next(p for p in list_processes(services()) if p.process_id == process_id)
    return render_template("admin_processes/edit.html", title=f"Edit {base.name}", process_id=process_id,
                           base=base, process=found)


@bp.get("/<process_id>/diagram.bpmn")
def diagram(process_id: str):
    """A version's own BPMN file (the current version's unless ``?version=N``), for the modeller to open."""
    _name, content = process_diagram(services(), process_id, request.args.get("version", type=int))
    return Response(content, mimetype="application/xml")


@bp.get("/catalogue.json")
def catalogue_json():
    """Pick lists for the properties panel: known forms, groups and service topics."""
    return jsonify(catalogue(services()))


@bp.post("/<process_id>/check")
def check(process_id: str):
    """Validate the posted diagram (problems carry element ids) and, when it could be deployed, say what
    deploying would do. The body is the XML, or JSON with ``xml``, ``base`` and ``pilot_rule``."""
    xml, base, rule = _posted_diagram()
    problems = check_diagram(services(), process_id, xml, base)
    if problems:
        return jsonify({"problems": [p.to_dict() for p in problems], "plan": None})
    try:
        plan = plan_diagram(services(), process_id, xml, rule, base)
    except InvalidProcess as exc:  # the pilot rule is wrong
        return jsonify({"problems": [p.to_dict() for p in exc.problems], "plan": None})
    return jsonify({"problems": [], "plan": plan.to_dict()})


@bp.post("/<process_id>/deploy")
def deploy(process_id: str):
    """Validate again and deploy as planned (a new current version, a pilot, or a pilot's next version).

    Refused with 409 when the versions changed since the plan was shown; audited by the deploy service.
    """
    body = request.get_json(silent=True) or {}
    xml, base, rule = _posted_diagram()
    try:
        deployed = deploy_diagram(services(), process_id, xml, actor=current_user().username,
                                  note=str(body.get("note", ""))[:500], pilot_rule=rule, base=base,
                                  expected=str(body["fingerprint"]) if body.get("fingerprint") else None)
    except InvalidProcess as exc:
        return jsonify({"problems": [p.to_dict() for p in exc.problems]}), 422
    except Conflict as exc:
        return jsonify({"problems": [{"element_id": "", "message": exc.message, "file": ""}]}), 409
    mine = next((d for d in deployed if d.process_id == process_id), deployed[0])
    return jsonify({"problems": [], "version": mine.version, "created": mine.created,
                    "url": url_for("admin_processes.show_version", process_id=process_id, number=mine.version)})


def _posted_diagram() -> tuple[bytes, int | None, dict | None]:
    """The diagram, base version and pilot rule of a check or deploy (raw XML: the current version, no rule)."""
    body = request.get_json(silent=True) if request.is_json else None
    if not isinstance(body, dict):
        return request.get_data(), None, None
    base = body.get("base")
    return (str(body.get("xml", "")).encode("utf-8"), int(base) if str(base or "").isdigit() else None,
            body.get("pilot_rule") or None)  # a rule that is not a set of conditions is refused by the service


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

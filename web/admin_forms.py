"""Form admin pages (admin role only): the forms, a new form, the form-js editor, Check, Save and Delete."""

from __future__ import annotations

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, url_for

from engine.errors import Conflict, InvalidFormData, InvalidProcess, NotPermitted
from engine.processes.form_editing import (
    check_form,
    delete_form,
    form_version,
    get_form,
    list_forms,
    save_form,
    save_plan,
)
from engine.processes.new_forms import create_form
from web.context import current_user, services

bp = Blueprint("admin_forms", __name__, url_prefix="/admin/forms")


@bp.before_request
def _admins_only() -> None:
    """Fail closed: a form decides what practitioners record and what routes read."""
    if current_user().role != "admin":
        raise NotPermitted("Only an administrator can manage forms")
    if request.endpoint == "admin_forms.edit":
        g.csp_inline_styles = True  # form-js's editor positions its drag previews with style attributes


@bp.get("")
def index():
    """Every form in the library or used by a live process, with its version and the processes using it."""
    return render_template("admin_forms/index.html", title="Forms", forms=list_forms(services()))


@bp.get("/new")
def new():
    """Ask for the new form's id and title."""
    return _new_page({})


@bp.post("/new")
def create():
    """Store the new form (a heading and a notes box) and open it in the editor; errors re-show the page."""
    try:
        created = create_form(services(), request.form.get("form_id", ""), request.form.get("title", ""),
                              actor=current_user().username)
    except InvalidFormData as exc:
        return _new_page(exc.errors, 422)
    except Conflict as exc:
        return _new_page({"form_id": [exc.message]}, 409)
    return redirect(url_for("admin_forms.edit", form_id=created.form_id, created=created.version))


@bp.get("/<form_id>/edit")
def edit(form_id: str):
    """The form-js editor on the newest copy of a form."""
    get_form(services(), form_id)  # 404 early if there is nothing to edit
    users = next((f.processes for f in list_forms(services()) if f.form_id == form_id), [])
    return render_template("admin_forms/edit.html", title=f"Edit form {form_id}", form_id=form_id,
                           processes=users, created=request.args.get("created", type=int))


@bp.get("/<form_id>.json")
def form_json(form_id: str):
    """The newest JSON of a form, for the editor to open."""
    return Response(get_form(services(), form_id), mimetype="application/json")


@bp.post("/<form_id>/check")
def check(form_id: str):
    """Check the posted form JSON (readable, same id, no field a condition reads has gone) and, when it could
    be saved, say what saving would do: the versions it creates, from which, and for pilots and running cases."""
    problems = check_form(services(), form_id, _posted())
    if problems:
        return jsonify({"problems": [p.to_dict() for p in problems], "plan": None})
    try:
        plan = save_plan(services(), form_id, _posted())
    except InvalidProcess as exc:
        return jsonify({"problems": [p.to_dict() for p in exc.problems], "plan": None})
    return jsonify({"problems": [], "plan": plan.to_dict()})


@bp.post("/<form_id>/save")
def save(form_id: str):
    """Check again and save as planned (``?expected=`` the plan's fingerprint): each live version using the form
    gets its own next version (a pilot keeps its rule); running cases stay. 409 when the versions changed."""
    before = form_version(services(), form_id)
    try:
        deployed = save_form(services(), form_id, _posted(), actor=current_user().username,
                             expected=request.args.get("expected") or None)
    except InvalidProcess as exc:
        return jsonify({"problems": [p.to_dict() for p in exc.problems]}), 422
    except Conflict as exc:
        return jsonify({"problems": [{"element_id": "", "message": exc.message, "file": ""}]}), 409
    result = {"problems": [], "created": any(d.created for d in deployed),
              "versions": [{"process_id": d.process_id, "version": d.version, "created": d.created}
                           for d in deployed]}
    if not deployed:  # a form no process uses yet: only the form library keeps its versions
        after = form_version(services(), form_id)
        result |= {"created": after != before, "form_version": after}
    return jsonify(result)


@bp.post("/<form_id>/delete")
def delete(form_id: str):
    """Delete a form: refused, naming them, while any live process uses it."""
    try:
        message = delete_form(services(), form_id, actor=current_user().username)
    except Conflict as exc:
        return render_template("admin_forms/deleted.html", title=f"Form {form_id} cannot be deleted",
                               form_id=form_id, message=exc.message, refused=True), 409
    return render_template("admin_forms/deleted.html", title=f"Form {form_id}", form_id=form_id,
                           message=message, refused=False)


def _new_page(errors: dict[str, list[str]], status: int = 200):
    error_list = [{"text": m[0], "href": f"#{k}"} for k, m in errors.items() if m]
    return render_template("admin_forms/new.html", title="Create a form", errors=errors, error_list=error_list,
                           error_count=len(error_list), form=request.form), status


def _posted() -> bytes:
    # The app's post cap and parse_form's own size limit keep an oversized form out.
    return request.get_data()

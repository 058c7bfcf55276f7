"""Task pages: the form, save a draft, complete, what happens next; claim, give back and reassign.

A form with a file picker posts its files with the answers: each is stored as a document on the task and
its case before the answers are read (web/task_files.py), so a mistake elsewhere on the form never loses
a file. A post that arrived after the session ended comes back here after signing in (web/kept.py).
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from engine.errors import InvalidFormData, TaskAlreadyCompleted
from engine.forms import data_from_post
from engine.people.directory import work_targets
from engine.work.items import (
    claim,
    complete_work_item,
    open_task,
    reassign,
    save_draft,
    unclaim,
    what_happens_next,
)
from web.context import current_user, services
from web.kept import take_kept
from web.task_files import file_names, with_uploads
from web.task_form import ADD_ROW, render_form
from web.uploads import allow_document_upload

bp = Blueprint("tasks", __name__, url_prefix="/tasks")
bp.before_request(allow_document_upload)
KEPT_NOTICE = "What you typed before your session ended has been kept for you. Check it, then complete the task."


def _page(task, answers, errors=None, extra_rows=None, status: int = 200, notice: str | None = None):
    files = file_names(task)
    rendered = render_form(task.form, answers, errors, extra_rows, task.data, files) if task.form else None
    general = [m for k, ms in (errors or {}).items() if k in ("", "_form") for m in ms]
    error_list = (rendered.error_list if rendered else []) or [{"text": m} for m in general]
    return render_template("tasks/task.html", title=task.item["name"], task=task, form=rendered,
                           error_list=error_list, error_count=len(error_list), notice=notice), status


@bp.get("/<int:work_item_id>")
def show(work_item_id: int):
    """The task's page: instructions and its form (with any saved draft), or who already finished it."""
    task = open_task(services(), work_item_id, current_user().username)
    if task.item["status"] != "open":
        return _finished(task.item)
    kept_post, kept = take_kept() if task.may_act and task.form else (None, None)
    if kept is not None:  # kept as the task's draft at once, so leaving the page cannot lose it again
        answers = data_from_post(task.form, kept_post)
        save_draft(services(), work_item_id, current_user().username, answers)
        return _page(task, answers, notice=KEPT_NOTICE)
    return _page(task, task.draft)


def _finished(item: dict, status: int = 200):
    if item["completed_by"] == current_user().username:
        return redirect(url_for("tasks.done", work_item_id=item["id"]))
    return render_template("tasks/already_completed.html", title="This task has already been completed",
                           item=item), status


@bp.post("/<int:work_item_id>")
def submit(work_item_id: int):
    """Add a row, save a draft, or complete the task (validation errors come back on the form).

    Completing hands the post to the engine, which reads it with the item's form inside its own
    transaction (no read or audited view of our own first), keeping the web's cost over the engine's small.
    """
    svc, me = services(), current_user().username
    posted, refused = with_uploads(svc, work_item_id, me)
    if refused:  # a file was refused: nothing else is done, and the form comes back with the reason
        task = open_task(svc, work_item_id, me)
        return _page(task, data_from_post(task.form, posted), refused, status=422)
    if posted.get(ADD_ROW) or posted.get("action") == "draft":
        return _add_row_or_draft(svc, me, work_item_id, posted)
    answers: dict = {}

    def read_answers(form):  # called by the engine once it has the item's form (no read of our own)
        answers.update(data_from_post(form, posted) if form else {})
        return answers

    try:
        complete_work_item(svc, work_item_id, me, read_answers=read_answers)
    except InvalidFormData as exc:
        return _page(open_task(svc, work_item_id, me), answers, exc.errors, status=422)
    except TaskAlreadyCompleted:
        return _finished(open_task(svc, work_item_id, me).item, status=409)
    return redirect(url_for("tasks.done", work_item_id=work_item_id))


def _add_row_or_draft(svc, me: str, work_item_id: int, posted):
    task = open_task(svc, work_item_id, me)
    answers = data_from_post(task.form, posted) if task.form else {}
    if posted.get(ADD_ROW):
        return _page(task, answers, extra_rows={posted[ADD_ROW]: 1})
    try:
        save_draft(svc, work_item_id, me, answers)
    except InvalidFormData as exc:
        return _page(task, answers, exc.errors, status=422)
    except TaskAlreadyCompleted:
        return _finished(open_task(svc, work_item_id, me).item, status=409)
    return redirect(url_for("inbox.index", notice="draft"))


@bp.get("/<int:work_item_id>/done")
def done(work_item_id: int):
    """Confirmation: what you completed and what happens next on the case."""
    outcome = what_happens_next(services(), work_item_id, current_user().username)
    return render_template("tasks/done.html", title="Task complete", outcome=outcome)


@bp.post("/<int:work_item_id>/claim", endpoint="claim")
def claim_item(work_item_id: int):
    """Take an unclaimed task from one of your groups."""
    claim(services(), work_item_id, current_user().username)
    return redirect(url_for("inbox.index", notice="claimed"))


@bp.post("/<int:work_item_id>/unclaim", endpoint="unclaim")
def unclaim_item(work_item_id: int):
    """Give a task you hold back to its groups."""
    unclaim(services(), work_item_id, current_user().username)
    return redirect(url_for("inbox.index", notice="unclaimed"))


@bp.route("/<int:work_item_id>/reassign", methods=["GET", "POST"], endpoint="reassign")
def reassign_item(work_item_id: int):
    """Hand a task to a person or a group, with a reason that is audited."""
    svc, me = services(), current_user().username
    task = open_task(svc, work_item_id, me)
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        to = request.form.get("to", "")
        target = request.form.get("to_user" if to == "user" else "to_group", "").strip()
        try:
            reassign(svc, work_item_id, me, request.form.get("reason", ""),
                     to_user=target if to == "user" else None, to_group=target if to == "group" else None)
        except InvalidFormData as exc:
            errors = exc.errors
        else:
            return redirect(url_for("inbox.index", notice="reassigned"))
    error_list = [{"text": messages[0], "href": f"#{key}"} for key, messages in errors.items() if messages]
    return render_template("tasks/reassign.html", title="Reassign this task", task=task, errors=errors,
                           error_list=error_list, form=request.form, error_count=len(errors),
                           targets=work_targets(svc)), 422 if errors else 200

"""The files a task form posts: each stored as a document on the task and its case, its id put in the answers.

Files are stored before the answers are read, so a mistake elsewhere on the form never loses one: the
form comes back with the file ticked as attached. A refused file (a program, too large, the wrong kind)
comes back as that field's error, with nothing of it kept.
"""

from __future__ import annotations

from flask import request
from werkzeug.datastructures import MultiDict

from engine.cases.documents import Upload
from engine.cases.form_files import has_file_pickers
from engine.errors import InvalidFormData
from engine.work.task_files import attach_to_task, task_file_names
from web.context import current_user, services


def with_uploads(svc, work_item_id: int, me: str) -> tuple[MultiDict, dict[str, list[str]]]:
    """The post, with each file it carried attached to the task and its document id added under its field."""
    if not request.files:
        return request.form, {}
    posted, refused = MultiDict(request.form.items(multi=True)), {}
    for name in request.files:
        for sent in request.files.getlist(name):
            if not sent.filename:
                continue  # a file input left empty
            try:
                done = attach_to_task(svc, work_item_id, name, Upload(sent.filename, sent.read()), me)
            except InvalidFormData as exc:
                refused[name] = exc.errors.get("file") or [exc.message]
            else:
                posted.add(name, str(done["id"]))
    return posted, refused


def file_names(task) -> dict[int, str]:
    """The files already attached to the task (id -> name), when its form has a file picker."""
    if not has_file_pickers(task.form):
        return {}
    return task_file_names(services(), task.item["id"], current_user().username)

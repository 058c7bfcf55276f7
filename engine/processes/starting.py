"""Starting any deployed process on request (the API's POST /processes/{id}/instances).

Who may start a process is the process's own rule: the Camunda 7 attributes
``camunda:candidateStarterGroups`` and ``camunda:candidateStarterUsers`` on the ``bpmn:process`` element
(the modeller's properties panel edits them under "Candidate starter"). A process that names no starters
cannot be started this way: the referral routes start only through the front door, which records the
referral and its case first. The data is checked against the form on the process's start event
(``camunda:formRef``), as a task's answers are checked against its form; a process without a start form
takes no data. A case named by reference must exist, and the starter must be allowed to open it
(need-to-know); a refusal is audited like any refused look at a case.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.access.need_to_know import NoNeedToKnow, cases_visible_to
from engine.access.rules import Viewer, can_start_process
from engine.cases.instance_page import audit_view
from engine.cases.intake import with_defaults
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.forms import validate_submission
from engine.runtime.idempotency import StepRetry
from engine.runtime.instances import InstanceView, start_in_session
from engine.runtime.outbox import start_pending
from engine.runtime.services import Services
from engine.runtime.version_cache import LoadedVersion, load_version
from engine.runtime.version_choice import choose_version
from engine.store import hotreads

MAX_CASE_REF = 40


def start_instance(svc: Services, process_id: str, data: Mapping[str, Any] | None, actor: str, *,
                   case_ref: str | None = None, retry: StepRetry | None = None) -> InstanceView:
    """Start the version a new case would run, as ``actor``, after checking the process's starter rule,
    the start form and the case; one transaction (with ``retry``'s claim and answer, when given).

    Raises NotFound (no such process or case), NotPermitted (not a starter of this process),
    NoNeedToKnow (the case is not one ``actor`` may open; audited), InvalidFormData (the data fails the
    start form), or what the first step raises; in every case nothing is started. A retry of a request
    answered before raises Replay.
    """
    try:
        with svc.db.step() as session:
            conn = session.connection()
            if retry is not None:
                retry.claim(conn, svc.now())
            version = load_version(session, choose_version(session, process_id, data))
            role, groups = hotreads.person(conn, actor)
            viewer = Viewer(actor, role or "", frozenset(groups))
            if not can_start_process(viewer, *version.bundle.starters(process_id)):
                raise NotPermitted(f"You may not start '{process_id}': the process does not name you or your "
                                   "groups as its starters")
            clean = start_data(version, process_id, data or {})
            ref = _open_case(svc, session, viewer, case_ref) if case_ref is not None else None
            started = start_in_session(svc, session, process_id, clean, actor, ref, version.version_id)
            if retry is not None:
                retry.keep(conn, started, svc.now())
            starts_requested = session.info.get("start_requested", False)
    except NoNeedToKnow as refused:  # the step rolled back; the refusal is audited on its own
        with svc.db.transaction() as session:
            audit_view(session, svc.now(), actor, False, "case", refused.case_ref, refused.case_ref, "start_process")
        raise
    if starts_requested:  # a service task asked for another route
        start_pending(svc)
    return started


def start_data(version: LoadedVersion, process_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
    """The data checked against the start form, with every unanswered field present (gateways read them)."""
    form = version.form(version.bundle.start_form(process_id))
    if form is None:
        if data:
            raise InvalidFormData({"data": ["This process has no start form, so it takes no data"]})
        return {}
    return with_defaults(form, validate_submission(form, data))


def _open_case(svc: Services, session, viewer: Viewer, case_ref: str) -> str:
    """The case's reference once it is known to exist and the starter may open it (need-to-know)."""
    wanted = case_ref.strip().upper()[:MAX_CASE_REF]
    case_id = hotreads.case_id(session.connection(), wanted)
    if case_id is None:
        raise NotFound(f"No case with reference '{case_ref}'")
    if not viewer.role or not cases_visible_to(session, viewer.username, [case_id], svc.now(), role=viewer.role):
        raise NoNeedToKnow("You have no need to know this case", wanted)
    return wanted

"""Subject access requests from the child's case page: who may record one and download its reply, the start
form, the replies of a case, and a reply's download as HTML or JSON (every download and refusal audited).

Who may is the route's own rule: the candidate starters of ``subject_access_request`` (a service manager, a
MASH manager or the children's services lead in the shipped route), who must also be allowed to open the case.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import NoNeedToKnow, active_role, may_see_case
from engine.access.rules import Viewer, can_start_process
from engine.cases.documents import document_store
from engine.errors import NotFound, NotPermitted
from engine.forms import FormDefinition
from engine.governance.sar import render_html
from engine.people.directory import groups_of
from engine.runtime.services import Services
from engine.runtime.version_cache import load_version
from engine.runtime.version_choice import choose_version
from engine.store.cases import Case
from engine.store.governance import SubjectAccessBundle

PROCESS = "subject_access_request"
FORMATS = {"html": "text/html; charset=utf-8", "json": "application/json"}


@dataclass(frozen=True)
class Reply:
    """A prepared reply as the case page lists it."""

    id: int
    prepared_at: Any
    redacted_by: str
    approved_by: str
    withheld: int
    sent_at: Any
    sent_how: str | None


def _may_handle(session: Session, username: str) -> bool:
    try:
        version = load_version(session, choose_version(session, PROCESS, None))
    except NotFound:
        return False
    viewer = Viewer(username, active_role(session, username) or "", frozenset(groups_of(session, username)))
    return bool(viewer.role) and can_start_process(viewer, *version.bundle.starters(PROCESS))


def may_handle(svc: Services, username: str) -> bool:
    """True when ``username`` may record subject access requests and download their replies."""
    with svc.db.read() as session:
        return _may_handle(session, username)


def request_form(svc: Services, ref: str, username: str) -> FormDefinition:
    """The form that records a request about the child on case ``ref``; NotPermitted, NoNeedToKnow or NotFound."""
    with svc.db.read() as session:
        _check(svc, session, ref, username)
        version = load_version(session, choose_version(session, PROCESS, None))
        return version.form(version.bundle.start_form(PROCESS))


def replies(svc: Services, ref: str, username: str) -> list[Reply]:
    """The case's prepared replies, for those who may handle requests (others get none)."""
    with svc.db.read() as session:
        if not _may_handle(session, username):
            return []
        rows = session.scalars(select(SubjectAccessBundle).where(SubjectAccessBundle.case_ref == ref.upper())
                               .order_by(SubjectAccessBundle.id))
        return [Reply(r.id, r.prepared_at, r.redacted_by, r.approved_by, len(r.withheld or []), r.sent_at, r.sent_how)
                for r in rows]


def reply_file(svc: Services, ref: str, reply_id: int, fmt: str, username: str) -> tuple[bytes, str, str]:
    """A reply's bytes, file name and content type; audited, and a refusal too."""
    if fmt not in FORMATS:
        raise NotFound(f"No reply format '{fmt}'")
    try:
        with svc.db.read() as session:
            _check(svc, session, ref, username)
            reply = session.get(SubjectAccessBundle, reply_id)
            if reply is None or reply.case_ref != ref.upper():
                raise NotFound(f"No reply {reply_id} on case {ref.upper()}")
            sha = reply.sha256
    except (NotPermitted, NoNeedToKnow):
        _audit(svc, username, ref, "subject_access_reply_refused", reply_id, fmt)
        raise
    bundle = json.loads(document_store(svc).get(sha))
    _audit(svc, username, ref, "subject_access_reply_downloaded", reply_id, fmt)
    body = render_html(bundle).encode("utf-8") if fmt == "html" else json.dumps(
        bundle, indent=2, ensure_ascii=False).encode("utf-8")
    return body, f"subject-access-{ref.upper()}-{reply_id}.{fmt}", FORMATS[fmt]


def _check(svc: Services, session: Session, ref: str, username: str) -> Case:
    if not _may_handle(session, username):
        raise NotPermitted("Only those the subject access route names may record requests and download replies")
    case = session.scalar(select(Case).where(Case.ref == ref.upper()))
    if case is None or case.subject_type != "child":
        raise NotFound(f"No child's case {ref.upper()}")
    if not may_see_case(session, username, case.id, svc.now()):
        raise NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
    return case


def _audit(svc: Services, username: str, ref: str, action: str, reply_id: int, fmt: str) -> None:
    with svc.db.transaction() as session:
        audit.record(session, at=svc.now(), actor=username, action=action, subject_type="case",
                     subject_id=ref.upper(), case_ref=ref.upper(), reply_id=reply_id, format=fmt)

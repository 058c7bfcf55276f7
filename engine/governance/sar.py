"""Subject access: everything held about a child, as JSON and a readable HTML page, with other people's
data masked. Other children linked through the same contexts appear only as "another child"; a referrer's
name and contact details are withheld (their agency and role stay); who looked at the record, and when,
comes from the audit trail. Free-text notes are included for the reviewer to read and redact by hand."""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.documents import document_store
from engine.errors import InvalidFormData, NotFound
from engine.governance.holds import governance_actor
from engine.runtime.services import Services
from engine.store.cases import Case, Child, ChildContextLink, Context, Referral
from engine.store.casework import CaseNote, Document
from engine.store.models import AuditEvent

WITHHELD = "[withheld: third party]"
LOOK_ACTIONS = ("case_viewed", "task_viewed", "case_view_refused")


def _child_case(session: Session, ref: str) -> tuple[Case, Child]:
    case = session.scalar(select(Case).where(Case.ref == ref))
    child = session.get(Child, case.id) if case is not None else None
    if case is None or child is None:
        raise NotFound(f"No child's case {ref}")
    return case, child


def gather(session: Session, ref: str) -> dict[str, Any]:
    """Everything held about the child on case ``ref``, with third parties masked."""
    case, child = _child_case(session, ref)
    return {
        "case": {"ref": case.ref, "status": case.status, "opened_at": _iso(case.opened_at),
                 "closed_at": _iso(case.closed_at), "stage": case.stage},
        "child": {"first_name": child.first_name, "last_name": child.last_name, "date_of_birth": _iso(child.dob),
                  "nhs_number": child.nhs_number, "upn": child.upn, "address": child.address,
                  "postcode": child.postcode, "school": child.school},
        "referrals": [{"received_at": _iso(r.received_at), "referrer_name": WITHHELD if r.referrer_name else "",
                       "referrer_role": r.referrer_role, "referrer_agency": r.referrer_agency,
                       "referrer_contact": WITHHELD if r.referrer_contact else "", "harm_types": r.harm_types,
                       "consent": r.consent, "lawful_basis": r.lawful_basis}
                      for r in session.scalars(select(Referral).where(Referral.case_id == case.id)
                                               .order_by(Referral.received_at))],
        "notes": [{"kind": n.kind, "occurred_at": _iso(n.occurred_at), "recorded_by": n.recorded_by,
                   "with_whom": n.with_whom, "text": n.text, "version": n.version}
                  for n in session.scalars(select(CaseNote).where(CaseNote.case_id == case.id,
                                                                  CaseNote.superseded_at.is_(None))
                                           .order_by(CaseNote.occurred_at))],
        "documents": [{"file_name": d.file_name, "description": d.description, "uploaded_at": _iso(d.uploaded_at),
                       "sha256": d.sha256}
                      for d in session.scalars(select(Document).where(Document.case_id == case.id,
                                                                      Document.deleted_at.is_(None)))],
        "links": _links(session, case.id),
        "who_viewed": _views(session, case.ref),
    }


def _views(session: Session, ref: str) -> list[dict[str, Any]]:
    """Every look at the record in the audit trail: when, who, their agency and which part."""
    looked = or_(AuditEvent.subject_id == ref, AuditEvent.details["case_ref"].as_string() == ref)
    events = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(LOOK_ACTIONS), looked)
                             .order_by(AuditEvent.at, AuditEvent.id))
    return [{"at": _iso(e.at), "who": e.actor, "what": e.action, "agency": (e.details or {}).get("agency", ""),
             "section": (e.details or {}).get("section", "")} for e in events]


def _links(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The child's contexts, each with the other children there masked (how many, never who)."""
    links = []
    for link, context in session.execute(
            select(ChildContextLink, Context).join(Context, Context.case_id == ChildContextLink.context_case_id)
            .where(ChildContextLink.child_case_id == case_id).order_by(ChildContextLink.started_on)).all():
        others = session.scalars(select(ChildContextLink.child_case_id).where(
            ChildContextLink.context_case_id == link.context_case_id, ChildContextLink.child_case_id != case_id)).all()
        links.append({"context": context.name, "type": context.type, "role": link.role,
                      "started_on": _iso(link.started_on), "ended_on": _iso(link.ended_on), "reason": link.reason,
                      "other_children": [f"another child ({i + 1})" for i in range(len(set(others)))]})
    return links


def export(svc: Services, ref: str, out_dir: Path, *, actor: str) -> dict[str, Any]:
    """Write ``subject-access.json``, ``subject-access.html`` and the documents to ``out_dir``; audited."""
    out_dir = Path(out_dir)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise InvalidFormData({"--out": ["Choose an empty or new folder: this one already has files in it"]})
    with svc.db.transaction() as session:
        governance_actor(session, actor)
        bundle = gather(session, ref)
        audit.record(session, at=svc.now(), actor=actor, action="subject_access_exported", subject_type="case",
                     subject_id=ref, case_ref=ref, notes=len(bundle["notes"]), documents=len(bundle["documents"]))
    bundle["prepared"] = {"at": svc.now().isoformat(), "by": actor}
    (out_dir / "documents").mkdir(parents=True, exist_ok=True)
    store = document_store(svc)
    for doc in bundle["documents"]:
        name = f"{doc['sha256'][:12]}-{Path(doc['file_name']).name}"
        (out_dir / "documents" / name).write_bytes(store.get(doc.pop("sha256")))
        doc["file"] = f"documents/{name}"
    (out_dir / "subject-access.json").write_text(json.dumps(bundle, indent=2, ensure_ascii=False), encoding="utf-8")
    (out_dir / "subject-access.html").write_text(render_html(bundle), encoding="utf-8")
    return {"case_ref": ref, "out": str(out_dir), "notes": len(bundle["notes"]), "documents": len(bundle["documents"]),
            "views": len(bundle["who_viewed"])}


def render_html(bundle: dict[str, Any]) -> str:
    """The bundle as one plain, printable HTML page (every value escaped)."""
    parts = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
             "<title>Subject access: information we hold</title></head><body>",
             "<h1>Information we hold about you</h1>",
             f"<p>Prepared {_e(bundle['prepared']['at'])}. Information about other people has been withheld.</p>"]
    for title, key in (("Your case", "case"), ("About you", "child")):
        parts.append(f"<h2>{title}</h2><dl>")
        parts += [f"<dt>{_e(k.replace('_', ' ').capitalize())}</dt><dd>{_e(v)}</dd>" for k, v in bundle[key].items()]
        parts.append("</dl>")
    for title, key in (("Referrals", "referrals"), ("Notes and contacts", "notes"), ("Documents", "documents"),
                       ("Places and groups", "links"), ("Who has looked at your record", "who_viewed")):
        parts.append(f"<h2>{title}</h2>")
        rows = bundle[key]
        if not rows:
            parts.append("<p>None.</p>")
            continue
        head = "".join(f"<th scope=\"col\">{_e(k.replace('_', ' ').capitalize())}</th>" for k in rows[0])
        body = "".join("<tr>" + "".join(f"<td>{_e(_text(v))}</td>" for v in row.values()) + "</tr>" for row in rows)
        parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
    parts.append("</body></html>")
    return "\n".join(parts)


def _text(value: Any) -> str:
    return ", ".join(map(str, value)) if isinstance(value, list) else ("" if value is None else str(value))


def _e(value: Any) -> str:
    return html.escape(_text(value))


def _iso(value) -> str | None:
    return value.isoformat() if value is not None else None

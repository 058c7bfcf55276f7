"""What the subject access route does with the record: list the items a reviewer reads, check what they
withhold, prepare the approved reply (the export with those items withheld) and record it as sent.

The route's operations reach these through ``ctx.cases`` (engine/cases/route_records.py); the reply's JSON is
kept in the document store and its HTML is rendered from it when downloaded (engine/governance/sar_requests.py).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.cases.document_store import content_hash
from engine.cases.documents import document_store
from engine.errors import Conflict, InvalidFormData
from engine.governance.sar import gather
from engine.store.governance import SubjectAccessBundle

# The parts of the export a reviewer may withhold, the word each item is named by, and what a withheld item
# keeps (its date or name, so the person asking knows something was withheld, never what).
ITEM_PARTS = (("referrals", "Referral", ("received_at",)), ("notes", "Note", ("kind", "occurred_at")),
              ("documents", "Document", ("uploaded_at",)), ("links", "Place or group", ("started_on",)))
WITHHELD = "[withheld]"
SUMMARY_MAX = 160


def review_items(session: Session, ref: str) -> list[dict[str, str]]:
    """Each item of the export a reviewer may withhold: its name ("Note 2") and a short summary."""
    bundle = gather(session, ref)
    items = []
    for part, word, _kept in ITEM_PARTS:
        for number, row in enumerate(bundle[part], start=1):
            items.append({"item": f"{word} {number}", "summary": _summary(part, row)})
    return items


def items_text(items: list[Mapping[str, str]]) -> str:
    """The items as a markdown list for the review form ("- **Note 2**: ...")."""
    if not items:
        return "Nothing is held beyond the child's details and who has looked at the record."
    return "\n".join(f"- **{i['item']}**: {i['summary']}" for i in items)


def check_withheld(items: list[Mapping[str, str]], withheld: Any) -> list[dict[str, str]]:
    """The rows withheld, each naming a gathered item once with a reason; raises InvalidFormData."""
    known = {i["item"].casefold(): i["item"] for i in items}
    rows, problems, seen = [], [], set()
    for number, row in enumerate(withheld or [], start=1):
        name = str((row or {}).get("item") or "").strip()
        reason = str((row or {}).get("reason") or "").strip()
        canonical = known.get(" ".join(name.split()).casefold())
        if canonical is None:
            problems.append(f"Row {number}: '{name}' is not one of the items listed; name it as listed (Note 2)")
        elif canonical in seen:
            problems.append(f"Row {number}: {canonical} is already withheld")
        elif not reason:
            problems.append(f"Row {number}: enter why {canonical} is withheld")
        else:
            seen.add(canonical)
            rows.append({"item": canonical, "reason": reason})
    if problems:
        raise InvalidFormData({"sar_withheld": problems})
    return rows


def redacted(bundle: dict[str, Any], withheld: list[Mapping[str, str]]) -> dict[str, Any]:
    """The export with every withheld item's content replaced (its date or kind kept)."""
    names = {w["item"] for w in withheld}
    for part, word, kept in ITEM_PARTS:
        bundle[part] = [row if f"{word} {n}" not in names else
                        {k: (v if k in kept else WITHHELD) for k, v in row.items()}
                        for n, row in enumerate(bundle[part], start=1)]
    bundle["withheld_items"] = len(names)
    return bundle


def prepare_reply(session: Session, svc: Any, ref: str, instance_id: int, withheld: list[Mapping[str, str]],
                  redacted_by: str, approved_by: str, now: datetime) -> str:
    """Keep the approved reply (JSON in the document store) for instance ``instance_id``; returns its hash."""
    if session.scalar(select(SubjectAccessBundle.id).where(SubjectAccessBundle.instance_id == instance_id)):
        raise Conflict("This request's reply is already prepared")
    bundle = redacted(gather(session, ref), withheld)
    bundle["prepared"] = {"at": now.isoformat(), "by": approved_by}
    data = json.dumps(bundle, indent=2, ensure_ascii=False).encode("utf-8")
    sha = content_hash(data)
    document_store(svc).put(sha, data)
    session.add(SubjectAccessBundle(case_ref=ref, instance_id=instance_id, sha256=sha, withheld=list(withheld),
                                    redacted_by=redacted_by, approved_by=approved_by, prepared_at=now))
    audit.record(session, at=now, actor=approved_by, action="subject_access_prepared", subject_type="case",
                 subject_id=ref, case_ref=ref, instance_id=instance_id, withheld=len(withheld))
    return sha


def record_sent(session: Session, instance_id: int, how: str, sent_on: str, actor: str, now: datetime) -> None:
    """Record how and when the reply of ``instance_id`` was sent (audited)."""
    reply = session.scalar(select(SubjectAccessBundle).where(SubjectAccessBundle.instance_id == instance_id))
    if reply is None:
        raise Conflict("This request has no prepared reply to send")
    reply.sent_how, reply.sent_by = how, actor
    reply.sent_at = datetime.fromisoformat(sent_on).replace(tzinfo=now.tzinfo) if sent_on else now
    audit.record(session, at=now, actor=actor, action="subject_access_sent", subject_type="case",
                 subject_id=reply.case_ref, case_ref=reply.case_ref, instance_id=instance_id, how=how)


def _summary(part: str, row: Mapping[str, Any]) -> str:
    if part == "referrals":
        text = f"received {_day(row['received_at'])} from {row['referrer_role'] or 'a referrer'}" \
               f" ({row['referrer_agency'] or 'agency not given'})"
    elif part == "notes":
        text = f"{row['kind']} on {_day(row['occurred_at'])}: {row['text']}"
    elif part == "documents":
        text = f"{row['file_name']} ({row['description'] or 'no description'})"
    else:
        text = f"{row['context']} ({row['type']}), {row['role'] or 'linked'}"
    text = " ".join(str(text).split())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1] + "…"


def _day(value: str | None) -> str:
    return (value or "")[:10] or "an unknown date"

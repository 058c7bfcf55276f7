"""Protecting a child's address: once protected it is withheld everywhere the child appears (docs/domain.md).

Case views, search by postcode and the measures' areas already hide a protected address
(engine/cases/views.py, engine/insight/areas.py); this is where it is switched on or off,
with a reason, by someone the rule in engine/access/rules.py allows: anyone working on the child may
protect it, only a manager or the CS lead may show it again. Every switch is audited with who, when,
why and on or off, never with the address itself. A referrer can also mark it on the referral form
(engine/cases/intake.py refer_child).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.need_to_know import NoNeedToKnow, active_role, may_see_case
from engine.access.rules import can_protect_address, can_remove_address_protection
from engine.cases.records import live_case, switch_address_protection
from engine.errors import Conflict, InvalidFormData, NotPermitted
from engine.runtime.services import Services
from engine.store.cases import Case, Child

REASON_MAX = 2000  # a paragraph or two; the story itself belongs in the case record
PROTECT, REMOVE = "protect", "remove"


@dataclass(frozen=True)
class AddressProtection:
    """A switch of a child's address protection, as the page and the audit log tell it."""

    case_ref: str
    protected: bool
    changed_by: str
    changed_at: datetime
    reason: str


def set_address_protection(svc: Services, ref: str, protected: bool, actor: str, reason: str) -> AddressProtection:
    """Protect a child's address (``protected=True``) or show it again, for a reason; audited.

    Raises NotFound (no such child case), NoNeedToKnow (``actor`` may not open the case), NotPermitted
    (their role may not make this change), InvalidFormData (reason missing or too long) or Conflict
    (it already is so). Nothing changes when it raises.
    """
    reason = (reason or "").strip()
    now = svc.now()
    with svc.db.transaction() as session:
        case = live_case(session, ref, "child")
        _check_may_switch(session, case, actor, protected, now)
        _check_reason(reason, protected)
        if not switch_address_protection(session, case, protected, actor, now, reason):
            state = "already protected" if protected else "not protected"
            raise Conflict(f"The address of case {case.ref} is {state}: someone may have just changed it")
        return AddressProtection(case.ref, protected, actor, now, reason)


def protection_choice(svc: Services, ref: str, viewer: str) -> str | None:
    """What a child's case page offers ``viewer``: "protect", "remove", or None (nothing they may do)."""
    with svc.db.read() as session:
        row = session.execute(select(Case, Child.protected_address).join(Child, Child.case_id == Case.id)
                              .where(Case.ref == str(ref).strip().upper())).first()
        if row is None:
            return None
        case, protected = row
        role, may_open = active_role(session, viewer) or "", may_see_case(session, viewer, case.id, svc.now())
    if protected:
        return REMOVE if can_remove_address_protection(role, may_open) else None
    return PROTECT if can_protect_address(role, may_open) else None


def _check_may_switch(session: Session, case: Case, actor: str, protected: bool, now: datetime) -> None:
    if not may_see_case(session, actor, case.id, now):
        raise NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
    role = active_role(session, actor) or ""
    if protected and not can_protect_address(role, True):
        raise NotPermitted("Your role cannot protect a child's address")
    if not protected and not can_remove_address_protection(role, True):
        raise NotPermitted("Only a manager or the CS lead can remove the protection from a child's address")


def _check_reason(reason: str, protected: bool) -> None:
    if not reason:
        why = "this address must be protected" if protected else "the address can be shown again"
        raise InvalidFormData({"reason": [f"Give the reason {why}"]})
    if len(reason) > REASON_MAX:
        raise InvalidFormData({"reason": [f"The reason must be {REASON_MAX} characters or fewer"]})


"""Areas for the measures: the postcode district of the child or the context a case is about.

A protected address is never used: such a child counts in every area's total but in no single area.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.cases import Case, Child, Context


def postcode_district(postcode: str | None) -> str | None:
    """The outward code of a UK postcode ("ZZ1 2BB" -> "ZZ1"); None when there is none."""
    if not postcode or not postcode.strip():
        return None
    text = postcode.strip().upper()
    return text.split()[0] if " " in text else (text[:-3] or text)


def areas_of(session: Session, case_refs: Iterable[str]) -> dict[str, str | None]:
    """Each case's postcode district (None when unknown or the address is protected)."""
    refs = set(case_refs)
    if not refs:
        return {}
    found: dict[str, str | None] = dict.fromkeys(refs)
    children = session.execute(select(Case.ref, Child.postcode, Child.protected_address)
                               .join(Child, Child.case_id == Case.id).where(Case.ref.in_(refs)))
    for ref, postcode, protected in children:
        found[ref] = None if protected else postcode_district(postcode)
    contexts = session.execute(select(Case.ref, Context.postcode).join(Context, Context.case_id == Case.id)
                               .where(Case.ref.in_(refs)))
    for ref, postcode in contexts:
        found[ref] = postcode_district(postcode)
    return found

"""What a referral names that others may share, taken from its answers and written to the index.

A child referral gives its places of concern, the child's school URN, the online platforms named and
its named associates; a context referral gives the context's location, school URN and platform. A
place with only a name is not indexed (two "High Street"s may be kilometres apart), and a place at a
child's protected home postcode never is (docs/domain.md: a protected address appears nowhere).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.cases.records import identifier_key, postcode_key
from engine.patterns.names import name_keys, online_space, platforms_in
from engine.patterns.rules import PatternRules
from engine.store.cases import Case, Referral
from engine.store.patterns import PatternFeature

EFH_PREFIX = "EFH-"


@dataclass(frozen=True)
class Feature:
    """One indexed thing before it is written: kind, key, what to show, and where or how old."""

    kind: str
    key: str = ""
    label: str = ""
    postcode: str | None = None
    uprn: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    age: int | None = None
    detail: str = ""


def _number(value: Any) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


def _age(value: Any) -> int | None:
    number = _number(value)
    return None if number is None or not 0 <= number < 120 else round(number)


def _place(name: Any, where: Mapping[str, Any], detail: Any = "") -> Feature | None:
    lat, lon = _number(where.get("latitude")), _number(where.get("longitude"))
    if lat is None or lon is None:
        lat = lon = None
    postcode, uprn = postcode_key(where.get("postcode")), identifier_key(where.get("uprn"))
    if not (postcode or uprn or lat is not None):
        return None
    label = str(name or "").strip() or postcode or (f"UPRN {uprn}" if uprn else "A place of concern")
    return Feature("place", "", label[:200], postcode, uprn and uprn[:12], lat, lon, detail=str(detail or "")[:200])


def child_features(data: Mapping[str, Any], rules: PatternRules) -> list[Feature]:
    """The features of a child referral's answers (blank rows skipped)."""
    child = data.get("child") or {}
    home = postcode_key(child.get("postcode")) if child.get("protected_address") is True else None
    out: list[Feature] = []
    for row in data.get("places_of_concern") or []:
        place = _place(row.get("name"), row, row.get("when"))
        if place is not None and not (home and place.postcode == home):
            out.append(place)
    urn = identifier_key(child.get("school_urn"))
    if urn:
        out.append(Feature("school", urn[:12], str(child.get("school") or "").strip()[:200] or f"School {urn}"))
    said = (data.get("contextual") or {}).get("online_platforms")
    out += [Feature("platform", p[:120], p) for p in platforms_in(said, rules.platform_names)]
    for row in data.get("associates") or []:
        name = str(row.get("name") or "").strip()
        out += [Feature("associate", key, name[:200], age=_age(row.get("approx_age"))) for key in name_keys(name)]
    return out


def context_features(data: Mapping[str, Any], rules: PatternRules) -> list[Feature]:
    """The features of a context referral's answers: its location, school URN and platform."""
    out: list[Feature] = []
    place = _place(data.get("context_name"), data.get("location") or {})
    if place is not None:
        out.append(place)
    urn = identifier_key(data.get("school_urn"))
    if urn:
        out.append(Feature("school", urn[:12], str(data.get("context_name") or "").strip()[:200] or f"School {urn}"))
    online = data.get("online_platform") or {}
    platform = online_space(online.get("platform"), online.get("handle_or_url"), rules.platform_names)
    if platform:
        out.append(Feature("platform", platform[:120], platform))
    return out


def features_of(subject_type: str, data: Mapping[str, Any], rules: PatternRules) -> list[Feature]:
    """The features of a referral about a child or a context."""
    return child_features(data, rules) if subject_type == "child" else context_features(data, rules)


def names_harm(harm_types: Any) -> bool:
    """True when a referral names a type of harm outside the home (an EFH code or a context form's word)."""
    return any(str(h) not in ("", "EFH-OTH", "other") for h in harm_types or ())


def index_referral(session: Session, referral: Referral, case: Case, data: Mapping[str, Any],
                   rules: PatternRules) -> int:
    """Write the referral's features to the index; returns how many."""
    efh = names_harm(referral.harm_types)
    rows = [{"referral_id": referral.id, "case_id": case.id, "subject_type": case.subject_type,
             "at": referral.received_at, "efh": efh, **f.__dict__} for f in features_of(case.subject_type, data, rules)]
    if rows:  # the table, not the mapped class: a plain insert without the ORM's bulk bookkeeping
        session.execute(insert(PatternFeature.__table__), rows)
    return len(rows)


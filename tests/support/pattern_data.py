"""Fictional referrals for the pattern tests: different children who share places, schools and people."""

from __future__ import annotations

from typing import Any

from tests.support.case_data import child_referral

FIRST_NAMES = ("Ava", "Ben", "Cara", "Dev", "Ella", "Finn", "Gail", "Hugo", "Isla", "Jude", "Kit", "Lola")
BUS_STATION = {"name": "Northgate bus station", "postcode": "ZZ3 4BS", "latitude": 52.60000, "longitude": -1.20000}


def kid(n: int, *, places: list[dict] | None = None, urn: str | None = None, platforms: str = "",
        associates: list[dict] | None = None, harm: tuple[str, ...] = ("EFH-CCE",), **over: Any) -> dict[str, Any]:
    """A referral for the n-th fictional child (distinct name, NHS number and UPN for each n)."""
    child = {"first_name": FIRST_NAMES[n % len(FIRST_NAMES)], "last_name": f"Example{n}",
             "nhs_number": f"999 100 {n:04d}", "upn": f"B{n:012d}", "dob": f"{2009 + n % 4}-05-0{1 + n % 8}"}
    if urn:
        child["school_urn"] = urn
    data = child_referral(child=child, harm_types=list(harm), **over)
    data["places_of_concern"] = places or []
    data["associates"] = associates or []
    if platforms:
        data["contextual"] = {"online_platforms": platforms}
    return data

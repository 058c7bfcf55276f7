"""Fictional referral data and set-up for the case tests (every name here is made up)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

from sqlalchemy import select

from engine.people.directory import add_user
from engine.processes.deploy import deploy, read_paths
from engine.store.models import Group

ROOT = Path(__file__).resolve().parents[2]

CONTEXT = {
    "referrer": {"name": "Alex Example", "role": "Park warden", "organisation": "Exampletown Parks",
                 "organisation_type": "statutory", "email": "alex@example.invalid"},
    "context_type": "public_space", "public_space_type": "park", "context_name": "Riverside Park",
    "location": {"address": "Riverside Park, Exampletown", "postcode": "ZZ1 1AA", "uprn": "100000000001"},
    "concern_description": "Older youths are seen handing packages to younger children after school.",
    "harm_types": ["criminal_exploitation", "county_lines"], "similar_concerns_known": "no",
}

CHILD = {
    "immediate_risk": "no",
    "referrer": {"name": "Sam Teacher", "role": "Designated safeguarding lead", "agency": "Northgate Academy",
                 "phone": "01000 000000"},
    "child": {"first_name": "Robin", "last_name": "Testcase", "dob": "2011-04-01", "nhs_number": "999 000 0001",
              "upn": "A123456789012", "postcode": "ZZ1 2BB", "school": "Northgate Academy"},
    "concerns": {"what": "Seen with older youths at Riverside Park late at night."},
    "consent": {"status": "given", "lawful_basis": "consent"},
}


def _merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = value
    return out


def context_referral(**overrides: Any) -> dict[str, Any]:
    """A valid ctx_referral submission (nested sections merge)."""
    return _merge(CONTEXT, overrides)


def child_referral(**overrides: Any) -> dict[str, Any]:
    """A valid child_referral submission (nested sections merge)."""
    return _merge(CHILD, overrides)


# The agencies a safety-plan action may be owned by: deploy checks each is a group once the directory has groups.
PLAN_AGENCIES = ("police", "community_safety", "licensing", "housing", "education", "health", "vcs",
                 "town_planning", "youth_service")


def staff_plan_agencies(svc) -> None:
    """Give each safety-plan agency a member when the directory has groups (deploy checks them then)."""
    with svc.db.read() as session:
        existing = set(session.scalars(select(Group.id)))
    for group in sorted(set(PLAN_AGENCIES) - existing) if existing else ():
        add_user(svc, f"agency_{group}", [group], "test")


def deploy_routes(svc) -> None:
    """Deploy the shipped routes, their decisions and forms (giving each plan agency a member if needed)."""
    staff_plan_agencies(svc)
    deploy(svc, read_paths([ROOT / "workflows" / "bpmn", ROOT / "forms"]), actor="admin")


def team(svc) -> None:
    """Fictional staff: front door, a manager, two police officers, a social worker, a disabled account."""
    add_user(svc, "fd", ["front_door"], "test", role="front_door")
    add_user(svc, "mgr", ["mash_manager"], "test", role="manager")
    add_user(svc, "pc_one", ["police"], "test")
    add_user(svc, "pc_two", ["police"], "test")
    add_user(svc, "sw", ["mash_social_worker"], "test")
    add_user(svc, "csl", ["cs_lead"], "test", role="cs_lead")

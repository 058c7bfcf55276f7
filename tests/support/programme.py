"""Set-up for the change programme's tests: the shipped routes, one user per group and the programme's people."""

from __future__ import annotations

from engine.people.directory import add_user
from tests.support.case_data import deploy_routes
from tests.support.walker import ensure_group_users

# user name: (groups, role); every name here is made up
PEOPLE = {"lead": (["cs_lead", "partnership"], "cs_lead"), "friend": (["critical_friend"], "reviewer"),
          "chairperson": (["partnership"], "practitioner"), "root": (["admin"], "admin"),
          "boss": (["mash_manager"], "manager"), "worker": (["police"], "practitioner")}


def programme_team(svc, password_hash: str | None = None) -> None:
    """Deploy the shipped routes; one ``user_<group>`` per candidate group and the programme's people."""
    deploy_routes(svc)
    ensure_group_users(svc)
    for name, (groups, role) in PEOPLE.items():
        add_user(svc, name, groups, "test", role=role, password_hash=password_hash)

"""People and groups in words: group names for pages, and the details a referrer's form starts with."""

from __future__ import annotations

from sqlalchemy import select

from engine.runtime.services import Services
from engine.store.models import Group, User

# A role in the directory as a referrer would describe it (the referral form asks for a role or job title).
ROLE_WORDS = {"front_door": "Front door officer", "practitioner": "Practitioner", "manager": "Manager",
              "cs_lead": "Contextual Safeguarding lead", "chair": "Conference chair", "admin": "Administrator",
              "reviewer": "Reviewer"}


def group_names(svc: Services) -> dict[str, str]:
    """Every group id with the name people know it by."""
    with svc.db.read() as session:
        return {gid: name or gid for gid, name in session.execute(select(Group.id, Group.name))}


def referrer_details(svc: Services, username: str) -> dict[str, str]:
    """The signed-in person as a referral form's referrer section starts: name, role, organisation, e-mail.

    Both front-door forms' keys are given (``organisation`` and ``agency``); a form uses the ones it has.
    """
    with svc.db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
    if user is None:
        return {}
    details = {"name": user.display_name, "role": ROLE_WORDS.get(user.role, ""), "organisation": user.agency,
               "agency": user.agency, "email": user.email}
    return {key: value for key, value in details.items() if value}

"""The agencies of a partnership's governance group and values agreement, and the groups that own actions."""

from __future__ import annotations

# The agencies a Contextual Safeguarding system needs on board (docs/domain.md, the change programme). The key
# is the candidate group its tasks go to; wider council services answer through the partnership.
AGENCIES: dict[str, str] = {
    "cs_lead": "Children's Services", "police": "Police", "community_safety": "Community safety",
    "education": "Education", "health": "Health", "licensing": "Licensing", "housing": "Housing",
    "vcs": "Voluntary and community partners", "town_planning": "Town planning",
    "council": "Wider council services",
}

# The groups an action can be owned by (the owner lists of the meeting and review forms).
OWNERS: dict[str, str] = {
    "partnership": "Safeguarding partnership", "cs_lead": "Children's Services (CS lead)", "police": "Police",
    "community_safety": "Community safety and ASB", "education": "Education", "health": "Health",
    "licensing": "Licensing", "housing": "Housing", "vcs": "Voluntary and community partners",
    "town_planning": "Town planning, parks and transport", "youth_service": "Youth service",
}


def agency_name(key: str) -> str:
    """An agency's name for people (the key itself when unknown)."""
    return AGENCIES.get(key, key)


def owner_name(group: str) -> str:
    """An owning group's name for people."""
    return OWNERS.get(group, AGENCIES.get(group, group))

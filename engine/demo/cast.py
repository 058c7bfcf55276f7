"""The demo's cast: fictional agencies (groups) and one person per job, with the demo password.

Every name here is made up.
"""

from __future__ import annotations

from typing import Any

from engine.runtime.services import Services
from engine.runtime.version_cache import load_version
from engine.store.models import Instance

DEMO_PASSWORD = "demo-password-only"  # printed by the command; never use outside a demo
ADMIN = "admin.nettle"

GROUPS = {
    "front_door": "Front door (MASH contact officers)", "mash_social_worker": "MASH social workers",
    "mash_manager": "MASH managers", "service_manager": "Service managers",
    "cs_lead": "Contextual Safeguarding lead", "assessment_team": "Assessment team", "early_help": "Early Help",
    "review_unit": "Independent review unit", "conference_chair": "Conference chairs",
    "police": "Exampleshire Police", "health": "Exampletown Health", "education": "Education safeguarding",
    "community_safety": "Community safety and ASB", "licensing": "Licensing", "housing": "Housing",
    "vcs": "Voluntary and community sector", "town_planning": "Planning, parks and transport",
    "youth_service": "Youth service", "youth_justice": "Youth justice", "probation": "Probation",
    "intelligence": "Partnership intelligence", "partnership": "Safeguarding partnership",
    "critical_friend": "Critical friends", "performance": "Performance and quality", "admin": "System administrators",
}

# Which service each group belongs to: a manager manages the work of their own service's groups, the CS lead
# every service's (engine/access/rules.py). Children's services run the front door; partners manage their own.
SERVICES = {**dict.fromkeys(("front_door", "mash_social_worker", "mash_manager", "service_manager", "cs_lead",
                             "assessment_team", "early_help", "review_unit", "conference_chair"), "childrens_services"),
            **dict.fromkeys(("police", "intelligence"), "police"), "health": "health", "education": "education",
            **dict.fromkeys(("community_safety", "licensing", "town_planning", "housing"), "council"),
            **dict.fromkeys(("vcs", "youth_service"), "youth"),
            **dict.fromkeys(("youth_justice", "probation"), "justice"),
            **dict.fromkeys(("partnership", "critical_friend", "performance"), "partnership"), "admin": "admin"}

# (user name, display name, role, agency, groups): one person per job in each agency.
PEOPLE = [
    ("fd.amber", "Amber Frontdoor", "front_door", "Exampletown Children's Services", ["front_door"]),
    ("sw.basil", "Basil Socialwork", "practitioner", "Exampletown Children's Services",
     ["mash_social_worker", "assessment_team"]),
    ("mgr.cedar", "Cedar Manager", "manager", "Exampletown Children's Services", ["mash_manager"]),
    ("smgr.dahlia", "Dahlia Servicemanager", "manager", "Exampletown Children's Services", ["service_manager"]),
    ("police.elm", "Elm Constable", "practitioner", "Exampleshire Police", ["police"]),
    ("edu.fern", "Fern Teacher", "practitioner", "Exampletown Education", ["education"]),
    ("health.gorse", "Gorse Nurse", "practitioner", "Exampletown Health", ["health"]),
    ("csafety.hazel", "Hazel Wardens", "practitioner", "Exampletown Council", ["community_safety"]),
    ("licensing.iris", "Iris Licensing", "practitioner", "Exampletown Council", ["licensing"]),
    ("housing.juniper", "Juniper Housing", "practitioner", "Exampletown Homes", ["housing"]),
    ("vcs.kale", "Kale Youthworker", "practitioner", "Exampletown Youth Trust", ["vcs", "youth_service"]),
    ("cslead.laurel", "Laurel Lead", "cs_lead", "Exampletown Children's Services", ["cs_lead", "partnership"]),
    ("chair.maple", "Maple Chair", "chair", "Independent review unit", ["conference_chair", "review_unit"]),
    (ADMIN, "Nettle Admin", "admin", "Exampletown Council", ["admin"]),
    ("reviewer.olive", "Olive Reviewer", "reviewer", "Safeguarding partnership",
     ["critical_friend", "performance", "partnership"]),
    ("intel.poppy", "Poppy Analyst", "practitioner", "Exampleshire Police", ["intelligence"]),
    ("eh.quince", "Quince Earlyhelp", "practitioner", "Exampletown Children's Services", ["early_help"]),
    ("yj.rowan", "Rowan Youthjustice", "practitioner", "Exampletown Youth Justice", ["youth_justice"]),
    ("planning.sorrel", "Sorrel Planner", "practitioner", "Exampletown Council", ["town_planning"]),
    ("probation.tansy", "Tansy Probation", "practitioner", "Exampleshire Probation", ["probation"]),
]


def member_of(group: str) -> str:
    """The demo person who works in a group."""
    return next(p[0] for p in PEOPLE if group in p[4])


def form_of(svc: Services, item: dict[str, Any]):
    """The form a work item asks for, from its instance's version."""
    with svc.db.read() as session:
        version_id = session.get(Instance, item["instance_id"]).version_id
        return load_version(session, version_id).form(item["form"])

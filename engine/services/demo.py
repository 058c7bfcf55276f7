"""`frontdoor demo`: fictional agencies, people, routes and cases, so a newcomer sees a living system.

Idempotent: people and groups that exist are left alone, an unchanged deploy is a no-op, and the
cases are only added to a database that has none. Every name here is made up. A stage that fails
(for example a route still being drawn) is skipped with a printed note instead of stopping the rest.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from engine.errors import FrontdoorError
from engine.services.bootstrap import Services
from engine.services.deploy import deploy, read_paths
from engine.services.directory import add_user
from engine.services.library import load_version
from engine.store.cases import Case
from engine.store.models import Group, Instance, User

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

Say = Callable[[str], None]


def load_demo(svc: Services, *, password: str = DEMO_PASSWORD, say: Say = print) -> dict[str, Any]:
    """Load the demo (idempotent); returns what was added and which stages were skipped."""
    summary: dict[str, Any] = {"people_added": add_people(svc, password, say), "skipped": []}
    summary["deployed"] = _stage(summary, say, "deploy the shipped routes", lambda: deploy_routes(svc))
    if summary["deployed"] is None:
        say("Skipping the demo cases: the routes are not deployed.")
        return summary
    with svc.db.read() as session:
        has_cases = session.scalar(select(Case.id).limit(1)) is not None
    if has_cases:
        say("Cases already exist; demo cases not added again.")
        summary["cases"] = []
        return summary
    from engine.services.demo_cases import STAGES  # the stories; imported late, they need the routes

    summary["cases"] = [ref for name, story in STAGES
                        if (ref := _stage(summary, say, name, lambda story=story: story(svc))) is not None]
    return summary


def _stage(summary: dict[str, Any], say: Say, name: str, action: Callable[[], Any]) -> Any:
    try:
        result = action()
    except FrontdoorError as exc:
        detail = "; ".join(p.message for p in getattr(exc, "problems", [])[:3]) or exc.message
        say(f"Skipped '{name}': {detail}")
        summary["skipped"].append({"stage": name, "reason": detail})
        return None
    say(f"Done: {name}")
    return result


def add_people(svc: Services, password: str, say: Say) -> list[str]:
    """Create the demo groups (with agency names) and people who do not exist yet."""
    with svc.db.transaction() as session:
        for gid, name in GROUPS.items():
            group = session.get(Group, gid)
            if group is None:
                session.add(Group(id=gid, name=name))
        known = set(session.scalars(select(User.username)))
    added = []
    for username, display, role, agency, groups in PEOPLE:
        if username in known:
            continue
        add_user(svc, username, groups, actor="demo", role=role, display_name=display, agency=agency)
        added.append(username)
    _set_passwords(svc, added, password, say)
    return added


def _set_passwords(svc: Services, usernames: list[str], password: str, say: Say) -> None:
    try:  # accounts (sign-in) may not be installed in every build
        accounts = importlib.import_module("engine.services.accounts")
    except ImportError:
        say("No accounts service here: demo people have no passwords.")
        return
    for username in usernames:
        accounts.set_password(svc, username, password, "demo")
    if usernames:
        say(f"Demo people can sign in with the password '{password}'.")


def deploy_routes(svc: Services) -> list[str]:
    """Deploy workflows/bpmn and forms/ (a no-op for unchanged files); returns the process versions."""
    files = read_paths([svc.settings.bpmn_dir, svc.settings.forms_dir])
    return [f"{v.process_id} v{v.version}" for v in deploy(svc, files, actor=ADMIN, note="frontdoor demo")]


def member_of(group: str) -> str:
    """The demo person who works in a group."""
    return next(p[0] for p in PEOPLE if group in p[4])


def form_of(svc: Services, item: dict[str, Any]):
    """The form a work item asks for, from its instance's version."""
    with svc.db.read() as session:
        version_id = session.get(Instance, item["instance_id"]).version_id
        return load_version(session, version_id).form(item["form"])


def register(sub, command: Callable) -> None:
    """Add `frontdoor demo` to the command line (engine/cli_extra.py)."""
    parser = command("demo", cmd_demo, parent=sub)
    parser.add_argument("--password", default=DEMO_PASSWORD, help="password for the demo people (12+ characters)")


def cmd_demo(args) -> dict[str, Any]:
    """frontdoor demo [--password P]: load fictional agencies, people, routes and cases (safe to repeat)."""
    import sys

    from engine.services.bootstrap import bootstrap

    svc = bootstrap()
    svc.db.upgrade()
    say = (lambda text: print(text, file=sys.stderr)) if getattr(args, "json", False) else print
    return load_demo(svc, password=args.password, say=say)

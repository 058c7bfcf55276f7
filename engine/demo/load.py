"""`frontdoor demo`: fictional agencies, people, routes and cases, so a newcomer sees a living system.

Idempotent: people and groups that exist are left alone, an unchanged deploy is a no-op, and the
cases are only added to a database that has none. Every name here is made up. A stage that fails
(for example a route still being drawn) is skipped with a printed note instead of stopping the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from engine.demo.cast import ADMIN, DEMO_PASSWORD, GROUPS, PEOPLE, SERVICES
from engine.demo.later_stages import LATER_STAGES, REVIEWS
from engine.demo.programme import STAGES as PROGRAMME_STAGES
from engine.demo.stories import STAGES
from engine.errors import FrontdoorError
from engine.people.accounts import set_password
from engine.people.directory import add_user
from engine.processes.deploy import DeployedVersion, deploy, read_paths
from engine.runtime.services import Services
from engine.runtime.version_cache import current_versions
from engine.store.cases import Case
from engine.store.models import Group, User

Say = Callable[[str], None]


def load_demo(svc: Services, *, password: str = DEMO_PASSWORD, say: Say = print) -> dict[str, Any]:
    """Load the demo (idempotent); returns what was added and which stages were skipped."""
    summary: dict[str, Any] = {"people_added": add_people(svc, password, say), "skipped": []}
    summary["deployed"] = _stage(summary, say, "deploy the shipped routes", lambda: deploy_routes(svc))
    for line in summary["deployed"] or []:
        say(f"  {line}")
    if summary["deployed"] is None:
        say("Skipping the demo cases: the routes are not deployed.")
        return summary
    with svc.db.read() as session:
        has_cases = session.scalar(select(Case.id).limit(1)) is not None
    if has_cases:
        say("Cases already exist; demo cases not added again.")
        summary["cases"] = []
        return summary
    summary["cases"] = [ref for name, story in [*STAGES, *LATER_STAGES]
                        if (ref := _stage(summary, say, name, lambda story=story: story(svc))) is not None]
    summary["reviews"] = [done for name, story in REVIEWS
                          if (done := _stage(summary, say, name, lambda story=story: story(svc))) is not None]
    summary["programme"] = [_stage(summary, say, name, lambda s=story: s(svc)) for name, story in PROGRAMME_STAGES]
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
    """Create the demo groups (with agency names and services) and people who do not exist yet."""
    with svc.db.transaction() as session:
        for gid, name in GROUPS.items():
            group = session.get(Group, gid)
            if group is None:
                session.add(Group(id=gid, name=name, service=SERVICES.get(gid, "")))
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
    for username in usernames:
        set_password(svc, username, password, "demo")
    if usernames:
        say(f"Demo people can sign in with the password '{password}'.")


def deploy_routes(svc: Services) -> list[str]:
    """Deploy workflows/bpmn and forms/ (a no-op for unchanged files); says truly what each process got."""
    files = read_paths([svc.settings.bpmn_dir, svc.settings.forms_dir])
    deployed = deploy(svc, files, actor=ADMIN, note="frontdoor demo")
    with svc.db.read() as session:
        current = {pid: v.number for pid, v in current_versions(session).items()}
    return [_deployed_words(d, current.get(d.process_id)) for d in deployed]


def _deployed_words(done: DeployedVersion, current: int | None) -> str:
    if done.created:
        return f"{done.process_id} version {done.version} (deployed now, current)"
    if current == done.version:
        return f"{done.process_id} version {done.version} (already deployed, unchanged, current)"
    return (f"{done.process_id} version {done.version} (the shipped files match it; version {current} is current, "
            "so nothing changed)")

"""The header's links by role: each area appears only for the roles its pages let in, and nowhere else.

The rules are the areas' own (who may refer, manage work, read insight, run the system); this only
reads them, so a page and its link can never disagree.
"""

from __future__ import annotations

from flask import Flask, g, request, url_for

from engine.access.need_to_know import ROLES_WITHOUT_CASES
from engine.access.rules import ROLES_MANAGING_WORK, Viewer, can_read_programme, can_refer, can_see_patterns
from engine.insight.readers import INSIGHT_ROLES, SYSTEM_REVIEW_ROLES

ADMIN = frozenset({"admin"})


def _links(user) -> list[tuple[str, str, tuple[str, ...]]]:
    """(endpoint, words, blueprints that count as 'here') for the signed-in person, in header order."""
    role = user.role
    links = [("inbox.index", "Inbox", ("inbox", "tasks"))]
    if role not in ROLES_WITHOUT_CASES:
        links.append(("cases.search", "Find a case", ("cases", "instances", "plans")))
    if can_refer(role):
        links.append(("front_door.index", "Front door", ("front_door",)))
    if can_see_patterns(role):
        links.append(("patterns.index", "Patterns", ("patterns",)))
    if role in ROLES_MANAGING_WORK:
        links.append(("team.index", "Team", ("team",)))
    if role in INSIGHT_ROLES:
        links.append(("insight.measures", "Insight", ("insight",)))
    elif role in SYSTEM_REVIEW_ROLES:
        links.append(("insight.system_review", "System review", ("insight",)))
    if can_read_programme(Viewer(user.username, role, frozenset(user.groups))):
        links.append(("programme.index", "Programme", ("programme",)))
    if role in ADMIN:
        links += [("admin_processes.index", "Processes", ("admin_processes",)),
                  ("admin_forms.index", "Forms", ("admin_forms",)), ("admin_mail.index", "E-mail", ("admin_mail",))]
    return links


def nav_items() -> list[dict]:
    """GOV.UK service navigation items for the signed-in person (none when nobody is signed in)."""
    user = g.get("user")
    if user is None:
        return []
    return [{"href": url_for(endpoint), "text": text, "active": request.blueprint in here}
            for endpoint, text, here in _links(user)]


def manages_work() -> bool:
    """True when the signed-in person manages work (the team pages and allocating a case)."""
    user = g.get("user")
    return user is not None and user.role in ROLES_MANAGING_WORK


def init_app(app: Flask) -> None:
    """Make ``nav_items()`` and ``manages_work()`` available to every template."""
    app.context_processor(lambda: {"nav_items": nav_items, "manages_work": manages_work})

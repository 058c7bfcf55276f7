"""Who may see a work item (a task page). Whether someone may see a *case* is need_to_know.py's rule.

A task is seen by whoever holds it, whoever completed it, and the members of the groups it is offered
to (they must read it to decide whether to claim it). Seeing a task does not open its case: the case
needs need-to-know (engine/access/need_to_know.py), which claiming the task then gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.access.need_to_know import ROLES_WITHOUT_CASES


@dataclass(frozen=True)
class Viewer:
    """The person asking, as the access rules need them."""

    username: str
    role: str
    groups: frozenset[str]


@dataclass(frozen=True)
class WorkSeen:
    """One work item as the access rules need it."""

    groups: tuple[str, ...]
    assignee: str | None
    completed_by: str | None
    case_ref: str | None = None


def can_view_item(viewer: Viewer, item: WorkSeen) -> bool:
    """A work item is visible to its holder, its completer and members of the groups it is offered to.

    Never a task on a case to a reviewer: a task page shows the case's data, and reviewers see none.
    """
    if not viewer.role:  # disabled or unknown: fail closed
        return False
    if viewer.role in ROLES_WITHOUT_CASES and item.case_ref:
        return False
    if viewer.username in (item.assignee, item.completed_by):
        return True
    return bool(viewer.groups & set(item.groups))


# Any partner agency may refer (Working Together 2023, ch. 2: anyone with a concern should refer);
# administrators and read-only reviewers act on the system, not on children.
ROLES_NOT_REFERRING = frozenset({"admin", "reviewer"})


def can_refer(role: str) -> bool:
    """True when someone in ``role`` may use the front-door referral pages."""
    return bool(role) and role not in ROLES_NOT_REFERRING


# docs/domain.md: a protected address (a refuge, a move away from someone who may harm the child) is hidden
# everywhere the child appears. Hiding it can never put a child at risk, so anyone working on the child
# may do it; showing it again could, so only a manager or the CS lead may (both see every case). The
# administrator may protect only after breaking glass, which tells the case's manager. Reviewers only read.
ROLES_PROTECTING_ADDRESSES = frozenset({"front_door", "practitioner", "chair", "manager", "cs_lead", "admin"})
ROLES_REMOVING_ADDRESS_PROTECTION = frozenset({"manager", "cs_lead"})


def can_protect_address(role: str, may_open_case: bool) -> bool:
    """True when someone in ``role`` may protect a child's address (only on a case they may open)."""
    return may_open_case and role in ROLES_PROTECTING_ADDRESSES


def can_remove_address_protection(role: str, may_open_case: bool) -> bool:
    """True when someone in ``role`` may show a protected address again (a senior decision; a case they may open)."""
    return may_open_case and role in ROLES_REMOVING_ADDRESS_PROTECTION


# docs/decisions.md, D46: who may move work. Whoever holds a work item may hand it on inside its groups
# (to an active member of one of them, or to one of them). Managers (a service manager is a manager in the
# service managers' group) and the CS lead may claim, give back and reassign any work item of their service,
# to anyone active, so an item can always be recovered; a handover outside the item's groups gives the new
# holder need-to-know of the case, so only they may decide it. A manager's service is the services of the
# groups they belong to (``groups.service``; groups with no service set form one service together); the CS
# lead leads the whole partnership's response and so manages every service. Administrators and reviewers
# never hold casework.
ROLES_MANAGING_WORK = frozenset({"manager", "cs_lead"})
ROLES_MANAGING_EVERY_SERVICE = frozenset({"cs_lead"})
ROLES_WITHOUT_CASEWORK = frozenset({"admin", "reviewer"})


def manages_work(role: str, own_services: frozenset[str], item_services: frozenset[str]) -> bool:
    """True when someone in ``role``, in groups of ``own_services``, manages an item of ``item_services``."""
    if role in ROLES_MANAGING_EVERY_SERVICE:
        return True
    if not item_services:  # offered to no group that exists: no service owns it, so any manager may recover it
        return role in ROLES_MANAGING_WORK
    return role in ROLES_MANAGING_WORK and bool(own_services & item_services)


def may_hold_work(role: str) -> bool:
    """True when an active person in ``role`` may be handed a work item."""
    return bool(role) and role not in ROLES_WITHOUT_CASEWORK


# Merging two records opened for one child by mistake moves everything on one to the other and cannot be
# undone by anyone else's action, so it is a manager's decision (the CS lead's too); both see every case.
ROLES_MERGING_CASES = frozenset({"manager", "cs_lead"})


def can_merge_cases(role: str) -> bool:
    """True when someone in ``role`` may merge two records of one child or one context."""
    return role in ROLES_MERGING_CASES


# Patterns across referrals (docs/patterns.md): anyone working cases sees them, masked by need-to-know;
# acting on one (opening a context, adding to one, dismissing) is the front door's, a manager's or the
# CS lead's decision, the roles that see every case.
ROLES_SEEING_PATTERNS = frozenset({"front_door", "practitioner", "chair", "manager", "cs_lead"})
ROLES_ACTING_ON_PATTERNS = frozenset({"front_door", "manager", "cs_lead"})


def can_see_patterns(role: str | None) -> bool:
    """True when someone in ``role`` may see patterns, the map and the network (each masked by need-to-know)."""
    return role in ROLES_SEEING_PATTERNS


def can_act_on_patterns(role: str | None) -> bool:
    """True when someone in ``role`` may open a context from a pattern, add it to one, or dismiss it."""
    return role in ROLES_ACTING_ON_PATTERNS


# The ranking of contexts by children linked and weights: aggregate, for those who run the service.
ROLES_RANKING_CONTEXTS = frozenset({"manager", "cs_lead", "admin"})


def can_rank_contexts(role: str | None) -> bool:
    """True when someone in ``role`` may read the ranking of contexts (no child is named in it)."""
    return role in ROLES_RANKING_CONTEXTS


# The partnership's change programme (docs/domain.md) is about the system, not about children: the safeguarding
# partnership (its group), the CS lead, managers, administrators and critical friends (reviewers from outside
# the organisation, who never see a case) read it; the CS lead and administrators run it; critical friends ask
# the questions the CS lead answers.
ROLES_READING_PROGRAMME = frozenset({"cs_lead", "manager", "admin", "reviewer"})
PARTNERSHIP_GROUP = "partnership"
ROLES_RUNNING_PROGRAMME = frozenset({"cs_lead", "admin"})
ROLES_ASKING_QUESTIONS = frozenset({"reviewer"})


def can_read_programme(viewer: Viewer) -> bool:
    """True when ``viewer`` may read the programme pages (the roadmap, governance, champions, questions, trend)."""
    return bool(viewer.role) and (viewer.role in ROLES_READING_PROGRAMME or PARTNERSHIP_GROUP in viewer.groups)


def can_run_programme(viewer: Viewer) -> bool:
    """True when ``viewer`` may change the programme's records (members, champions, steps) and start its routes."""
    return viewer.role in ROLES_RUNNING_PROGRAMME


def can_ask_questions(viewer: Viewer) -> bool:
    """True when ``viewer`` is a critical friend, who may put questions to the CS lead."""
    return viewer.role in ROLES_ASKING_QUESTIONS


def can_start_process(viewer: Viewer, starter_groups: frozenset[str], starter_users: frozenset[str]) -> bool:
    """True when the process names ``viewer`` as a candidate starter, by user name or by one of their groups.

    A process that names no starters cannot be started this way (fail closed): the referral routes start
    only through the front door, which records the referral and its case first.
    """
    if not viewer.role:  # disabled or unknown
        return False
    return viewer.username in starter_users or bool(viewer.groups & starter_groups)

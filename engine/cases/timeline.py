"""A case's timeline in words: each entry names the task or the route and what happened to it.

"Police check completed" by police.elm, "Child referral at the front door started", with the referral
each route belongs to, so two referrals' steps are told apart rather than interleaved without a label.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.forms.words import date_words

TASK_WORDS = {"task_created": "{task} opened", "task_completed": "{task} completed", "task_claimed": "{task} claimed",
              "task_unclaimed": "{task} given back to its groups", "task_reassigned": "{task} reassigned",
              "task_draft_saved": "{task}: draft saved", "task_cancelled": "{task} closed by the route"}
ROUTE_WORDS = {"instance_started": "{route} started", "instance_completed": "{route} finished",
               "instance_failed": "{route} stopped with a problem", "instance_cancelled": "{route} cancelled",
               "instance_suspended": "{route} paused", "instance_resumed": "{route} resumed",
               "instance_migrated": "{route} moved to a new version", "timer_fired": "{route}: a time limit passed",
               "message_received": "{route}: a message arrived"}
CASE_WORDS = {"case_opened": "Case opened", "referral_recorded": "Referral recorded", "case_reopened": "Case reopened",
              "case_linked": "Child and context linked", "case_allocated": "Case allocated",
              "match_overridden": "New case opened although a possible match was found",
              "address_protected": "Address protected", "address_protection_removed": "Address protection removed",
              "break_glass_granted": "Case opened without involvement (break glass)"}


def event_words(event: Mapping[str, Any], tasks: Mapping[int, tuple[str, int]], routes: Mapping[int, str]) -> str:
    """What one audited event did, in words: the task's or the route's name and the verb."""
    action, subject = event["action"], event.get("subject")
    if subject and subject[0] == "work_item" and subject[1] in tasks:
        pattern = TASK_WORDS.get(action, "{task}: " + _plain(action))
        return pattern.format(task=tasks[subject[1]][0])
    if subject and subject[0] == "instance" and subject[1] in routes:
        pattern = ROUTE_WORDS.get(action, "{route}: " + _plain(action))
        return pattern.format(route=routes[subject[1]])
    return CASE_WORDS.get(action, _plain(action).capitalize())


def route_of(event: Mapping[str, Any], tasks: Mapping[int, tuple[str, int]], referral_of: Mapping[int, str]) -> str:
    """Which referral's route an event belongs to ("" for events on the case itself)."""
    subject = event.get("subject")
    if not subject:
        return ""
    instance = tasks[subject[1]][1] if subject[0] == "work_item" and subject[1] in tasks else (
        subject[1] if subject[0] == "instance" else None)
    return referral_of.get(instance, "") if instance is not None else ""


def referral_labels(referrals: list[Mapping[str, Any]]) -> dict[int, str]:
    """Each referral's instance as "Referral of 2 March 2026" (numbered when two share a day)."""
    labels: dict[int, str] = {}
    seen: dict[str, int] = {}
    for r in referrals:
        if not r.get("instance_id"):
            continue
        day = date_words(str(r["received_at"])[:10])
        seen[day] = seen.get(day, 0) + 1
        labels[r["instance_id"]] = f"Referral of {day}" + (f" ({seen[day]})" if seen[day] > 1 else "")
    return labels


def _plain(action: str) -> str:
    return action.replace("_", " ")

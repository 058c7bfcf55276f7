"""Who may move work and where (docs/decisions.md, D46): reassignment is no side door into a case, a typo
cannot strand an item, and a manager can always recover one. On SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.access.need_to_know import NoNeedToKnow
from engine.cases.instance_page import view_instance
from engine.errors import InvalidFormData, NotPermitted, TaskAlreadyCompleted
from engine.people.accounts import set_active
from engine.people.directory import set_group_service
from engine.runtime.instances import get_instance
from engine.store.models import AuditEvent, WorkItem
from engine.work.handover import hand_over, reassign_many
from engine.work.items import claim, complete_work_item, reassign, unclaim
from engine.work.team import team_workload
from tests.support.factories import deploy_demo, make_user, start_demo

SERVICES = {"front_door": "childrens", "mash_manager": "childrens", "police": "police", "police_managers": "police",
            "youth_service": "youth", "cs_lead": "childrens"}


@pytest.fixture
def team(svc):
    """Front door (fd, fd2), police (pc), a youth worker (yw), a children's manager (boss), a police manager
    (pboss), the CS lead (csl), an administrator and a reviewer; each group in its service."""
    deploy_demo(svc)
    make_user(svc, "fd", "front_door", role="front_door")
    make_user(svc, "fd2", "front_door")
    make_user(svc, "pc", "police")
    make_user(svc, "yw", "youth_service")
    make_user(svc, "boss", "mash_manager", role="manager")
    make_user(svc, "pboss", "police_managers", role="manager")
    make_user(svc, "csl", "cs_lead", role="cs_lead")
    make_user(svc, "root", "admins", role="admin")
    make_user(svc, "rev", "critical_friend", role="reviewer")
    for group, service in SERVICES.items():
        set_group_service(svc, group, service, "test")
    return svc


def triage(svc, n: int = 1) -> list[int]:
    """``n`` demo cases waiting at triage (offered to front_door); their item ids."""
    return [start_demo(svc, case_ref=f"C-{i}").open_work_items[0]["id"] for i in range(1, n + 1)]


def item(svc, item_id: int) -> WorkItem:
    with svc.db.read() as session:
        row = session.get(WorkItem, item_id)
        session.expunge(row)
        return row


def reassignments(svc) -> list[dict]:
    with svc.db.read() as session:
        return [e.details for e in session.scalars(select(AuditEvent).where(AuditEvent.action == "task_reassigned"))]


# --- reassignment is not a side door into a case ------------------------------------------------------

def test_a_group_member_who_does_not_hold_an_item_cannot_reassign_it(team):
    [item_id] = triage(team)
    with pytest.raises(NotPermitted):  # before: any member of a candidate group could hand it to anyone
        reassign(team, item_id, "fd2", "Passing this to the youth service", to_user="yw")
    assert item(team, item_id).assignee is None and reassignments(team) == []


def test_the_holder_cannot_hand_an_item_outside_its_groups_so_the_case_stays_closed_to_outsiders(team):
    [item_id] = triage(team)
    instance = get_instance(team, item(team, item_id).instance_id)
    claim(team, item_id, "fd")
    with pytest.raises(NotPermitted):
        reassign(team, item_id, "fd", "Youth worker to look at this", to_user="yw")
    with pytest.raises(NotPermitted):
        reassign(team, item_id, "fd", "Youth service to look at this", to_group="youth_service")
    assert item(team, item_id).assignee == "fd" and reassignments(team) == []
    with pytest.raises(NoNeedToKnow):  # the youth worker still has no way into the case
        view_instance(team, instance.id, "yw")


def test_the_holder_may_hand_an_item_on_inside_its_groups(team):
    [item_id] = triage(team)
    claim(team, item_id, "fd")
    assert reassign(team, item_id, "fd", "On leave from tomorrow", to_user="fd2")["assignee"] == "fd2"
    assert reassignments(team)[0]["by_manager"] is False


def test_a_manager_of_the_service_may_hand_an_item_to_anyone_and_it_is_audited(team):
    [item_id] = triage(team)
    moved = reassign(team, item_id, "boss", "Youth worker knows the family well", to_user="yw")
    assert moved["assignee"] == "yw"
    [audited] = reassignments(team)
    assert (audited["reason"], audited["to_user"], audited["by_manager"]) == (
        "Youth worker knows the family well", "yw", True)
    assert view_instance(team, item(team, item_id).instance_id, "yw")  # a manager's decision opens the case


def test_a_manager_of_another_service_may_not_but_the_cs_lead_may(team):
    [item_id] = triage(team)
    with pytest.raises(NotPermitted):
        reassign(team, item_id, "pboss", "Police should take this one", to_user="pc")
    assert reassign(team, item_id, "csl", "Police should take this one", to_user="pc")["assignee"] == "pc"


# --- only real, active targets ------------------------------------------------------------------------

@pytest.mark.parametrize(("target", "field"), [
    ({"to_user": "nobody.here"}, "to_user"),  # no such person
    ({"to_user": "gone"}, "to_user"),  # disabled
    ({"to_user": "root"}, "to_user"),  # an administrator holds no casework
    ({"to_user": "rev"}, "to_user"),  # nor does a reviewer
    ({"to_group": "ghosts"}, "to_group"),  # no such group
    ({"to_group": "empty_team"}, "to_group"),  # a group with nobody active in it
])
def test_an_unknown_or_disabled_target_is_refused_naming_the_field_and_nothing_changes(team, target, field):
    make_user(team, "gone", "front_door")
    set_active(team, "gone", False, "test")
    make_user(team, "left", "empty_team")
    set_active(team, "left", False, "test")
    [item_id] = triage(team)
    claim(team, item_id, "fd")
    for actor in ("fd", "boss"):  # the holder, and a manager who may send it anywhere
        with pytest.raises(InvalidFormData) as refused:
            reassign(team, item_id, actor, "Handing this over today", **target)
        assert set(refused.value.errors) == {field}
    assert item(team, item_id).assignee == "fd" and reassignments(team) == []


def test_a_reason_of_a_few_characters_is_refused(team):
    [item_id] = triage(team)
    with pytest.raises(InvalidFormData) as refused:
        reassign(team, item_id, "boss", "x", to_user="fd2")
    assert set(refused.value.errors) == {"reason"}


# --- recovering stranded work -----------------------------------------------------------------------------

def test_disabling_a_person_gives_their_work_back_to_its_groups(team):
    [item_id] = triage(team)
    claim(team, item_id, "fd2")
    set_active(team, "fd2", False, "root")
    assert item(team, item_id).assignee is None
    with team.db.read() as session:
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "task_handed_back")).all()
    assert (event.subject_id, event.details["holder"]) == (str(item_id), "fd2")
    assert claim(team, item_id, "fd")["assignee"] == "fd"  # the group can pick it up again


def test_the_stranded_task_story(team):
    """A typo is refused; the only member of a group leaves; the manager sees the stranded item and recovers it."""
    [item_id] = triage(team)
    claim(team, item_id, "fd")
    with pytest.raises(InvalidFormData):
        reassign(team, item_id, "fd", "Police to check the records", to_user="nobody.here")
    reassign(team, item_id, "boss", "Police to check the records", to_group="police")
    set_active(team, "pc", False, "root")  # the only police officer leaves
    with pytest.raises(NotPermitted):
        complete_work_item(team, item_id, "fd", {"rag": "green"})
    stranded = {s["id"]: s for s in team_workload(team, "csl").stranded}
    assert "nobody is active" in stranded[item_id]["reasons"][0]
    with pytest.raises(NotPermitted):  # police work is not the children's manager's to move any more
        reassign(team, item_id, "boss", "Front door to take it back", to_group="front_door")
    reassign(team, item_id, "csl", "Front door to take it back", to_group="front_door")
    assert claim(team, item_id, "boss")["assignee"] == "boss"  # a manager may claim any unclaimed item of theirs
    complete_work_item(team, item_id, "boss", {"rag": "green"})
    assert item(team, item_id).status == "completed"


def test_a_manager_may_take_an_item_back_from_its_holder_with_a_reason(team):
    [item_id] = triage(team)
    claim(team, item_id, "fd")
    with pytest.raises(NotPermitted):
        unclaim(team, item_id, "fd2", "Not yours to give back")
    with pytest.raises(InvalidFormData):
        unclaim(team, item_id, "boss")
    assert unclaim(team, item_id, "boss", "fd is off sick this week")["assignee"] is None


def test_several_items_move_at_once_or_not_at_all(team):
    first, second, third = triage(team, 3)
    complete_work_item(team, third, "fd", {"rag": "green"})
    with pytest.raises(TaskAlreadyCompleted):
        reassign_many(team, [first, second, third], "boss", "Covering the front door today", to_user="fd2")
    assert [item(team, i).assignee for i in (first, second)] == [None, None]
    moved = reassign_many(team, [first, second], "boss", "Covering the front door today", to_user="fd2")
    assert [m["assignee"] for m in moved] == ["fd2", "fd2"] and len(reassignments(team)) == 2


def test_a_manager_hands_over_everything_a_person_holds(team):
    first, second = triage(team, 2)
    for item_id in (first, second):
        claim(team, item_id, "fd")
    with pytest.raises(NotPermitted):
        hand_over(team, "fd", "fd2", "Annual leave for two weeks", to_user="fd2")
    moved = hand_over(team, "fd", "boss", "Annual leave for two weeks", to_user="fd2")
    assert sorted(m["id"] for m in moved) == [first, second]
    assert [item(team, i).assignee for i in (first, second)] == ["fd2", "fd2"]
    hand_over(team, "fd2", "boss", "Back to the front door queue")  # neither: back to each item's groups
    assert [item(team, i).assignee for i in (first, second)] == [None, None]

"""Context weighting: the child's assessment weights its contexts; the case ranks them; insight ranks contexts."""

from __future__ import annotations

import pytest

from engine.cases.intake import log_context_referral, refer_child
from engine.errors import NotPermitted
from engine.patterns.weights import case_weights, context_ranking
from engine.people.directory import add_user
from tests.support.case_data import child_referral, context_referral, deploy_routes
from tests.support.walker import ensure_group_users, walk

FRONT_DOOR = "user_front_door"


@pytest.fixture
def routes(lite):
    deploy_routes(lite)
    ensure_group_users(lite)
    add_user(lite, "boss", ["mash_manager"], "test", role="manager")
    add_user(lite, "sw", ["mash_social_worker"], "test")
    return lite


def test_the_childs_assessment_ranks_its_contexts_and_insight_ranks_contexts(routes):
    park = log_context_referral(routes, context_referral(), FRONT_DOOR).case_ref
    school = log_context_referral(routes, context_referral(
        context_type="school", context_name="Northgate Academy", school_urn="100002",
        location={"address": "", "postcode": "ZZ8 8ZZ", "uprn": ""}), FRONT_DOOR).case_ref
    logged = refer_child(routes, child_referral(), FRONT_DOOR)
    weighting = [{"context": f"The park, {park}", "weight": 5, "rationale": "Groomed there after school"},
                 {"context": "northgate academy", "weight": 2, "rationale": "Peers from school"},
                 {"context": "Somewhere unknown", "weight": 4, "rationale": "Not a known context"}]
    answers = {"task_screening": {"screening_rag": "red"},
               "task_threshold_decision": {"threshold_outcome": "cfa", "level_of_need": 3},
               "task_cfa": {"assessment_outcome": "nfa", "context_weighting": weighting}}
    walk(routes, logged.instance_id, answers)
    ranked = case_weights(routes, logged.case_ref, FRONT_DOOR)
    assert [(r.ref, r.weight, r.rationale) for r in ranked][:2] == [
        (park, 5, "Groomed there after school"), (school, 2, "Peers from school")]
    assert all(r.weight is None for r in ranked[2:])  # linked by the route but not weighted: listed after
    assert case_weights(routes, logged.case_ref, "sw") == []  # no need to know the child
    top = context_ranking(routes, "boss")
    assert [(r.ref, r.weights, r.score) for r in top[:2]] == [(park, 1, 5), (school, 1, 2)]
    with pytest.raises(NotPermitted):
        context_ranking(routes, "sw")

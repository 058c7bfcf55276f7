"""The case records the route operations use, as the ``CaseRecords`` interface they are handed.

The composition root gives ``RECORDS`` to every ``Services``; an operation reaches it as ``ctx.cases``,
so the operations (below the use cases) never import this package.
"""

from __future__ import annotations

from engine.cases import matching, plans, records, route_lifecycle
from engine.runtime.operations import CaseRecords


class _RouteRecords:
    harm_codes = records.HARM_CODES
    harm_words = records.HARM_WORDS
    context_facts = staticmethod(records.context_facts)
    child_facts = staticmethod(records.child_facts)
    serialise_matching = staticmethod(records.serialise_matching)
    context_candidates = staticmethod(matching.context_candidates)
    child_candidates = staticmethod(matching.child_candidates)
    case_by_ref = staticmethod(records.case_by_ref)
    create_context_case = staticmethod(records.create_context_case)
    create_child_case = staticmethod(records.create_child_case)
    add_referral = staticmethod(records.add_referral)
    add_link = staticmethod(records.add_link)
    referrer_of = staticmethod(records.referrer_of)
    record_notice = staticmethod(records.record_notice)
    apply_lifecycle = staticmethod(route_lifecycle.apply_lifecycle)
    record_plan = staticmethod(plans.record_plan)
    record_plan_update = staticmethod(plans.record_plan_update)


RECORDS: CaseRecords = _RouteRecords()

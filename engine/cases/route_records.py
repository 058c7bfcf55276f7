"""The case records the route operations use, as the ``CaseRecords`` interface they are handed.

The composition root gives ``RECORDS`` to every ``Services``; an operation reaches it as ``ctx.cases``,
so the operations (below the use cases) never import this package.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.cases import matching, plans, records, route_lifecycle
from engine.config import Settings
from engine.governance import sar_route
from engine.patterns.finder import index_for_sweep
from engine.patterns.rules import load_rules
from engine.runtime.operations import CaseRecords
from engine.store.cases import Case, Referral


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

    def __init__(self, patterns_path: Path | None = None) -> None:
        self.patterns_path = patterns_path or Settings().patterns_path

    def add_referral(self, session: Session, case: Case, data: Mapping[str, Any], actor: str, now: datetime, *,
                     is_repeat: bool = False, source: str = "front_door") -> Referral:
        """Record the referral and index it for patterns; the scheduler's sweep checks it (docs/patterns.md)."""
        referral = records.add_referral(session, case, data, actor, now, is_repeat=is_repeat, source=source)
        index_for_sweep(session, referral, case, data, load_rules(self.patterns_path))
        return referral

    add_link = staticmethod(records.add_link)
    referrer_of = staticmethod(records.referrer_of)
    record_notice = staticmethod(records.record_notice)
    apply_lifecycle = staticmethod(route_lifecycle.apply_lifecycle)
    record_plan = staticmethod(plans.record_plan)
    record_plan_update = staticmethod(plans.record_plan_update)
    subject_access_items = staticmethod(sar_route.review_items)
    subject_access_items_text = staticmethod(sar_route.items_text)
    check_subject_access_withheld = staticmethod(sar_route.check_withheld)
    prepare_subject_access = staticmethod(sar_route.prepare_reply)
    record_subject_access_sent = staticmethod(sar_route.record_sent)


RECORDS: CaseRecords = _RouteRecords()


def records_for(settings: Settings) -> CaseRecords:
    """The case records with this installation's pattern rules."""
    return _RouteRecords(settings.patterns_path)

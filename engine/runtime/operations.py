"""Named service operations: the only code a BPMN service task can run (docs/decisions: no Python from BPMN).

A BPMN service task says ``camunda:type="external" camunda:topic="match_child"``; the topic names a
function registered here. It receives an ``OperationContext`` and a copy of the process data and
returns a dict of data updates. It runs inside the step's transaction, so whatever it writes commits
or rolls back with the workflow state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

Data = Mapping[str, Any]


class CaseRecords(Protocol):
    """The case records a route operation may write, handed to it by the composition root.

    Operations sit below the use cases: they get what they need of cases through this interface
    (implemented in ``engine/cases/route_records.py``) instead of importing the case use cases.
    """

    harm_codes: Mapping[str, str]  # harm type word -> EFH code
    harm_words: Mapping[str, str]  # EFH code -> harm type word

    def context_facts(self, data: Data) -> Any: ...
    def child_facts(self, data: Data) -> Any: ...
    def serialise_matching(self, session: Session) -> None: ...
    def context_candidates(self, session: Session, facts: Any, radius_m: float, now: datetime) -> list[Any]: ...
    def child_candidates(self, session: Session, facts: Any) -> list[Any]: ...
    def case_by_ref(self, session: Session, ref: str, subject_type: str | None = None) -> Any: ...
    def create_context_case(self, session: Session, facts: Any, actor: str, now: datetime) -> Any: ...
    def create_child_case(self, session: Session, facts: Any, actor: str, now: datetime) -> Any: ...
    def add_referral(self, session: Session, case: Any, data: Data, actor: str, now: datetime, *,
                     is_repeat: bool = False, source: str = "front_door") -> Any: ...
    def add_link(self, session: Session, child: Any, context: Any, role: str, source: str, actor: str,
                 now: datetime, *, reason: str = "", started_on: Any = None) -> Any: ...
    def referrer_of(self, data: Data) -> dict[str, str]: ...
    def record_notice(self, session: Session, case: Any, kind: str, recipient: str, body: Data, actor: str,
                      now: datetime, instance_id: int | None = None) -> Any: ...
    def apply_lifecycle(self, session: Session, svc: Any, instance_id: int, case_ref: str | None, actor: str,
                        events: Any, completed: bool) -> None: ...
    def record_plan(self, session: Session, case: Any, actions: Any, instance_id: int | None, actor: str,
                    now: datetime) -> list[dict[str, Any]]: ...
    def record_plan_update(self, session: Session, action_id: int, status: str, progress: str, actor: str,
                           now: datetime) -> bool: ...
    def subject_access_items(self, session: Session, ref: str) -> list[dict[str, str]]: ...
    def subject_access_items_text(self, items: Any) -> str: ...
    def check_subject_access_withheld(self, items: Any, withheld: Any) -> list[dict[str, str]]: ...
    def prepare_subject_access(self, session: Session, svc: Any, ref: str, instance_id: int | None, withheld: Any,
                               redacted_by: str, approved_by: str, now: datetime) -> str: ...
    def record_subject_access_sent(self, session: Session, instance_id: int | None, how: str, sent_on: str,
                                   actor: str, now: datetime) -> None: ...


@dataclass(frozen=True)
class OperationContext:
    """What an operation may use: the open session, the clock, who acted, which instance and element."""

    session: Session
    now: datetime
    actor: str
    instance_id: int | None
    case_ref: str | None
    element_id: str
    services: Any  # engine.runtime.services.Services (which imports this module)
    properties: Mapping[str, str] = field(default_factory=dict)  # the service task's camunda:properties

    @property
    def cases(self) -> CaseRecords:
        """The case records this installation's operations write (wired by the composition root)."""
        return self.services.case_records


Operation = Callable[[OperationContext, Mapping[str, Any]], Mapping[str, Any]]


class OperationRegistry:
    """Topic name -> operation."""

    def __init__(self) -> None:
        self._ops: dict[str, Operation] = {}

    def register(self, topic: str) -> Callable[[Operation], Operation]:
        """Decorator: register ``fn`` under ``topic`` (a topic is registered once)."""

        def wrap(fn: Operation) -> Operation:
            if topic in self._ops:
                raise ValueError(f"topic '{topic}' is already registered")
            self._ops[topic] = fn
            return fn

        return wrap

    def topics(self) -> frozenset[str]:
        """Every registered topic name."""
        return frozenset(self._ops)

    def get(self, topic: str) -> Operation:
        """The operation for a topic; KeyError if unknown (validation stops that at deploy)."""
        return self._ops[topic]


OPERATIONS = OperationRegistry()

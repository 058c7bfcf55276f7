"""Named service operations: the only code a BPMN service task can run (DESIGN decision 3).

A BPMN service task says ``camunda:type="external" camunda:topic="match_child"``; the topic names a
function registered here. It receives an ``OperationContext`` and a copy of the process data and
returns a dict of data updates. It runs inside the step's transaction, so whatever it writes commits
or rolls back with the workflow state.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class OperationContext:
    """What an operation may use: the open session, the clock, who acted, which instance and element."""

    session: Session
    now: datetime
    actor: str
    instance_id: int | None
    case_ref: str | None
    element_id: str
    services: Any  # engine.services.bootstrap.Services; typed loosely to keep the import one-way


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

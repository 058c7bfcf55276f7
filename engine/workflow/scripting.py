"""The safe script engine SpiffWorkflow uses: expressions only, an injected clock, topics for services."""

from __future__ import annotations

from collections import ChainMap
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimeDateEventDefinition,
    TimerEventDefinition,
)

from engine.errors import ExpressionError, InvalidFormData, NotPermitted
from engine.workflow.expressions import compile_expression, is_iso8601_literal, strip_expression

ServiceCall = Callable[[str, dict[str, Any], str, dict[str, str]], dict[str, Any]]


class SafeScriptEngine(PythonScriptEngine):
    """Evaluates expressions with the safe evaluator; refuses every script (docs/decisions.md, D3)."""

    def __init__(self, clock: Callable[[], datetime], functions: Mapping[str, Callable],
                 services: ServiceCall | None = None) -> None:
        super().__init__()
        self.now = clock
        self.functions = dict(functions)
        self.services = services

    def validate(self, expression: str) -> None:
        """Spiff's DMN engine probes syntax through this; it expects SyntaxError."""
        text = strip_expression(expression or "")
        try:
            compile_expression(text)
        except ExpressionError as exc:
            # docs/decisions.md, S4: Spiff's error formatter needs lineno on SyntaxError
            raise SyntaxError(exc.message, ("<expression>", 1, 0, text)) from None

    def evaluate(self, task, expression, external_context=None):
        """Evaluate a condition, DMN cell, timer or loop expression against the task's data."""
        text = strip_expression(expression or "")
        if is_iso8601_literal(text):
            return text  # Camunda Modeler writes bare timer literals such as PT24H or R3/P6M
        names = ChainMap(dict(external_context or {}), task.data)
        try:
            value = compile_expression(text).evaluate(names, self.functions)
        except ExpressionError as exc:
            raise WorkflowTaskException(exc.message, task=task) from None
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).isoformat()
        return value

    def execute(self, task, script, external_context=None):
        """Scripts never run: deploy-time validation rejects them, and this refuses any that slip by."""
        raise WorkflowTaskException("Scripts are not allowed in frontdoor processes", task=task)

    def call_service(self, task, **kwargs):
        """Run the registered operation for a service task's topic; returns its data updates."""
        topic = kwargs["topic"]
        if self.services is None:
            raise WorkflowTaskException(f"No service operations are available for topic '{topic}'", task=task)
        try:
            return self.services(topic, dict(task.data), task.task_spec.name, kwargs.get("properties") or {})
        except (WorkflowTaskException, InvalidFormData, NotPermitted):
            raise  # a refusal of the person's answers reaches them as it is (the step still rolls back)
        except Exception as exc:  # an operation failed: the step rolls back and the reason is recorded
            raise WorkflowTaskException(f"Service '{topic}' failed: {exc}", task=task, exception=exc) from exc


def _now(task) -> datetime:
    return task.workflow.script_engine.now()


class ClockedTimeDate(TimeDateEventDefinition):
    """A timeDate timer that asks the injected clock, not the wall clock (docs/decisions.md, D8)."""

    def has_fired(self, my_task):
        """True once the evaluated date has passed on the injected clock."""
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            event_value = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.parse_time_or_duration(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedDuration(DurationTimerEventDefinition):
    """A timeDuration timer counted from the injected clock."""

    def has_fired(self, my_task):
        """True once start + duration has passed on the injected clock."""
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            parsed = TimerEventDefinition.parse_iso_duration(expression)
            start = _now(my_task)
            event_value = (start + TimerEventDefinition.get_timedelta_from_start(parsed, start)).isoformat()
            my_task._set_internal_data(event_value=event_value)
        if TimerEventDefinition.get_datetime(event_value) <= _now(my_task):
            my_task._set_internal_data(event_fired=True)
        return my_task._get_internal_data("event_fired", False)


class ClockedCycle(CycleTimerEventDefinition):
    """A repeating timer (R3/P6M) counted from the injected clock."""

    def cycle_complete(self, my_task):
        """True when the next occurrence has passed; counts down the remaining cycles."""
        event_value = my_task._get_internal_data("event_value")
        if event_value is None:
            expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
            cycles, start, duration = _parse_cycle(expression, _now(my_task))
            event_value = {"cycles": cycles, "next": start.isoformat(), "duration": duration.total_seconds()}
        ready = False
        if event_value["cycles"] != 0:
            next_event = datetime.fromisoformat(event_value["next"])
            if next_event <= _now(my_task):
                event_value["next"] = (next_event + timedelta(seconds=event_value["duration"])).isoformat()
                event_value["cycles"] -= 1
                ready = True
        else:
            my_task.internal_data.pop("event_value", None)
            my_task.internal_data["event_fired"] = True
        my_task._set_internal_data(event_value=event_value)
        return ready


def _parse_cycle(expression: str, now: datetime) -> tuple[int, datetime, timedelta]:
    """R<n>/<duration> or R<n>/<start>/<duration>; a missing start means 'one period from now'."""
    parts = expression.split("/")
    count = parts[0][1:]
    cycles = int(count) if count else -1  # R/ means repeat without end
    if len(parts) == 2:
        parsed = TimerEventDefinition.parse_iso_duration(parts[1])
        duration = TimerEventDefinition.get_timedelta_from_start(parsed, now)
        return cycles, now + duration, duration
    return TimerEventDefinition.parse_iso_recurring_interval(expression)


TIMER_CLASSES = {
    TimeDateEventDefinition: ClockedTimeDate,
    DurationTimerEventDefinition: ClockedDuration,
    CycleTimerEventDefinition: ClockedCycle,
}

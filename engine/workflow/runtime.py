"""Run one process instance: start, restore, complete tasks, fire timers, correlate messages, save.

This is the only module that drives a SpiffWorkflow ``BpmnWorkflow``. What leaves it is plain data
(``HumanTask``, ``PendingTimer``, the state JSON), never Spiff objects (docs/decisions.md, D17).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.serializer.default.workflow import BpmnWorkflowConverter, WorkflowConverter
from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.exceptions import TaskNotFoundException, WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.errors import Conflict, NotFound, WorkflowFailed
from engine.workflow.lifecycle import LifecycleEvent, lifecycle_events
from engine.workflow.scripting import TIMER_CLASSES, SafeScriptEngine, ServiceCall
from engine.workflow.specs import MI_CHILD_SUFFIX, ParsedBundle

_MAX_DEPTH = 1000  # as SpiffWorkflow's TaskIterator


def ready_tasks(wf: Any, manual: bool | None = None) -> list[Any]:
    """``wf.get_tasks(state=TaskState.READY, manual=manual)``: the same tasks in the same order, ~4x faster.

    SpiffWorkflow's iterator runs a general filter on every task it passes; an engine step asks this
    question five to ten times, and it was a third of the engine's time on a small instance. This is the
    same pre-order walk: a task's subprocess (if any) before its children, no descent below a predicted
    (MAYBE/LIKELY) task, at most 1,000 levels (tests/workflow/test_ready_tasks.py checks it against
    Spiff's answer at every step of every shipped process).
    """
    subprocesses = wf.top_workflow.subprocesses
    found = []
    stack = [(wf.task_tree, 0)]
    while stack:
        task, depth = stack.pop()
        state = task._state
        if state == TaskState.READY and (manual is None or task.task_spec.manual == manual):
            found.append(task)
        sub = subprocesses.get(task.id)
        if depth >= _MAX_DEPTH or (sub is None and (not task._children or state < TaskState.FUTURE)):
            continue
        tasks = task.workflow.tasks
        below = [tasks.get(child) for child in reversed(task._children)]
        if sub is not None:
            below.append(sub.task_tree)
        stack.extend((t, depth + 1) for t in below)
    return found


class FrontdoorWorkflow(BpmnWorkflow):
    """BpmnWorkflow with one fix for SpiffWorkflow 3.2.0's engine loop.

    ``_do_engine_steps`` lists the active subprocesses once and then walks them; when an interrupting
    boundary timer that is already due fires inside that walk (a conference recorded after its first
    review date), it cancels a subprocess that is still on the list, and Spiff then raises
    TaskNotFoundException looking up its removed parent task. Skip subprocesses that are gone.
    """

    def _do_engine_steps(self, will_complete_task=None, did_complete_task=None):
        def update_workflow(wf):
            count = 0
            for task in ready_tasks(wf):
                if not task.task_spec.manual:
                    task.run()
                    count += 1
            return count

        active = self.get_active_subprocesses()
        for subprocess in sorted(active, key=lambda v: v.depth, reverse=True):
            if subprocess.parent_task_id is not None and subprocess.parent_task_id not in self.subprocesses:
                continue  # cancelled by an event earlier in this pass
            count = None
            while count is None or count > 0:
                count = update_workflow(subprocess)
            if subprocess.parent_task_id is not None:
                try:
                    task = self.get_task_from_id(subprocess.parent_task_id)
                except TaskNotFoundException:
                    continue
                task.task_spec._update(task)
        count = update_workflow(self)
        return count > 0 or len(self.get_active_subprocesses()) > len(active)


class _StateOnlyConverter(BpmnWorkflowConverter):
    """Writes the task tree and data but not the spec: specs are stored once per version (notes 1.10)."""

    def to_dict(self, workflow):
        dct = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct


_SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(
    {**CAMUNDA_CONFIG, BpmnWorkflow: _StateOnlyConverter, FrontdoorWorkflow: _StateOnlyConverter}))
SERIALIZER_VERSION = _SERIALIZER.VERSION

# docs/decisions.md, S2: past ~333 gateway laps Spiff silently stops; validation forbids flow cycles and this
# cap catches anything that still grows an instance without bound.
MAX_TASKS_PER_INSTANCE = 5000
TIMER_TYPE_NAMES = frozenset(c.__name__ for pair in TIMER_CLASSES.items() for c in pair)


@dataclass(frozen=True)
class HumanTask:
    """An open (READY) user task, as the store needs it to write a work item."""

    task_id: str
    element_id: str
    name: str
    process_id: str
    lane: str | None
    attrs: Mapping[str, Any]
    documentation: str
    data: Mapping[str, Any]


@dataclass(frozen=True)
class StepResult:
    """What changed in one step: the new status and what is open or waiting now."""

    status: str
    open_tasks: tuple[HumanTask, ...]
    next_timer_at: datetime | None
    waiting_for: tuple[str, ...]
    data: Mapping[str, Any]
    lifecycle: tuple[LifecycleEvent, ...] = ()  # declared clocks and stages reached or completed, in order


class LiveInstance:
    """A process instance loaded in memory for one command; not shared between threads."""

    def __init__(self, bundle: ParsedBundle, process_id: str, workflow: BpmnWorkflow) -> None:
        self.bundle = bundle
        self.process_id = process_id
        self._wf = workflow
        # user tasks open when loaded: the store's work-item projection holds exactly these
        self.open_at_load = frozenset(str(t.id) for t in ready_tasks(workflow, manual=True))
        # task states when loaded, to tell which declared elements a step reaches (only where any declare)
        self._states_at_load = ({t.id: t.state for t in self._all_tasks()} if bundle.has_lifecycle else None)

    # --- construction ---------------------------------------------------------------------------
    @classmethod
    def start(cls, bundle: ParsedBundle, process_id: str, data: Mapping[str, Any],
              clock: Callable[[], datetime], functions: Mapping[str, Callable],
              services: ServiceCall | None) -> LiveInstance:
        """Create an instance with initial data; call ``advance`` to run it to its first wait."""
        if process_id not in bundle.specs:
            raise NotFound(f"Process '{process_id}' is not in this version")
        engine = SafeScriptEngine(clock, functions, services)
        wf = FrontdoorWorkflow(bundle.spec(process_id), bundle.subprocess_specs(process_id),
                               script_engine=engine)
        start = wf.get_tasks(state=TaskState.READY)[0]
        start.data.update(json.loads(json.dumps(dict(data), default=str)))
        return cls(bundle, process_id, wf)

    @classmethod
    def restore(cls, bundle: ParsedBundle, process_id: str, state: str, clock: Callable[[], datetime],
                functions: Mapping[str, Callable], services: ServiceCall | None) -> LiveInstance:
        """Rebuild an instance from its state-only JSON and the version's cached specs (notes 1.10)."""
        dct = json.loads(state, cls=_SERIALIZER.json_decoder_cls)
        if dct.pop("serializer_version", None) != SERIALIZER_VERSION:
            raise WorkflowFailed(f"Instance state was written by serializer {dct.get('serializer_version')}; "
                                 "migrate it before use", element_id="")
        dct["spec"] = bundle.spec(process_id)
        dct["subprocess_specs"] = bundle.subprocess_specs(process_id)
        wf = _SERIALIZER.from_dict(dct)
        wf.script_engine = SafeScriptEngine(clock, functions, services)
        return cls(bundle, process_id, wf)

    def state(self) -> str:
        """State-only JSON: the spec lives once per version, never in the row."""
        registry = _SERIALIZER.registry
        registry._encoder_mode = True
        try:
            dct = _SERIALIZER.to_dict(self._wf)
            dct["serializer_version"] = SERIALIZER_VERSION
            return json.dumps(dct, cls=_SERIALIZER._encoder_cls, separators=(",", ":"))
        finally:
            registry._encoder_mode = False

    # --- commands ---------------------------------------------------------------------------------
    def advance(self) -> StepResult:
        """Run engine steps (gateways, services, DMN, due timers) until the instance waits."""
        self._guarded(self._run_engine)
        return self._result()

    def complete(self, task_id: str, data: Mapping[str, Any]) -> StepResult:
        """Complete a READY user task with already-validated data, then advance."""
        task = self._ready_task(task_id)

        def run() -> None:
            task.data.update(json.loads(json.dumps(dict(data), default=str)))
            task.run()
            self._run_engine()

        self._guarded(run, task.task_spec.name)
        return self._result()

    def fire_due_timers(self) -> StepResult:
        """Fire every timer whose time has come on the injected clock, then advance."""
        return self.advance()

    def correlate_message(self, name: str, payload: Mapping[str, Any]) -> StepResult:
        """Deliver a message into this waiting instance; raises NotFound if nothing waits for it."""
        # Camunda message events carry {payload, result_var}; the payload lands under the message name.
        event = BpmnEvent(MessageEventDefinition(name), payload={"payload": dict(payload), "result_var": name})
        try:
            self._wf.send_event(event)
        except WorkflowException as exc:
            raise NotFound(f"The instance is not waiting for message '{name}'") from exc
        self._guarded(self._run_engine)
        return self._result()

    def cancel(self) -> None:
        """Terminate the instance: every open task is cancelled."""
        self._wf.cancel()

    # --- reading ----------------------------------------------------------------------------------
    def open_tasks(self) -> tuple[HumanTask, ...]:
        """Every READY user task, with its Camunda attributes."""
        out = []
        for task in ready_tasks(self._wf, manual=True):
            spec = task.task_spec
            ours = (spec.extensions or {}).get("frontdoor", {})
            out.append(HumanTask(
                task_id=str(task.id), element_id=spec.name.removesuffix(MI_CHILD_SUFFIX),
                name=spec.bpmn_name or spec.name.removesuffix(MI_CHILD_SUFFIX),
                process_id=task.workflow.spec.name, lane=spec.lane, attrs=ours,
                documentation=spec.documentation or "", data=task.data))
        return tuple(out)

    def waiting_messages(self) -> tuple[str, ...]:
        """Names of messages this instance is waiting for."""
        return tuple(e.name for e in self._wf.waiting_events() if e.event_type == "MessageEventDefinition")

    def next_timer_at(self) -> datetime | None:
        """The earliest armed timer's due time (UTC), for the timers table."""
        times = [datetime.fromisoformat(e.value) for e in self._wf.waiting_events()
                 if e.event_type in TIMER_TYPE_NAMES and isinstance(e.value, str)]
        return min(times) if times else None

    def is_completed(self) -> bool:
        """True when the process reached its end."""
        return self._wf.is_completed()

    @property
    def data(self) -> Mapping[str, Any]:
        """The latest process data: from the last completed task, or the workflow's when finished."""
        if self._wf.is_completed():
            return self._wf.data
        last = self._wf.last_task
        return last.data if last is not None else {}

    def task_count(self) -> int:
        """Size of the task tree (step cost grows with it: docs/decisions.md, S5)."""
        return len(self._wf.tasks)

    # --- internals --------------------------------------------------------------------------------
    def _run_engine(self) -> None:
        self._wf.refresh_timers()
        self._wf.do_engine_steps()
        if len(self._wf.tasks) > MAX_TASKS_PER_INSTANCE:
            raise WorkflowFailed(f"The instance has more than {MAX_TASKS_PER_INSTANCE} tasks; "
                                 "a loop is growing without bound", element_id="")

    def _guarded(self, action: Callable[[], None], element_id: str = "") -> None:
        try:
            action()
        except WorkflowFailed:
            raise
        except WorkflowException as exc:
            task = getattr(exc, "task", None)
            where = task.task_spec.name if task is not None else element_id
            raise WorkflowFailed(_reason(exc), element_id=where) from exc

    def _ready_task(self, task_id: str):
        try:
            task = self._wf.get_task_from_id(UUID(task_id))
        except (ValueError, KeyError, TypeError):
            task = None
        if task is None:
            raise NotFound(f"Task {task_id} is not part of this instance")
        if task.state != TaskState.READY or not task.task_spec.manual:  # docs/decisions.md, S1
            raise Conflict(f"Task {task_id} is not open (it is {TaskState.get_name(task.state)})")
        return task

    def _all_tasks(self) -> list[Any]:
        """Every task of the instance, in called and embedded subprocesses too."""
        found = list(self._wf.tasks.values())
        for sub in self._wf.subprocesses.values():
            found.extend(sub.tasks.values())
        return found

    def _result(self) -> StepResult:
        status = "completed" if self._wf.is_completed() else "waiting"
        events: tuple[LifecycleEvent, ...] = ()
        if self._states_at_load is not None:
            events = tuple(lifecycle_events(self._all_tasks(), self._states_at_load))
            self._states_at_load = {t.id: t.state for t in self._all_tasks()}
        return StepResult(status, self.open_tasks(), self.next_timer_at(), self.waiting_messages(),
                          dict(self.data), events)


def _reason(exc: WorkflowException) -> str:
    text = str(exc).strip() or exc.__class__.__name__
    notes = [n for n in getattr(exc, "__notes__", []) if n]
    return "; ".join([text, *notes])[:500]

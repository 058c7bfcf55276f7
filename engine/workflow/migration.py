"""Move a running instance onto another version of its process (notes 1.11), or explain why not.

SpiffWorkflow aligns the old and new task specs by BPMN id (``diff_workflow``) and resets the
instance's waiting branches onto the new specs (``migrate_workflow``). Two things it does not do for
us: judge whether a move is safe, and keep timers: a reset timer restarts from the moment of migration,
so a statutory deadline would silently slip. Here a move is refused when the instance already passed a
step whose routing changed, or sits on a step the new version removed; armed timers keep the due time
they had. Like ``runtime``, this module reaches into the live workflow and hands back plain data.
"""

from __future__ import annotations

from dataclasses import dataclass

from SpiffWorkflow.bpmn.serializer.workflow import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.specs.defaults import NoneTask
from SpiffWorkflow.bpmn.util.diff import diff_workflow, migrate_workflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG
from SpiffWorkflow.camunda.specs.business_rule_task import BusinessRuleTask
from SpiffWorkflow.util.task import TaskState

from engine.errors import Conflict, FrontdoorError
from engine.workflow.runtime import LiveInstance
from engine.workflow.scripting import TIMER_CLASSES
from engine.workflow.specs import MI_CHILD_SUFFIX, ExplainedBusinessRuleTask, ParsedBundle, TopicServiceTask

# Our task and timer classes are swapped in after parsing (specs._annotate), so the diff's comparison
# needs converters for them; the runtime serializer never writes specs and so never needed them.
_DIFF_CONFIG = {**CAMUNDA_CONFIG, TopicServiceTask: CAMUNDA_CONFIG[NoneTask],
                ExplainedBusinessRuleTask: CAMUNDA_CONFIG[BusinessRuleTask],
                **{ours: CAMUNDA_CONFIG[theirs] for theirs, ours in TIMER_CLASSES.items()}}
_REGISTRY = BpmnWorkflowSerializer.configure(_DIFF_CONFIG)

# Changes to these on a step already passed cannot change what the instance did or will do.
_HARMLESS = frozenset({"documentation", "bpmn_name", "description", "extensions", "lane", "lookahead"})
_IN_WORDS = {"outputs": "the step after it", "inputs": "the step before it", "typename": "its kind of step",
             "cond_task_specs": "its conditions", "default_task_spec": "its default route",
             "event_definition": "its event", "spec": "the process it calls"}
_PASSED = TaskState.COMPLETED | TaskState.STARTED
_WAITING = TaskState.READY | TaskState.WAITING


@dataclass(frozen=True)
class MigrationCheck:
    """Whether an instance can move to a version, why not if not, and what the move would keep."""

    can_move: bool
    reasons: tuple[str, ...]
    waiting_at: tuple[str, ...]
    timers_kept: tuple[str, ...]


def check_migration(live: LiveInstance, target: ParsedBundle) -> MigrationCheck:
    """Judge a move without changing the instance: rule checks, then a trial move on a copy."""
    wf = live._wf  # noqa: SLF001 - this module and runtime are the two that drive Spiff
    reasons = list(_reasons(wf, target, live.process_id))
    if not reasons:
        try:
            _trial(live, target)
        except FrontdoorError as exc:
            reasons.append(f"A trial move failed: {exc.message}")
        except Exception as exc:  # noqa: BLE001 - any Spiff failure means "do not move"
            reasons.append(f"A trial move failed: {exc.__class__.__name__}: {exc}")
    waiting = tuple(sorted({_label(t) for t in wf.get_tasks(state=_WAITING) if _is_step(t)}))
    timers = tuple(sorted(_label(t) for t in _armed_timers(wf)))
    return MigrationCheck(not reasons, tuple(reasons), waiting, timers)


def migrate(live: LiveInstance, target: ParsedBundle) -> LiveInstance:
    """Move the instance onto the target's specs, keeping armed timers' due times; raises Conflict.

    The returned instance remembers the user tasks open before the move, so the work-item projection
    is synced against what the store already holds.
    """
    wf = live._wf  # noqa: SLF001
    reasons = list(_reasons(wf, target, live.process_id))
    if reasons:
        raise Conflict("This instance cannot move to that version: " + "; ".join(reasons))
    due = {t.id: dict(t.internal_data) for t in _armed_timers(wf)}
    new_spec = target.spec(live.process_id)
    new_deps = target.subprocess_specs(live.process_id)
    diff, sp_diffs = diff_workflow(_REGISTRY, wf, new_spec, new_deps)
    migrate_workflow(diff, wf, new_spec)
    for sp_id, sp in list(wf.subprocesses.items()):
        if sp_diffs.get(sp_id) is not None:
            migrate_workflow(sp_diffs[sp_id], sp, new_deps[sp.spec.name])
    wf.subprocess_specs = new_deps
    for task_id, internal in due.items():
        task = wf.tasks.get(task_id) or _in_subprocess(wf, task_id)
        if task is not None:  # notes 1.11: a reset timer would restart from now; keep its due time
            task.internal_data.update(internal)
    moved = LiveInstance(target, live.process_id, wf)
    moved.open_at_load = live.open_at_load
    return moved


def _reasons(wf, target: ParsedBundle, process_id: str) -> list[str]:
    if process_id not in target.specs:
        return [f"The new version has no process '{process_id}'"]
    diff, sp_diffs = diff_workflow(_REGISTRY, wf, target.spec(process_id), target.subprocess_specs(process_id))
    reasons = _diff_reasons(diff)
    for sp_id, sp in wf.subprocesses.items():
        sp_diff = sp_diffs.get(sp_id)
        if sp_diff is None:
            reasons.append(f"It is inside '{sp.spec.name}', which the new version no longer has")
        else:
            reasons += _diff_reasons(sp_diff)
    return sorted(set(reasons))


def _diff_reasons(diff) -> list[str]:
    reasons = []
    for task in diff.removed:
        if task.state & _PASSED and _is_step(task):
            reasons.append(f"It already passed '{_label(task)}', which the new version removes")
        elif task.state & _WAITING and _is_step(task):
            reasons.append(f"It is waiting at '{_label(task)}', which the new version removes")
    changes = _changes_by_spec(diff)
    for task in diff.changed:
        fields = changes.get(task.task_spec.name, set()) - _HARMLESS
        if task.state & TaskState.COMPLETED and fields and _is_step(task):
            words = " and ".join(sorted({_IN_WORDS.get(f, "its settings") for f in fields}))
            reasons.append(f"It already passed '{_label(task)}', and {words} changed in the new version")
    return reasons


def _changes_by_spec(diff) -> dict[str, set[str]]:
    """Which serialized fields of each aligned spec differ (Spiff keeps this on the spec diff)."""
    out: dict[str, set[str]] = {}
    for task in diff.changed:
        new_spec = diff.alignment.get(task)
        if new_spec is not None:
            old = _REGISTRY.convert(task.task_spec)
            new = _REGISTRY.convert(new_spec)
            out[task.task_spec.name] = {k for k in {*old, *new} if old.get(k) != new.get(k)}
    return out


def _trial(live: LiveInstance, target: ParsedBundle) -> None:
    """Move a copy (restored from the saved state) and prove the result saves and restores."""
    engine = live._wf.script_engine  # noqa: SLF001
    copy = LiveInstance.restore(live.bundle, live.process_id, live.state(), engine.now,
                                engine.functions, None)
    moved = migrate(copy, target)
    LiveInstance.restore(target, live.process_id, moved.state(), engine.now, engine.functions, None)


def _armed_timers(wf):
    for task in wf.get_tasks(state=TaskState.WAITING):
        if type(getattr(task.task_spec, "event_definition", None)) in TIMER_CLASSES.values() \
                and "event_value" in task.internal_data:
            yield task


def _in_subprocess(wf, task_id):
    for sp in wf.subprocesses.values():
        if task_id in sp.tasks:
            return sp.tasks[task_id]
    return None


def _is_step(task) -> bool:
    """A BPMN element a person would recognise, not Spiff's bookkeeping (Start, joins, splits)."""
    return getattr(task.task_spec, "bpmn_id", None) is not None


def _label(task) -> str:
    spec = task.task_spec
    return spec.bpmn_name or spec.name.removesuffix(MI_CHILD_SUFFIX)

"""engine.workflow.runtime.ready_tasks walks the task tree as SpiffWorkflow's get_tasks(state=READY) does.

(tests/conftest.py also checks the two against each other at every engine step of the whole suite.)
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from pathlib import Path

import pytest
from SpiffWorkflow.util.task import TaskState

from engine.errors import WorkflowFailed
from engine.workflow import runtime
from engine.workflow.runtime import LiveInstance
from engine.workflow.specs import parse_bundle

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = sorted((ROOT / "workflows" / "bpmn").glob("*.bpmn"))
FAST = runtime.ready_tasks  # the function itself, not the suite's checking wrapper


def _ids(tasks) -> list:
    return [t.id for t in tasks]


@pytest.mark.parametrize("path", PROCESSES, ids=lambda p: p.stem)
def test_the_walk_finds_what_spiffworkflow_finds_in_every_shipped_process(path):
    bundle = parse_bundle({p.name: p.read_bytes() for p in (ROOT / "workflows" / "bpmn").glob("*.*mn")})
    for process_id in bundle.specs:
        if not path.read_text().count(f'id="{process_id}"'):
            continue
        live = LiveInstance.start(bundle, process_id, {}, lambda: datetime(2026, 3, 2, 9, tzinfo=UTC), {}, None)
        wf = live._wf
        assert FAST(wf), "a new instance has its start event ready"
        _same(wf)
        with suppress(WorkflowFailed, TypeError):  # to the first wait, or as far as empty start data allows
            live.advance()
        _same(wf)
        for sub in wf.subprocesses.values():
            _same(sub)


def _same(wf) -> None:
    for manual in (None, True, False):
        spiff = wf.get_tasks(state=TaskState.READY, **({} if manual is None else {"manual": manual}))
        assert _ids(FAST(wf, manual)) == _ids(spiff)

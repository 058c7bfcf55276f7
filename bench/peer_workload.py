"""The peer workload and the engine adapters it drives.

Per instance: start a process of four user tasks in one group, find its first work item, then claim and
complete each of the four tasks. An adapter turns those five moves into one engine's HTTP calls; the
driver (bench/peer.py) only ever calls an adapter, so pointing it at another engine's server means
writing an adapter for that engine's API (docs/performance.md, "Peer workload").

An adapter is a class built as ``Adapter(http, options)`` (``http`` is a bench.peer_http.Http with the
server's address and the ``--header`` values, ``options`` the ``--option key=value`` pairs as a dict) with:

- ``start(ref) -> handle``: start one instance for the case or business key ``ref``;
- ``first_item(handle) -> item``: find the instance's first open task (as a partner system would);
- ``claim(item)``: take the task;
- ``complete(item, handle) -> item | None``: complete it with its form's answers; the next task, or None
  when the instance has finished.

Each HTTP call names its kind (``start``, ``find``, ``claim``, ``complete``), so latencies are reported per
kind whatever the engine.
"""

from __future__ import annotations

import importlib.util
import itertools
import uuid
from pathlib import Path
from typing import Any

from peer_http import Http

PROCESS = "peer_four_tasks"
ANSWERS = {"note": "benchmark answer"}


class Frontdoor:
    """frontdoor's JSON API (the default adapter)."""

    def __init__(self, http: Http, options: dict[str, str] | None = None) -> None:
        self.http = http
        self.keys = (options or {}).get("idempotency_keys", "yes") == "yes"

    def _key(self) -> dict[str, str]:
        return {"Idempotency-Key": uuid.uuid4().hex} if self.keys else {}

    def start(self, ref: str) -> dict[str, Any]:
        return self.http.call("start", "POST", f"/processes/{PROCESS}/instances",
                              {"data": ANSWERS, "case_ref": ref}, expect=(201,), headers=self._key()).body

    def first_item(self, handle: dict[str, Any]) -> int:
        found = self.http.call("find", "GET", f"/work-items?case={handle['case_ref']}&per_page=5").body
        return found["items"][0]["id"]

    def claim(self, item: int) -> None:
        self.http.call("claim", "POST", f"/work-items/{item}/claim")

    def complete(self, item: int, handle: dict[str, Any]) -> int | None:
        outcome = self.http.call("complete", "POST", f"/work-items/{item}/complete", {"data": ANSWERS},
                                 headers=self._key()).body
        following = outcome["open_work_items"]
        return following[0]["id"] if following else None


def run_instance(adapter: Any, ref: str) -> int:
    """Drive one instance from start to end; how many tasks it completed."""
    handle = adapter.start(ref)
    item, done = adapter.first_item(handle), 0
    while item is not None:
        adapter.claim(item)
        item = adapter.complete(item, handle)
        done += 1
    return done


def load_adapter(spec: str) -> type:
    """``path/to/file.py:ClassName`` -> the class (the driver's own adapters: ``frontdoor``)."""
    if spec == "frontdoor":
        return Frontdoor
    path, _, name = spec.rpartition(":")
    module_spec = importlib.util.spec_from_file_location(Path(path).stem, path)
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return getattr(module, name)


_refs = itertools.count(1)


def next_refs(tag: str, count: int) -> list[str]:
    """Fresh case references (``PB-<tag>-<n>``), unique across the whole run."""
    return [f"PB-{tag}-{next(_refs)}".upper() for _ in range(count)]

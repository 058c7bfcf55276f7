"""Reading the process library for people and partner systems: each process with its versions."""

from __future__ import annotations

from typing import Any

from engine.services.bootstrap import Services
from engine.services.library import list_versions


def list_processes(svc: Services) -> list[dict[str, Any]]:
    """Every deployed process (by id) with its versions, newest first; the newest version's name."""
    with svc.db.read() as session:
        versions = list_versions(session)
    processes: dict[str, dict[str, Any]] = {}
    for version in versions:
        entry = processes.setdefault(version["process_id"], {"process_id": version["process_id"],
                                                             "name": version["name"], "versions": []})
        entry["versions"].append({k: v for k, v in version.items() if k not in ("process_id", "name")})
    return list(processes.values())

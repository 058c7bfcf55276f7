"""Commands on the database, the process library, instances and work items."""

from __future__ import annotations

import sys
from typing import Any

from cli.common import json_arg, services
from engine.processes.deploy import read_paths
from engine.processes.plans import DeployStep, deploy_change, plan_change
from engine.runtime.instances import get_instance, send_message, start_process
from engine.runtime.version_cache import list_versions
from engine.scheduler.timers import fire_due
from engine.work.items import complete_work_item, list_work_items


def cmd_db_upgrade(args) -> Any:
    """frontdoor db upgrade"""
    svc = services(args)
    svc.db.upgrade()
    return {"database": svc.db.url.split("@")[-1], "status": "upgraded"}


def cmd_deploy(args) -> Any:
    """frontdoor deploy PATH... [--pilot-rule JSON] [--plan]: says what it will do, then does it (unless --plan)."""
    svc = services(args)
    step = DeployStep(read_paths(args.paths), json_arg(getattr(args, "pilot_rule", None)) or None)
    plan = plan_change(svc, [step])
    if getattr(args, "plan", False):
        return ([v.to_dict() for v in plan.versions] if args.json
                else [s for v in plan.versions for s in v.sentences()])
    for sentence in (s for v in plan.versions for s in v.sentences()):
        print(sentence, file=sys.stderr)  # before it happens; stdout keeps the result scripts read
    results = deploy_change(svc, [step], actor=args.actor, note=args.note or "", expected=plan.fingerprint)
    return [{"process_id": r.process_id, "version": r.version, "version_id": r.version_id,
             "content_hash": r.content_hash, "created": r.created} for r in results]


def cmd_processes(args) -> Any:
    """frontdoor processes"""
    svc = services(args)
    with svc.db.read() as session:
        return list_versions(session)


def cmd_start(args) -> Any:
    """frontdoor start PROCESS_ID [--data JSON] [--as USER]"""
    return start_process(services(args), args.process_id, json_arg(args.data), actor=args.actor,
                         case_ref=args.case).to_dict()


def cmd_tasks(args) -> Any:
    """frontdoor tasks [--instance ID] [--group G] [--user U]"""
    return list_work_items(services(args), instance_id=args.instance, group=args.group, user=args.user)


def cmd_complete(args) -> Any:
    """frontdoor complete WORK_ITEM_ID --as USER [--data JSON]"""
    svc = services(args)
    outcome = complete_work_item(svc, args.work_item_id, args.actor, json_arg(args.data))
    return get_instance(svc, outcome.id).to_dict()


def cmd_instance(args) -> Any:
    """frontdoor instance ID"""
    return get_instance(services(args), args.instance_id).to_dict()


def cmd_fire_due(args) -> Any:
    """frontdoor fire-due [--now ISO]"""
    svc = services(args)
    return {"fired": fire_due(svc), "now": svc.now().isoformat()}


def cmd_message(args) -> Any:
    """frontdoor message NAME [--instance ID] [--case REF] [--data JSON]"""
    return send_message(services(args), args.name, json_arg(args.data), actor=args.actor,
                        instance_id=args.instance, case_ref=args.case).to_dict()

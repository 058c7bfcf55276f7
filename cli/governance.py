"""`frontdoor audit ...`, `frontdoor retention ...` and `frontdoor sar ...`: information governance."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from cli.common import parse_now, services
from engine.governance import chain, disposal, holds, sar


def cmd_audit_verify(args) -> Any:
    """Check the audit hash chain; exit 1 naming the first broken row."""
    svc = services()
    report = chain.verify(svc)
    chain.record_check(svc, args.actor, "audit_verified", holds=report.holds, checked=report.checked,
                       broken_seq=report.broken_seq)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    if not report.holds:
        raise chain.AuditChainBroken(f"the audit chain is broken at row {report.broken_seq}"
                                     f"{f' (audit id {report.broken_id})' if report.broken_id else ''}: "
                                     f"{report.problem}", seq=report.broken_seq, id=report.broken_id)
    if args.json:
        return None
    return {"chain": "holds", "checked": report.checked, "head": report.head_seq, "head_hash": report.head_hash,
            "not_yet_sealed": report.unsealed}


def cmd_audit_seal(args) -> Any:
    """Seal every audit row written since the last seal into the hash chain (the scheduler does this too)."""
    return {"sealed": chain.seal_all(services())}


def cmd_audit_export(args) -> Any:
    """Stream sealed audit rows as JSON lines (for a SIEM); --after SEQ continues from a row."""
    svc = services()
    chain.seal_all(svc)
    count = 0
    out = open(args.out, "w", encoding="utf-8") if args.out else sys.stdout  # noqa: SIM115
    try:
        for line in chain.export_lines(svc, args.after):
            out.write(line + "\n")
            count += 1
    finally:
        if args.out:
            out.close()
    chain.record_check(svc, args.actor, "audit_exported", after=args.after, rows=count)
    return {"exported": count} if args.out else None


def cmd_retention_due(args) -> Any:
    """What falls due for disposal now, by schedule (nothing under a legal hold or still open)."""
    report = disposal.dry_run(services())
    if args.json:
        return report
    print(f"Due for disposal as of {report['as_of']}:")
    for name, count in report["schedules"].items():
        print(f"- {name}: {count}")
    for item in report["items"]:
        print("  " + "  ".join(f"{k}={v}" for k, v in item.items()))
    return None


def cmd_retention_dispose(args) -> Any:
    """Propose disposing of everything due (a manager approves it); --dry-run only shows what would go."""
    svc = services()
    if args.dry_run:
        report = disposal.dry_run(svc)
        return report if args.json else {"dry_run": "nothing was changed", **report["schedules"]}
    run = disposal.propose(svc, actor=args.actor)
    if args.json:
        return run
    return {"run": run["id"], "status": run["status"], "items": len(run["items"]),
            "next": f"a manager approves it with: frontdoor retention approve {run['id']} --as NAME"}


def cmd_retention_approve(args) -> Any:
    """Approve a proposed disposal run (a manager, not its proposer): dispose of it now and print the certificate."""
    certificate = disposal.approve(services(), args.run_id, actor=args.actor)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as out:
            json.dump(certificate, out, indent=2)
    return certificate


def cmd_retention_withdraw(args) -> Any:
    """Withdraw a proposed disposal run."""
    return disposal.withdraw(services(), args.run_id, actor=args.actor)


def cmd_retention_certificate(args) -> Any:
    """Print the disposal certificate of an approved run."""
    return disposal.certificate(services(), args.run_id)


def cmd_retention_hold(args) -> Any:
    """Put a legal hold on a case: nothing of it is disposed of while the hold stands."""
    until = parse_now(args.until) if args.until else None
    return holds.place_hold(services(), args.case_ref, reason=args.reason, actor=args.actor, until=until)


def cmd_retention_release(args) -> Any:
    """Lift a legal hold."""
    return holds.release_hold(services(), args.hold_id, actor=args.actor)


def cmd_retention_holds(args) -> Any:
    """List the legal holds standing."""
    return holds.holds(services())


def cmd_sar_export(args) -> Any:
    """Export everything held about the child on a case (JSON, HTML and documents), third parties masked."""
    return sar.export(services(), args.case_ref, Path(args.out), actor=args.actor)

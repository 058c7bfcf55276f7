"""`frontdoor metrics`: every measure over a period, the same figures the insight pages show."""

from __future__ import annotations

from typing import Any

from cli.common import services
from engine.insight.measures import MeasureResult, compute_measures, default_period, parse_period
from engine.insight.refresh import rebuild_insight


def cmd_metrics(args) -> Any:
    """Print every measure for a period (--from, --to: YYYY-MM-DD, --to excluded) beside the previous period."""
    svc = services()
    period = parse_period(args.start, args.end, default_period(svc))
    if args.rebuild:
        rebuild_insight(svc)
    results = compute_measures(svc, period, args.area or None)
    if args.json:
        return {"period": {"from": period.start.isoformat(), "to": period.end.isoformat()},
                "previous": {"from": period.previous().start.isoformat(), "to": period.start.isoformat()},
                "area": args.area or None, "measures": [r.to_dict() for r in results]}
    print(f"Measures for {period.label()} (previous: {period.previous().label()})")
    for result in results:
        print(summary_line(result))
    return None


def summary_line(result: MeasureResult) -> str:
    """One line per measure: the headline figure now and before."""
    def headline(f) -> str:
        if result.kind == "duration":
            return f"median {_num(f.median_days)} wd, p90 {_num(f.p90_days)} wd (n={f.n})"
        if result.kind == "count":
            return f"{f.n}"
        return f"{_num(f.percent)}% {result.yes_means} ({f.yes}/{f.n})"
    return f"- {result.title}: {headline(result.current)}; previous {headline(result.previous)}"


def _num(value: float | None) -> str:
    return "-" if value is None else (f"{value:g}")

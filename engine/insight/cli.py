"""``frontdoor metrics``: every measure over a period, the same figures the insight pages show."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from engine.errors import InvalidFormData
from engine.insight.measures import MeasureResult, Period, compute_measures, default_period
from engine.insight.refresh import rebuild_insight


def parse_period(start: str | None, end: str | None, today_period: Period) -> Period:
    """A period from ISO dates (``end`` excluded); missing ends default to the last 28 days."""
    try:
        first = date.fromisoformat(start) if start else None
        stop = date.fromisoformat(end) if end else None
    except ValueError:
        raise InvalidFormData({"period": ["Give dates as YYYY-MM-DD"]}) from None
    stop = stop or (first + (today_period.end - today_period.start) if first else today_period.end)
    first = first or stop - (today_period.end - today_period.start)
    if first >= stop:
        raise InvalidFormData({"period": ["The start must be before the end"]})
    return Period(first, stop)


def cmd_metrics(args) -> Any:
    """Print every measure for a period (--from, --to: YYYY-MM-DD, --to excluded) beside the previous period."""
    from engine.services.bootstrap import bootstrap

    svc = bootstrap()
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


def register(sub, command: Callable) -> None:
    """Add ``metrics`` to the frontdoor command line."""
    p = command("metrics", cmd_metrics, sub)
    p.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (default: 28 days before --to)")
    p.add_argument("--to", dest="end", help="day after the last, YYYY-MM-DD (default: tomorrow)")
    p.add_argument("--area", help="postcode district, e.g. ZZ1")
    p.add_argument("--rebuild", action="store_true", help="forget the pre-aggregated counts and recount all history")



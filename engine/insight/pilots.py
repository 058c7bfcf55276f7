"""Pilots: the same measures split by process version, so a pilot route is compared with the current one.

Like-for-like comes from the filters: the same period and area for every version, and each measure's
breakdown (by outcome, agency or type) side by side.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select

from engine.insight.catalogue import MEASURES
from engine.insight.measures import Figures, Period, daily_rows, figures, refresh_if_needed
from engine.insight.readers import INSIGHT_ROLES, audit_insight, require_reader
from engine.runtime.services import Services
from engine.runtime.version_choice import rule_in_words
from engine.store.models import ProcessVersion


@dataclass(frozen=True)
class VersionFigures:
    """One version's figures for one measure."""

    version_id: int
    version: str
    pilot: bool
    figures: Figures
    pilot_rule: str = ""  # in words: "Context type is Public space"


@dataclass(frozen=True)
class PilotComparison:
    """A measure's figures per version of its process over one period."""

    key: str
    title: str
    kind: str
    process_id: str
    yes_means: str
    versions: list[VersionFigures]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def compare_versions(svc: Services, viewer: str, period: Period, area: str | None = None) -> list[PilotComparison]:
    """Every measure split by process version; raises NotPermitted; audited."""
    refresh_if_needed(svc)
    with svc.db.transaction() as session:
        require_reader(session, viewer, INSIGHT_ROLES)
        audit_insight(session, svc.now(), viewer, "pilots", start=period.start.isoformat(),
                      end=period.end.isoformat(), area=area)
        versions = {v.id: v for v in session.scalars(select(ProcessVersion))}
        out = []
        for measure in MEASURES:
            rows = daily_rows(session, measure.key, period, area, by_version=True)
            split = []
            for version_id in sorted({r[5] for r in rows}):
                v = versions.get(version_id)
                name = f"version {v.number}" + (f" ({v.note})" if v and v.note else "") if v else "no route"
                split.append(VersionFigures(version_id, name, bool(v and v.pilot_rule),
                                            figures([r for r in rows if r[5] == version_id]),
                                            rule_in_words(v.pilot_rule) if v else ""))
            out.append(PilotComparison(measure.key, measure.title, measure.kind, measure.process_id,
                                       measure.yes_means, split))
        return out

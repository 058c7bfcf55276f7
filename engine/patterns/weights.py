"""Context weighting: how much each context drives the harm, as assessments weigh it (1 to 5, with a reason).

The child and family assessment (``child_cfa``) and the context assessments (``nbh_assessment``,
``school_analysis``, ``peer_assessment``) have a ``context_weighting`` list: ``context`` (the context's
reference, CX-000123, or its name), ``weight`` (1 to 5: 5 means this context must change first) and
``rationale``. The weights are read from the completed tasks' saved answers; the latest weight an
assessment gave a context counts (docs/patterns.md, context weighting).
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import active_role, may_see_case
from engine.access.rules import can_rank_contexts
from engine.cases.records import case_by_ref
from engine.errors import NotPermitted
from engine.runtime.services import Services
from engine.store.cases import Case, ChildContextLink, Context
from engine.store.models import Instance, WorkItem

CHILD_FORMS = ("child_cfa",)
CONTEXT_FORMS = ("nbh_assessment", "school_analysis", "peer_assessment")
REF = re.compile(r"\bCX-\d{6}\b", re.I)


@dataclass(frozen=True)
class Weight:
    """One weight an assessment gave a context."""

    context_id: int
    weight: int
    rationale: str
    at: datetime
    by: str
    assessment: str
    subject_ref: str | None  # the child or context whose assessment gave it


def _task_answers(state: Mapping[str, Any], task_id: str) -> dict[str, Any]:
    """A task's own saved answers (its whole data, or the delta it added), in any of the instance's trees."""
    for tree in [state, *(state.get("subprocesses") or {}).values()]:
        task = (tree.get("tasks") or {}).get(task_id)
        if task is not None:
            data = task.get("data")
            if isinstance(data, Mapping) and data:
                return dict(data)
            delta = task.get("delta") or {}
            return dict(delta.get("updates") or {}) if isinstance(delta, Mapping) else {}
    return {}


def _resolve(text: str, names: Mapping[str, int], refs: Mapping[str, int]) -> int | None:
    found = REF.search(text or "")
    if found:
        return refs.get(found.group(0).upper())
    return names.get((text or "").strip().lower())


def weights_given(session: Session, where: Any) -> list[Weight]:
    """Every weight in the completed weighting tasks matching ``where`` (on WorkItem), latest last."""
    items = session.execute(select(WorkItem, Instance.state, Instance.case_ref).join(
        Instance, Instance.id == WorkItem.instance_id).where(WorkItem.status == "completed",
                                                             WorkItem.form_ref.in_(CHILD_FORMS + CONTEXT_FORMS), where)
        .order_by(WorkItem.completed_at)).all()
    if not items:
        return []
    rows = session.execute(select(Case.id, Case.ref, Context.name).join(Context, Context.case_id == Case.id)).all()
    refs = {ref: cid for cid, ref, _ in rows}
    counts: dict[str, int] = defaultdict(int)
    for _cid, _ref, name in rows:
        counts[name.lower()] += 1
    names = {name.lower(): cid for cid, _ref, name in rows if counts[name.lower()] == 1}  # a unique name only
    out = []
    for item, state, subject in items:
        for row in _task_answers(json.loads(state), item.task_id).get("context_weighting") or []:
            context_id = _resolve(str(row.get("context") or ""), names, refs)
            weight = row.get("weight")
            if context_id is not None and isinstance(weight, int | float) and 1 <= weight <= 5:
                out.append(Weight(context_id, int(weight), str(row.get("rationale") or ""), item.completed_at,
                                  item.completed_by or "", item.form_ref or "", subject))
    return out


def _latest(weights: Iterable[Weight]) -> dict[tuple[str | None, int], Weight]:
    """The latest weight each assessed subject gave each context."""
    return {(w.subject_ref, w.context_id): w for w in weights}


@dataclass(frozen=True)
class RankedContext:
    """A context on a child's case, with the weight the child's assessment gave it (None: not weighted)."""

    ref: str
    name: str
    role: str
    weight: int | None
    rationale: str
    at: datetime | None


def ranked_contexts(session: Session, child: Case) -> list[RankedContext]:
    """The child's linked (and weighted) contexts, heaviest first; unweighted ones after, by name."""
    weights = {cid: w for (_s, cid), w in _latest(weights_given(session, Instance.case_ref == child.ref)).items()}
    links = dict(session.execute(select(ChildContextLink.context_case_id, ChildContextLink.role).where(
        ChildContextLink.child_case_id == child.id, ChildContextLink.ended_on.is_(None))).all())
    ids = set(links) | set(weights)
    rows = session.execute(select(Case.id, Case.ref, Context.name).join(Context, Context.case_id == Case.id)
                           .where(Case.id.in_(ids))).all()
    out = [RankedContext(ref, name, links.get(cid, "weighted in an assessment").replace("_", " "),
                         weights[cid].weight if cid in weights else None,
                         weights[cid].rationale if cid in weights else "", weights[cid].at if cid in weights else None)
           for cid, ref, name in rows]
    return sorted(out, key=lambda r: (-(r.weight or 0), r.name.lower()))


def case_weights(svc: Services, ref: str, username: str) -> list[RankedContext]:
    """A child's contexts ranked by weight, for its case page (the page checks need-to-know and audits)."""
    with svc.db.read() as session:
        case = case_by_ref(session, ref)
        if case.subject_type != "child" or not may_see_case(session, username, case.id, svc.now()):
            return []
        return ranked_contexts(session, case)


@dataclass(frozen=True)
class ContextRank:
    """A context in the ranking: children linked, the weights given to it, and a score to rank by."""

    ref: str
    name: str
    type: str
    status: str
    children: int
    weights: int
    mean_weight: float | None
    score: int


def context_ranking(svc: Services, username: str, limit: int = 50) -> list[ContextRank]:
    """Contexts ranked by their weights (the latest each assessment gave) and the children linked. Audited."""
    with svc.db.transaction() as session:
        if not can_rank_contexts(active_role(session, username)):
            raise NotPermitted("Only managers, the CS lead and administrators may read this")
        latest = _latest(weights_given(session, WorkItem.id.is_not(None)))
        given: dict[int, list[int]] = defaultdict(list)
        for (_subject, cid), w in latest.items():
            given[cid].append(w.weight)
        children = dict(session.execute(select(ChildContextLink.context_case_id,
                                               func.count(func.distinct(ChildContextLink.child_case_id)))
                                        .where(ChildContextLink.ended_on.is_(None))
                                        .group_by(ChildContextLink.context_case_id)).all())
        ids = set(given) | set(children)
        rows = session.execute(select(Case.id, Case.ref, Case.status, Context.name, Context.type)
                               .join(Context, Context.case_id == Case.id).where(Case.id.in_(ids))).all()
        ranked = [ContextRank(ref, name, kind, status, children.get(cid, 0), len(given.get(cid, [])),
                              round(sum(given[cid]) / len(given[cid]), 1) if given.get(cid) else None,
                              sum(given.get(cid, [])) + children.get(cid, 0)) for cid, ref, status, name, kind in rows]
        ranked.sort(key=lambda r: (-r.score, -r.children, r.ref))
        audit.record(session, at=svc.now(), actor=username, action="insight_viewed", subject_type="insight",
                     subject_id="context_ranking", rows=min(limit, len(ranked)))
    return ranked[:limit]

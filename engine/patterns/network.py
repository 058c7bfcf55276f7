"""The network around a child or a context: children, contexts and named associates, two steps out.

Links between children and contexts carry their roles; a named associate joins the children whose
referrals name the same person (by name and age, engine/patterns/names.py). Anyone who may open the
case at the centre sees the network; a child or context they may not open is shown as "a child (age
14)" or "a context (school)", and opening it asks to break glass. An associate named only in
referrals the reader may not open is "a named associate".
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.need_to_know import NoNeedToKnow, active_role, cases_visible_to
from engine.access.rules import can_see_patterns
from engine.cases.instance_page import audit_view
from engine.cases.records import case_by_ref
from engine.errors import NotPermitted
from engine.patterns.names import same_person
from engine.patterns.rules import load_rules
from engine.patterns.views import age_on
from engine.runtime.services import Services
from engine.store.cases import Case, Child, ChildContextLink, Context
from engine.store.patterns import PatternFeature

MAX_NODES = 150


@dataclass(frozen=True)
class Node:
    """A child, a context or a named associate; ``case_ref`` opens its case (asking to break glass if masked)."""

    id: str
    kind: str
    label: str
    case_ref: str | None = None
    masked: bool = False
    step: int = 0


@dataclass(frozen=True)
class Edge:
    """A link between two nodes, with its role in words."""

    source: str
    target: str
    role: str


@dataclass
class Network:
    """The nodes and edges around the centre."""

    centre: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[Edge] = field(default_factory=list)
    cut: bool = False


ROLE_WORDS = {"harmed_at": "harmed at", "at_risk_at": "at risk at", "associated_with": "associated with",
              "member_of": "member of", "named": "named"}


def _links(session: Session, case: Case) -> list[tuple[Case, str]]:
    link = ChildContextLink
    mine, other = ((link.child_case_id, link.context_case_id) if case.subject_type == "child"
                   else (link.context_case_id, link.child_case_id))
    rows = session.execute(select(Case, link.role).join(link, other == Case.id)
                           .where(mine == case.id, link.ended_on.is_(None)).order_by(Case.id))
    return [(c, role) for c, role in rows]


def _associates(session: Session, case: Case) -> list[PatternFeature]:
    rows = session.scalars(select(PatternFeature).where(PatternFeature.case_id == case.id,
                                                        PatternFeature.kind == "associate"))
    return list({(f.label, f.age): f for f in rows}.values())


def _naming(session: Session, feature: PatternFeature, threshold: float, tolerance: int) -> list[Case]:
    keys = select(PatternFeature.key).where(PatternFeature.referral_id == feature.referral_id,
                                            PatternFeature.label == feature.label, PatternFeature.kind == "associate")
    rows = session.execute(select(PatternFeature, Case).join(Case, Case.id == PatternFeature.case_id)
                           .where(PatternFeature.kind == "associate", PatternFeature.key.in_(keys),
                                  PatternFeature.case_id != feature.case_id)).all()
    found = {c.id: c for f, c in rows if same_person(feature.label, feature.age, feature.at, f.label, f.age, f.at,
                                                       threshold, tolerance)}
    return list(found.values())


def _grow(session: Session, net: Network, case: Case, step: int, rules) -> list[Case]:
    """Add the case's neighbours; returns the cases reached (to go one step further)."""
    reached = []
    for other, role in _links(session, case):
        _add(net, other, step)
        pair = (f"case:{case.ref}", f"case:{other.ref}")
        net.edges.append(Edge(*(pair if case.subject_type == "child" else pair[::-1]), ROLE_WORDS.get(role, role)))
        reached.append(other)
    if case.subject_type == "child":
        kind = rules.of("associate")
        for feature in _associates(session, case):
            node = f"associate:{feature.label.lower()}:{feature.age}"
            if node not in net.nodes:
                net.nodes[node] = Node(node, "associate", feature.label, step=step)
            net.edges.append(Edge(f"case:{case.ref}", node, "named"))
            for child in _naming(session, feature, kind.name_similarity, kind.age_tolerance_years):
                _add(net, child, step + 1)
                net.edges.append(Edge(f"case:{child.ref}", node, "named"))
    return reached


def _add(net: Network, case: Case, step: int) -> None:
    key = f"case:{case.ref}"
    if key not in net.nodes:
        net.nodes[key] = Node(key, case.subject_type, case.ref, case.ref, step=step)


def network_of(svc: Services, ref: str, username: str) -> Network:
    """The network two steps out from a case the reader may open; masked by need-to-know and audited."""
    now = svc.now()
    with svc.db.transaction() as session:
        if not can_see_patterns(active_role(session, username)):
            raise NotPermitted("Your role cannot see the network of children and contexts")
        centre = case_by_ref(session, ref)
        allowed = centre.id in cases_visible_to(session, username, {centre.id}, now)
        net = _build(session, centre, load_rules(svc.settings.patterns_path)) if allowed else None
        if net is not None:
            _mask(session, net, username, now)
        # The refusal is recorded too (committed before the error is raised).
        audit_view(session, now, username, allowed, "case", centre.ref, centre.ref, "network",
                   nodes=len(net.nodes) if net else 0, masked=sum(1 for n in net.nodes.values() if n.masked)
                   if net else 0)
    if net is None:
        raise NoNeedToKnow(f"You have no need to know case {centre.ref}", case_ref=centre.ref)
    return net


def _build(session: Session, centre: Case, rules) -> Network:
    net = Network(f"case:{centre.ref}")
    _add(net, centre, 0)
    for case in _grow(session, net, centre, 1, rules):
        if len(net.nodes) >= MAX_NODES:
            net.cut = True
            break
        _grow(session, net, case, 2, rules)
    net.edges = list({(e.source, e.target, e.role): e for e in net.edges}.values())
    return net


def _mask(session: Session, net: Network, username: str, now: datetime) -> None:
    refs = [n.case_ref for n in net.nodes.values() if n.case_ref]
    cases = {c.ref: c for c in session.scalars(select(Case).where(Case.ref.in_(refs)))}
    visible = cases_visible_to(session, username, {c.id for c in cases.values()}, now)
    children = {c.case_id: c for c in session.scalars(select(Child).where(Child.case_id.in_(
        {c.id for c in cases.values()})))}
    contexts = {c.case_id: c for c in session.scalars(select(Context).where(Context.case_id.in_(
        {c.id for c in cases.values()})))}
    seen_by_associate = defaultdict(bool)
    for edge in net.edges:
        if edge.role == "named" and cases[edge.source.split(":", 1)[1]].id in visible:
            seen_by_associate[edge.target] = True
    for key, node in list(net.nodes.items()):
        if node.kind == "associate":
            if not seen_by_associate[key]:
                net.nodes[key] = Node(key, "associate", "a named associate", masked=True, step=node.step)
            continue
        case = cases[node.case_ref]
        net.nodes[key] = Node(key, node.kind, _label(case, children, contexts, case.id in visible, now), node.case_ref,
                              case.id not in visible, node.step)


def _label(case: Case, children: dict, contexts: dict, seen: bool, now: datetime) -> str:
    if case.subject_type == "context":
        ctx = contexts.get(case.id)
        kind = ctx.type.replace("_", " ") if ctx else "context"
        return f"{ctx.name} ({case.ref})" if seen and ctx else f"a context ({kind})"
    child = children.get(case.id)
    age = age_on(child.dob, now) if child else None
    if seen and child:
        return f"{child.first_name} {child.last_name} ({case.ref})"
    return f"a child (age {age})" if age is not None else "a child (age not known)"

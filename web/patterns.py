"""Patterns across referrals, the map of contexts and referral places, and the network around a case.

Need-to-know, masking and the audit rows live in engine/patterns; these pages only show what the
services return. The map and the network draw with Leaflet and cytoscape.js from npm when scripts run;
the table and the list beside them carry the same data, so both work without JavaScript.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, g, redirect, render_template, request, url_for

from engine.cases.records import HARM_CODES
from engine.config import tile_origin
from engine.errors import InvalidFormData
from engine.patterns.actions import REASON_MAX, add_to_context, dismiss_pattern, open_context, peer_group_from
from engine.patterns.network import network_of
from engine.patterns.places import CONTEXT_TYPES, MapFilters, map_points
from engine.patterns.views import KIND_WORDS, get_pattern, list_patterns
from engine.patterns.weights import case_weights, context_ranking
from web.context import current_user, services

bp = Blueprint("patterns", __name__)

STATUSES = {"open": "Open", "dismissed": "Dismissed", "actioned": "Acted on"}
NOTICES = {"dismissed": "The pattern was dismissed. It comes back if a new referral joins it.",
           "added": "The children were linked to the context."}
HARMS = {code: word.replace("_", " ").capitalize() for word, code in HARM_CODES.items()}
SHOW = {"all": "Contexts and referral places", "contexts": "Contexts only", "referrals": "Referral places only"}
PERIODS = {"30": "Last 30 days", "90": "Last 90 days", "365": "Last year", "": "Any time"}


@bp.get("/patterns")
def index():
    """The patterns the signed-in person may see, newest first."""
    status = request.args.get("status", "open")
    if status not in STATUSES:
        status = "open"
    found = list_patterns(services(), current_user().username, status)
    return render_template("patterns/index.html", title="Patterns across referrals", patterns=found, status=status,
                           statuses=STATUSES, kinds=KIND_WORDS, notice=NOTICES.get(request.args.get("notice", "")))


def _detail(pattern_id: int, errors: dict | None = None, status: int = 200):
    view = get_pattern(services(), pattern_id, current_user().username)
    errors = errors or {}
    error_list = [{"text": m[0], "href": f"#{k.replace('.', '-')}"} for k, m in errors.items() if m]
    return render_template("patterns/show.html", title=f"Pattern: {view.shared}", pattern=view, errors=errors,
                           error_list=error_list, error_count=len(error_list), reason_max=REASON_MAX,
                           notice=NOTICES.get(request.args.get("notice", ""))), status


@bp.get("/patterns/<int:pattern_id>")
def show(pattern_id: int):
    """One pattern: its evidence, the contexts covering it and what can be done."""
    return _detail(pattern_id)


@bp.post("/patterns/<int:pattern_id>/open-context")
def open_from(pattern_id: int):
    """Open a context referral from the pattern; its route starts and the children are linked."""
    logged = open_context(services(), pattern_id, current_user().username)
    return redirect(url_for("cases.show", ref=logged.case_ref))


@bp.post("/patterns/<int:pattern_id>/add-to-context")
def add(pattern_id: int):
    """Link the pattern's children to an open context."""
    try:
        add_to_context(services(), pattern_id, current_user().username, request.form.get("case_ref", ""))
    except InvalidFormData as exc:
        return _detail(pattern_id, exc.errors, 422)
    return redirect(url_for("patterns.show", pattern_id=pattern_id, notice="added"))


@bp.post("/patterns/<int:pattern_id>/dismiss")
def dismiss(pattern_id: int):
    """Dismiss the pattern with a reason."""
    try:
        dismiss_pattern(services(), pattern_id, current_user().username, request.form.get("reason", ""))
    except InvalidFormData as exc:
        return _detail(pattern_id, exc.errors, 422)
    return redirect(url_for("patterns.index", notice="dismissed"))


def _filters() -> tuple[MapFilters, dict[str, str]]:
    asked = {k: request.args.get(k, "") for k in ("harm_type", "period", "context_type", "status", "show")}
    asked["harm_type"] = asked["harm_type"] if asked["harm_type"] in HARMS else ""
    asked["period"] = asked["period"] if asked["period"] in PERIODS else "90"
    asked["context_type"] = asked["context_type"] if asked["context_type"] in CONTEXT_TYPES else ""
    asked["status"] = asked["status"] if asked["status"] in ("open", "closed") else ""
    asked["show"] = asked["show"] if asked["show"] in ("contexts", "referrals") else "all"
    since = services().now() - timedelta(days=int(asked["period"])) if asked["period"] else None
    return MapFilters(asked["harm_type"] or None, since, None, asked["context_type"] or None,
                      asked["status"] or None, asked["show"]), asked


@bp.get("/map")
def map_page():
    """Contexts and referral places on a map (tiles when configured), with the same points in a table."""
    filters, asked = _filters()
    view = map_points(services(), current_user().username, filters)
    settings = services().settings
    g.csp_img_origin = tile_origin(settings.map_tiles)  # the policy allows exactly this host's images
    points = [{"lat": p.latitude, "lon": p.longitude, "label": p.label, "kind": p.kind, "status": p.status,
               "ref": p.case_ref, "href": url_for("cases.show", ref=p.case_ref) if p.case_ref else None,
               "harms": [HARMS.get(h, h) for h in p.harm_types], "when": p.when.isoformat()} for p in view.points]
    return render_template("patterns/map.html", title="Map of contexts and referrals", view=view, points=points,
                           tiles=settings.map_tiles, attribution=settings.map_attribution, **_choices(asked))


def _items(choices: dict[str, str], chosen: str) -> list[dict]:
    return [{"value": value, "text": text, "selected": value == chosen} for value, text in choices.items()]


def _choices(asked: dict[str, str]) -> dict[str, list[dict]]:
    """The filter form's options, with what was asked for selected."""
    types = {t: t.replace("_", " ").capitalize() for t in CONTEXT_TYPES}
    return {"harm_items": _items(HARMS, asked["harm_type"]), "period_items": _items(PERIODS, asked["period"]),
            "type_items": _items(types, asked["context_type"]),
            "status_items": _items({"": "Open or closed", "open": "Open", "closed": "Closed"}, asked["status"]),
            "show_items": _items(SHOW, asked["show"])}


@bp.get("/cases/<ref>/network")
def network(ref: str):
    """The children, contexts and named associates around a case, two steps out."""
    net = network_of(services(), ref[:40], current_user().username)
    g.csp_inline_styles = True  # cytoscape.js sets style attributes on what it builds; scripts stay 'self' only
    data = {"centre": net.centre,
            "nodes": [{"id": n.id, "kind": n.kind, "label": n.label, "masked": n.masked, "step": n.step,
                       "href": url_for("cases.show", ref=n.case_ref) if n.case_ref else None}
                      for n in net.nodes.values()],
            "edges": [{"source": e.source, "target": e.target, "role": e.role} for e in net.edges]}
    return render_template("patterns/network.html", title=f"Network around {ref.upper()}", net=net, data=data,
                           ref=net.centre.split(":", 1)[1], errors={}, error_list=[], error_count=0)


@bp.post("/cases/<ref>/network/peer-group")
def peer_group(ref: str):
    """Open a peer-group context for the children chosen in the network (its assessment follows on its route)."""
    try:
        logged = peer_group_from(services(), ref[:40], request.form.getlist("child"), request.form.get("name", ""),
                                 current_user().username)
    except InvalidFormData as exc:
        net = network_of(services(), ref[:40], current_user().username)
        error_list = [{"text": m[0], "href": f"#{k}"} for k, m in exc.errors.items() if m]
        return render_template("patterns/network.html", title=f"Network around {ref.upper()}", net=net,
                               data=None, ref=net.centre.split(":", 1)[1], errors=exc.errors, error_list=error_list,
                               error_count=len(error_list)), 422
    return redirect(url_for("cases.show", ref=logged.case_ref))


@bp.app_template_filter("harm_words")
def harm_words(code: str) -> str:
    """A harm type's code in words ("EFH-CCE" -> "Criminal exploitation")."""
    return HARMS.get(code, code)


@bp.app_template_global("context_weights")
def context_weights(ref: str) -> list:
    """A child's contexts ranked by weight, for the case page (empty for a context or without need-to-know)."""
    return case_weights(services(), ref, current_user().username)


@bp.get("/insight/contexts")
def context_ranking_page():
    """Contexts ranked by the weights assessments gave them and the children linked."""
    ranked = context_ranking(services(), current_user().username)
    return render_template("patterns/ranking.html", title="Contexts ranked by weight and children linked",
                           ranked=ranked)

// One readable canvas for every diagram (case routes, where cases wait, admin versions and compare):
// bpmn-js's NavigatedViewer (window.BpmnJS, loaded by a plain script tag; nothing inline, CSP) with zoom
// and pan by mouse, by buttons and by keyboard. It opens fitted to the page width when labels stay
// readable there; a wider route opens at a readable size around its current step instead, and "Whole
// diagram" still shows all of it. The bpmn.io watermark stays: the viewer's licence requires it.
const READABLE = 0.6; // below this a 12px label is under ~7px
const STEP = 1.25;
const MARGIN = 24;

function button(text, label) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "govuk-button govuk-button--secondary app-diagram-tools__button";
  b.textContent = text;
  if (label) b.setAttribute("aria-label", label);
  return b;
}

function toolbar(canvasApi, name) {
  const bar = document.createElement("div");
  bar.className = "app-diagram-tools";
  bar.setAttribute("role", "toolbar");
  bar.setAttribute("aria-label", `Zoom ${name}`);
  const zoomIn = button("+", "Zoom in");
  const zoomOut = button("−", "Zoom out");
  const width = button("Fit to width");
  const whole = button("Whole diagram");
  zoomIn.addEventListener("click", () => canvasApi.zoomBy(STEP));
  zoomOut.addEventListener("click", () => canvasApi.zoomBy(1 / STEP));
  width.addEventListener("click", () => canvasApi.fitWidth());
  whole.addEventListener("click", () => canvasApi.fitWhole());
  bar.append(zoomIn, zoomOut, width, whole);
  return bar;
}

/** Build the canvas inside ``host``: a toolbar, the drawing and a line of keyboard help. */
export function makeCanvas(host, name) {
  host.replaceChildren();
  host.classList.add("app-diagram-canvas");
  const help = document.createElement("p");
  help.className = "govuk-body-s app-diagram-help";
  help.id = `${host.id || "diagram"}-help`;
  help.textContent = "Drag or use the arrow keys to move around the diagram; + and − (or Ctrl and the scroll wheel) " +
    "zoom; 0 fits it to the width.";
  const stage = document.createElement("div");
  stage.className = "app-diagram-stage";
  const viewer = new window.BpmnJS({ container: stage });
  const canvas = viewer.get("canvas");
  const api = {
    viewer, canvas, stage,
    zoomBy(factor) { canvas.zoom(canvas.zoom() * factor, "auto"); },
    fitWhole() { canvas.zoom("fit-viewport", "auto"); },
    fitWidth() { fitWidth(canvas, stage); },
    focusOn(ids) { focusOn(canvas, viewer.get("elementRegistry"), ids, stage); },
  };
  host.append(toolbar(api, name), stage, help);
  stage.addEventListener("keydown", (event) => keys(event, api));
  api.label = (text) => labelSvg(stage, text, help.id);
  return api;
}

function labelSvg(stage, text, helpId) {
  const svg = stage.querySelector("svg");
  if (!svg) return;
  svg.setAttribute("role", "application");
  svg.setAttribute("aria-label", text);
  svg.setAttribute("aria-describedby", helpId);
}

function keys(event, api) {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
  const moves = { ArrowLeft: [60, 0], ArrowRight: [-60, 0], ArrowUp: [0, 60], ArrowDown: [0, -60] };
  if (moves[event.key]) {
    api.canvas.scroll({ dx: moves[event.key][0], dy: moves[event.key][1] });
  } else if (event.key === "+" || event.key === "=") {
    api.zoomBy(STEP);
  } else if (event.key === "-" || event.key === "_") {
    api.zoomBy(1 / STEP);
  } else if (event.key === "0") {
    api.fitWidth();
  } else {
    return;
  }
  event.preventDefault();
}

/** Size the stage to the diagram at the chosen scale (never taller than most of the window). */
function sizeStage(canvas, stage, scale) {
  const inner = canvas.viewbox().inner;
  const wanted = Math.round(inner.height * scale + 2 * MARGIN);
  const most = Math.max(320, Math.round(window.innerHeight * 0.75));
  stage.style.height = `${Math.min(Math.max(wanted, 240), most)}px`;
  canvas.resized();
}

function setView(canvas, x, y, scale) {
  const outer = canvas.viewbox().outer;
  canvas.viewbox({ x, y, width: outer.width / scale, height: outer.height / scale });
}

function fitWidth(canvas, stage) {
  const inner = canvas.viewbox().inner;
  const width = stage.clientWidth || 600;
  const scale = Math.min((width - 2 * MARGIN) / Math.max(inner.width, 1), 1.2);
  sizeStage(canvas, stage, scale);
  setView(canvas, inner.x - MARGIN / scale, inner.y - MARGIN / scale, scale);
  return scale;
}

function focusOn(canvas, registry, ids, stage) {
  const shapes = (ids || []).map((id) => registry.get(id)).filter((s) => s && !s.waypoints);
  const scale = READABLE * 1.3;
  sizeStage(canvas, stage, scale);
  const outer = canvas.viewbox().outer;
  const inner = canvas.viewbox().inner;
  const target = shapes[0];
  const x = target ? target.x + target.width / 2 - outer.width / scale / 2 : inner.x - MARGIN / scale;
  const y = target ? target.y + target.height / 2 - outer.height / scale / 2 : inner.y - MARGIN / scale;
  setView(canvas, x, y, scale);
}

/** Open the default view: fitted to the width when readable there, else readable around ``ids``. */
export function openView(api, ids) {
  const scale = fitWidth(api.canvas, api.stage);
  if (scale < READABLE) api.focusOn(ids && ids.length ? ids : null);
}

/** Mark shapes and the path taken: shapes done/open/failed; a flow between two reached shapes is "path". */
export function markStates(api, states) {
  const registry = api.viewer.get("elementRegistry");
  const reached = new Set([...(states.done || []), ...(states.open || [])]);
  for (const marker of ["done", "open", "failed"]) {
    for (const id of states[marker] || []) {
      if (registry.get(id)) api.canvas.addMarker(id, marker);
    }
  }
  for (const flow of registry.filter((e) => e.waypoints && e.source && e.target)) {
    if ((states.done || []).includes(flow.source.id) && reached.has(flow.target.id)) {
      api.canvas.addMarker(flow.id, "path");
    }
  }
}

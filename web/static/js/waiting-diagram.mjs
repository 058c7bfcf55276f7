// Where cases wait, as a heat map on the shared readable canvas (zoom, pan, keys: diagram-canvas.mjs): the
// process version's diagram with each step coloured by how many cases wait there now (none, low, medium,
// high) and a badge with the count, so colour is not the only cue (WCAG 2.2 1.4.1). Each badge and step links
// to the cases waiting there (?element=<id>). The median and 90th percentile show on hover and in the badge's
// accessible name. No inline script (CSP); the bpmn.io watermark stays, as the viewer's licence requires.
import { makeCanvas, openView } from "./diagram-canvas.mjs";

const LEVELS = ["none", "low", "medium", "high"];

function casesHref(id) {
  const url = new URL(window.location.href);
  url.searchParams.set("element", id);
  url.hash = "cases";
  return url.toString();
}

function days(value) {
  return value === null || value === undefined ? "–" : `${value}`;
}

function describe(step) {
  return `${step.name}: ${step.waiting} waiting now (${step.overdue} overdue); ` +
    `median ${days(step.median)}, 90th percentile ${days(step.p90)} working days; ` +
    `${step.breaches} of ${step.with_due_date} finished late`;
}

function badge(id, step) {
  const link = document.createElement("a");
  link.className = `app-heat-badge app-heat-badge--${step.level}`;
  link.href = casesHref(id);
  link.textContent = `${step.waiting}`;
  link.title = describe(step);
  link.setAttribute("aria-label", `${describe(step)}. List the cases waiting here`);
  return link;
}

function hoverText(gfx, text) {
  const title = document.createElementNS("http://www.w3.org/2000/svg", "title");
  title.textContent = text;
  gfx.prepend(title);
}

async function draw(container) {
  const response = await fetch(container.dataset.heatUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const heat = await response.json();
  if (!heat.xml) return;
  const api = makeCanvas(container, "the heat map");
  const { viewer, canvas } = api;
  await viewer.importXML(heat.xml);
  const registry = viewer.get("elementRegistry");
  const overlays = viewer.get("overlays");
  for (const [id, step] of Object.entries(heat.steps)) {
    if (!registry.get(id) || !LEVELS.includes(step.level)) continue;
    canvas.addMarker(id, "app-heat-step");
    canvas.addMarker(id, `app-heat--${step.level}`);
    // Never smaller than drawn, so each badge stays a 24px target when the diagram is zoomed out (WCAG 2.2 2.5.8).
    overlays.add(id, "app-heat", { position: { top: -12, right: 12 }, scale: { min: 1 }, html: badge(id, step) });
    hoverText(registry.getGraphics(id), describe(step));
  }
  viewer.get("eventBus").on("element.click", (event) => {
    if (heat.steps[event.element.id]) window.location.assign(casesHref(event.element.id));
  });
  const busiest = Object.entries(heat.steps).filter(([, s]) => s.waiting > 0)
    .sort((a, b) => b[1].waiting - a[1].waiting).map(([id]) => id);
  api.label(`Heat map of ${heat.process_id.replaceAll("_", " ")} version ${heat.version}`);
  openView(api, busiest);
  container.classList.add("app-diagram--ready");
}

if (window.BpmnJS) {
  for (const container of document.querySelectorAll(".app-heat-map[data-heat-url]")) draw(container).catch(() => {});
}

// Case diagrams: each .app-diagram names a JSON endpoint with the route's BPMN XML and the element ids
// done, open and failed; the bpmn.io viewer draws it and colours those elements. No inline script (CSP).
// The bpmn.io watermark stays: the viewer's licence requires it.
const MARKERS = ["done", "open", "failed"];

async function draw(container) {
  const response = await fetch(container.dataset.diagramUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const diagram = await response.json();
  const viewer = new window.BpmnJS({ container });
  await viewer.importXML(diagram.xml);
  const canvas = viewer.get("canvas");
  const registry = viewer.get("elementRegistry");
  for (const marker of MARKERS) {
    for (const id of diagram[marker] || []) {
      if (registry.get(id)) canvas.addMarker(id, marker);
    }
  }
  canvas.zoom("fit-viewport");
  container.classList.add("app-diagram--ready");
}

for (const container of document.querySelectorAll(".app-diagram[data-diagram-url]")) {
  if (window.BpmnJS) draw(container).catch(() => {});
}

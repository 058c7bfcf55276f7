// Read-only diagram of a process version on the shared readable canvas (zoom, pan, keys: diagram-canvas.mjs);
// on the compare page, marks added and changed elements. bpmn-js's navigated viewer is loaded by a plain
// script tag (window.BpmnJS); nothing runs inline.
import { makeCanvas, openView } from "./diagram-canvas.mjs";

const host = document.getElementById("diagram");

async function show() {
  if (!host || !window.BpmnJS) return;
  const response = await fetch(host.dataset.diagramUrl, { credentials: "same-origin" });
  const xml = await response.text();
  const api = makeCanvas(host, host.dataset.name || "the diagram");
  await api.viewer.importXML(xml);
  const changes = host.dataset.changes ? JSON.parse(host.dataset.changes) : null;
  if (changes) mark(api, changes);
  api.label(host.dataset.label || "Process diagram");
  openView(api, changes ? [...changes.added, ...changes.changed] : []);
}

function mark(api, changes) {
  const registry = api.viewer.get("elementRegistry");
  for (const [kind, ids] of [["added", changes.added], ["changed", changes.changed]]) {
    for (const id of ids) {
      if (registry.get(id)) api.canvas.addMarker(id, `app-marker--${kind}`);
    }
  }
}

show().catch((error) => {
  host.textContent = `The diagram could not be shown: ${error.message}`;
});

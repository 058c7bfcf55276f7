// Read-only diagram of a process version; on the compare page, marks added and changed elements.
// bpmn-js's navigated viewer is loaded by a plain script tag (window.BpmnJS); nothing runs inline.
const host = document.getElementById("diagram");

async function show() {
  if (!host || !window.BpmnJS) return;
  const viewer = new window.BpmnJS({ container: host });
  const response = await fetch(host.dataset.diagramUrl, { credentials: "same-origin" });
  await viewer.importXML(await response.text());
  const canvas = viewer.get("canvas");
  canvas.zoom("fit-viewport");
  if (host.dataset.changes) mark(viewer, JSON.parse(host.dataset.changes));
}

function mark(viewer, changes) {
  const registry = viewer.get("elementRegistry");
  const canvas = viewer.get("canvas");
  for (const [kind, ids] of [["added", changes.added], ["changed", changes.changed]]) {
    for (const id of ids) {
      if (registry.get(id)) canvas.addMarker(id, `app-marker--${kind}`);
    }
  }
}

show().catch((error) => {
  host.textContent = `The diagram could not be shown: ${error.message}`;
});

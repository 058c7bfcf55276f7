// The process modeller: bpmn-js Modeler with the Camunda Platform properties panel (docs/decisions.md, D1),
// pick lists from the server, an unsaved-changes guard, Check (server validation shown on the diagram, and
// what deploying would do: which version, from which base, what becomes of pilots and running cases) and
// Deploy (disabled until a check finds no problems and after any change since; the server validates again
// and refuses if the versions changed since the plan was shown).
const root = document.getElementById("modeller");
const ui = {
  check: document.getElementById("check"), deploy: document.getElementById("deploy"),
  status: document.getElementById("status"), problems: document.getElementById("problems"),
  list: document.getElementById("problem-list"), note: document.getElementById("note"),
  pilotField: document.getElementById("pilot-field"), pilotValue: document.getElementById("pilot-value"),
  plan: document.getElementById("plan"), planList: document.getElementById("plan-list"),
};
const PICK_LISTS = { formRef: "known-forms", candidateGroups: "known-groups", externalTopic: "known-topics" };
let modeler;
let dirty = false;
let marked = [];
let fingerprint = null;

function say(text) { ui.status.textContent = text; }

function setDeployable(yes) {
  ui.deploy.disabled = !yes;
  ui.deploy.setAttribute("aria-disabled", String(!yes));
  if (!yes) showPlan(null);
}

function showPlan(plan) {
  fingerprint = plan ? plan.fingerprint : null;
  ui.planList.replaceChildren();
  ui.plan.classList.toggle("app-hidden", !plan);
  if (!plan) return;
  for (const sentence of plan.versions.flatMap((v) => v.sentences)) {
    const item = document.createElement("li");
    item.textContent = sentence;
    ui.planList.append(item);
  }
}

function invalidate() {
  if (!ui.deploy.disabled) say("The choice changed: choose Check again before deploying.");
  setDeployable(false);
}

async function start() {
  const panel = window.BpmnJSPropertiesPanel;
  const camunda = await (await fetch(root.dataset.moddleUrl)).json();
  modeler = new window.BpmnJS({
    container: "#canvas",
    propertiesPanel: { parent: "#properties" },
    additionalModules: [panel.BpmnPropertiesPanelModule, panel.BpmnPropertiesProviderModule,
      panel.CamundaPlatformPropertiesProviderModule],
    moddleExtensions: { camunda },
  });
  const xml = await (await fetch(root.dataset.diagramUrl, { credentials: "same-origin" })).text();
  await modeler.importXML(xml);
  window.__frontdoorModeler = modeler; // for browser tests and the console; holds no secrets
  modeler.get("canvas").zoom(1);  // at real size: smaller zooms shrink buttons below 24px (WCAG 2.5.8)
  modeler.on("commandStack.changed", () => {
    dirty = true;
    setDeployable(false);
    say("Unsaved changes: choose Check before deploying.");
  });
  await fillPickLists();
  new MutationObserver(attachPickLists).observe(document.getElementById("properties"),
    { childList: true, subtree: true });
  say("Diagram loaded.");
}

async function fillPickLists() {
  const known = await (await fetch(root.dataset.catalogueUrl, { credentials: "same-origin" })).json();
  for (const [kind, listId] of [["forms", "known-forms"], ["groups", "known-groups"], ["topics", "known-topics"]]) {
    const list = document.getElementById(listId);
    for (const item of known[kind]) {
      const option = document.createElement("option");
      option.value = item.id;
      option.label = item.name;
      list.append(option);
    }
  }
}

function attachPickLists() {
  for (const [field, listId] of Object.entries(PICK_LISTS)) {
    const input = document.getElementById(`bio-properties-panel-${field}`);
    if (input && input.getAttribute("list") !== listId) input.setAttribute("list", listId);
  }
}

function clearProblems() {
  const canvas = modeler.get("canvas");
  for (const id of marked) canvas.removeMarker(id, "app-marker--problem");
  modeler.get("overlays").remove({ type: "problem" });
  marked = [];
  ui.list.replaceChildren();
  ui.problems.classList.add("app-hidden");
}

function showProblems(problems) {
  clearProblems();
  if (!problems.length) return;
  const registry = modeler.get("elementRegistry");
  const counts = {};
  for (const problem of problems) {
    const item = document.createElement("li");
    const known = problem.element_id && registry.get(problem.element_id);
    if (known) {
      counts[problem.element_id] = (counts[problem.element_id] || 0) + 1;
      const link = document.createElement("a");
      link.href = "#canvas";
      link.textContent = `${known.businessObject.name || problem.element_id}: ${problem.message}`;
      link.addEventListener("click", () => modeler.get("selection").select(known));
      item.append(link);
    } else {
      item.textContent = problem.message;
    }
    ui.list.append(item);
  }
  for (const [id, count] of Object.entries(counts)) {
    modeler.get("canvas").addMarker(id, "app-marker--problem");
    marked.push(id);
    const badge = document.createElement("span");
    badge.className = "app-problem-badge";
    badge.textContent = `${count} problem${count > 1 ? "s" : ""}`;
    modeler.get("overlays").add(id, "problem", { position: { top: -12, left: 0 }, html: badge });
  }
  ui.problems.classList.remove("app-hidden");
  ui.problems.focus();
}

async function post(url, body, type) {
  return fetch(url, { method: "POST", credentials: "same-origin", body,
    headers: { "Content-Type": type, "X-CSRF-Token": root.dataset.csrf } });
}

function deployAs() {
  const chosen = document.querySelector('input[name="deploy_as"]:checked') ||
    document.querySelector('input[name="deploy_as"][type="hidden"]');
  return chosen ? chosen.value : "current";
}

function pilotRule() {
  if (deployAs() !== "pilot") return null;
  const field = ui.pilotField.value.trim();
  return field ? { field, equals: ui.pilotValue.value.trim() } : null;
}

function request(xml, extra) {
  return JSON.stringify({ xml, base: Number(root.dataset.base), pilot_rule: pilotRule(), ...extra });
}

async function check() {
  if (deployAs() === "pilot" && root.dataset.basePilot !== "yes" && !pilotRule()) {
    showProblems([{ message: "Say which cases the pilot is for: a field, and the value it must equal" }]);
    setDeployable(false);
    return;
  }
  const { xml } = await modeler.saveXML({ format: true });
  const result = await (await post(root.dataset.checkUrl, request(xml), "application/json")).json();
  showProblems(result.problems);
  setDeployable(result.problems.length === 0);
  showPlan(result.plan);
  say(result.problems.length ? `${result.problems.length} problem(s) found.`
    : "No problems found: read what deploying will do, then deploy.");
}

async function deploy() {
  const { xml } = await modeler.saveXML({ format: true });
  const body = request(xml, { note: ui.note.value, fingerprint });
  const response = await post(root.dataset.deployUrl, body, "application/json");
  const result = await response.json();
  if (result.problems && result.problems.length) {
    showProblems(result.problems);
    setDeployable(false);
    say("Nothing was deployed: fix the problems above, or check again.");
    return;
  }
  dirty = false;
  setDeployable(false);
  say(result.created ? `Deployed as version ${result.version}.` : `Nothing changed: version ${result.version} already has this content.`);
  const link = document.createElement("a");
  link.className = "govuk-link";
  link.href = result.url;
  link.textContent = ` View version ${result.version}`;
  ui.status.append(link);
}

window.addEventListener("beforeunload", (event) => {
  if (dirty) event.preventDefault();
});
for (const input of document.querySelectorAll('input[name="deploy_as"], #pilot-field, #pilot-value')) {
  input.addEventListener("input", invalidate);
  input.addEventListener("change", invalidate);
}
ui.check.addEventListener("click", () => check().catch((e) => say(`Check failed: ${e.message}`)));
ui.deploy.addEventListener("click", () => deploy().catch((e) => say(`Deploy failed: ${e.message}`)));
start().catch((error) => say(`The modeller could not start: ${error.message}`));

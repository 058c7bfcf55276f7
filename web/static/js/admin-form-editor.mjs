// The form editor: form-js's editor (window.FormEditor, loaded by a plain script tag; nothing inline),
// Check (server validation, including fields a route's conditions still read, and what saving would do:
// which versions, from which, what becomes of pilots and running cases) and Save (disabled until a check
// finds no problems; the server checks again and refuses if the versions changed since the plan was shown).
// An unsaved-changes guard as in the modeller.
const root = document.getElementById("form-editor");
const ui = {
  check: document.getElementById("check"), save: document.getElementById("save"),
  status: document.getElementById("status"), problems: document.getElementById("problems"),
  list: document.getElementById("problem-list"),
  plan: document.getElementById("plan"), planList: document.getElementById("plan-list"),
};
let editor;
let dirty = false;
let fingerprint = null;

function say(text) { ui.status.textContent = text; }

function setSavable(yes) {
  ui.save.disabled = !yes;
  ui.save.setAttribute("aria-disabled", String(!yes));
  if (!yes) showPlan(null);
}

function showPlan(plan) {
  fingerprint = plan ? plan.fingerprint : null;
  ui.planList.replaceChildren();
  ui.plan.classList.toggle("app-hidden", !plan || !plan.versions.length);
  if (!plan) return;
  for (const sentence of plan.versions.flatMap((v) => v.sentences)) {
    const item = document.createElement("li");
    item.textContent = sentence;
    ui.planList.append(item);
  }
}

async function start() {
  const response = await fetch(root.dataset.formUrl, { credentials: "same-origin" });
  const schema = await response.json();
  editor = await window.FormEditor.createFormEditor({ container: root, schema });
  window.__frontdoorFormEditor = editor; // for browser tests and the console; holds no secrets
  editor.on("changed", () => {
    dirty = true;
    setSavable(false);
    say("Unsaved changes: choose Check before saving.");
  });
  say("Form loaded.");
}

function showProblems(problems) {
  ui.list.replaceChildren();
  ui.problems.classList.toggle("app-hidden", problems.length === 0);
  for (const problem of problems) {
    const item = document.createElement("li");
    const where = problem.element_id ? `${problem.element_id}${problem.file ? ` (${problem.file})` : ""}: ` : "";
    item.textContent = `${where}${problem.message}`;
    ui.list.append(item);
  }
  if (problems.length) ui.problems.focus();
}

async function post(url) {
  const body = JSON.stringify(editor.saveSchema());
  return fetch(url, { method: "POST", credentials: "same-origin", body,
    headers: { "Content-Type": "application/json", "X-CSRF-Token": root.dataset.csrf } });
}

async function check() {
  const result = await (await post(root.dataset.checkUrl)).json();
  showProblems(result.problems);
  setSavable(result.problems.length === 0);
  showPlan(result.plan);
  say(result.problems.length ? `${result.problems.length} problem(s) found.`
    : "No problems found: read what saving will do, then save.");
}

async function save() {
  const url = fingerprint ? `${root.dataset.saveUrl}?expected=${encodeURIComponent(fingerprint)}` : root.dataset.saveUrl;
  const result = await (await post(url)).json();
  showProblems(result.problems || []);
  if (result.problems && result.problems.length) {
    setSavable(false);
    say("Nothing was saved: fix the problems above, or check again.");
    return;
  }
  dirty = false;
  setSavable(false);
  if (result.form_version !== undefined) { // a form no process uses yet: the form library keeps it
    say(result.created ? `Saved as version ${result.form_version} of the form.`
      : `Nothing changed: version ${result.form_version} of the form already has this content.`);
    return;
  }
  const versions = result.versions.map((v) => `${v.process_id} version ${v.version}`).join(", ");
  say(result.created ? `Saved: ${versions}.` : `Nothing changed: ${versions} already have this form.`);
}

window.addEventListener("beforeunload", (event) => {
  if (dirty) event.preventDefault();
});
ui.check.addEventListener("click", () => check().catch((e) => say(`Check failed: ${e.message}`)));
ui.save.addEventListener("click", () => save().catch((e) => say(`Save failed: ${e.message}`)));
start().catch((e) => say(`The form could not be opened: ${e.message}`));

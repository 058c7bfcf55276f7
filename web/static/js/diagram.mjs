// Case diagrams: one per route. Each .app-diagram names a JSON endpoint with the route's BPMN, the element ids
// done, open and failed, and the same for each process it called. The shared canvas draws it (zoom, pan,
// keyboard); finished steps, current steps and the path taken are coloured, and a called process the case
// went into opens from its step ("Open") or from the line saying where the case is now. No inline script (CSP).
import { makeCanvas, markStates, openView } from "./diagram-canvas.mjs";

const STEP_TYPES = /Task$|CallActivity|SubProcess|IntermediateCatchEvent|ReceiveTask/;

function namesOf(api, ids) {
  const registry = api.viewer.get("elementRegistry");
  return ids.map((id) => registry.get(id)).filter((e) => e && STEP_TYPES.test(e.type) && e.type !== "bpmn:BoundaryEvent")
    .map((e) => e.businessObject.name || e.id);
}

function linkButton(text, onClick) {
  const b = document.createElement("button");
  b.type = "button";
  b.className = "app-link-button govuk-link";
  b.textContent = text;
  b.addEventListener("click", onClick);
  return b;
}

class RouteDiagram {
  constructor(figure, container, data) {
    this.figure = figure;
    this.route = container.dataset.routeName || data.process_id;
    this.api = makeCanvas(container, `the ${this.route} diagram`);
    this.trail = figure.querySelector(".app-diagram-trail");
    this.now = figure.querySelector(".app-diagram-now");
    this.stack = [{ level: data, name: this.route }];
  }

  async show() {
    const { level } = this.stack[this.stack.length - 1];
    await this.api.viewer.importXML(level.xml);
    markStates(this.api, level);
    this.drillButtons(level);
    this.api.label(`Diagram of ${this.stack.map((s) => s.name).join(", inside ")}`);
    openView(this.api, level.open);
    this.renderTrail();
    this.renderNow(level);
  }

  callName(call) {
    const element = this.api.viewer.get("elementRegistry").get(call.element_id);
    return (element && element.businessObject.name) || call.process_id;
  }

  enter(call) {
    this.stack.push({ level: call, name: this.callName(call) });
    this.show().then(() => this.trail.querySelector("[aria-current]")?.focus());
  }

  drillButtons(level) {
    const overlays = this.api.viewer.get("overlays");
    for (const call of level.calls || []) {
      if (!this.api.viewer.get("elementRegistry").get(call.element_id)) continue;
      const open = linkButton("Open", () => this.enter(call));
      open.className = "app-drill-button";
      open.setAttribute("aria-label", `Open ${this.callName(call)}: the steps inside it`);
      overlays.add(call.element_id, "app-drill", { position: { bottom: 4, right: 4 }, scale: { min: 1 }, html: open });
    }
  }

  renderTrail() {
    const list = document.createElement("ol");
    list.className = "app-diagram-trail__list";
    this.stack.forEach((entry, index) => {
      const item = document.createElement("li");
      if (index === this.stack.length - 1) {
        const here = document.createElement("span");
        here.textContent = entry.name;
        here.setAttribute("aria-current", "location");
        here.tabIndex = -1;
        item.append(here);
      } else {
        item.append(linkButton(entry.name, () => { this.stack.length = index + 1; this.show(); }));
      }
      list.append(item);
    });
    this.trail.replaceChildren(list);
    this.trail.hidden = this.stack.length < 2;
  }

  renderNow(level) {
    const here = namesOf(this.api, level.open || []);
    const parts = [document.createTextNode(here.length ? `Now at: ${here.join("; ")}.` : "Nothing is waiting here now.")];
    for (const call of level.calls || []) {
      if (!(call.open || []).length) continue;
      parts.push(document.createTextNode(" "));
      parts.push(linkButton(`See the steps inside ${this.callName(call)}`, () => this.enter(call)));
    }
    this.now.replaceChildren(...parts);
  }
}

async function draw(figure) {
  const container = figure.querySelector(".app-diagram[data-diagram-url]");
  const response = await fetch(container.dataset.diagramUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const diagram = new RouteDiagram(figure, container, await response.json());
  await diagram.show();
  container.classList.add("app-diagram--ready");
}

if (window.BpmnJS) {
  for (const figure of document.querySelectorAll(".app-route-diagram")) draw(figure).catch(() => {});
}

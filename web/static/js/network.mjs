// The network: cytoscape.js (from npm, served from our origin) draws the nodes and links listed below it.
// Clicking a node opens its case; for a case you have no need to know, that page asks for a reason.
import cytoscape from "../vendor/cytoscape/cytoscape.esm.min.mjs";

const box = document.getElementById("network");
const data = document.getElementById("network-data");
const COLOURS = { child: "#1d70b8", context: "#00703c", associate: "#6f72af" };

if (box && data) {
  const net = JSON.parse(data.textContent);
  box.hidden = false;
  const elements = [
    ...net.nodes.map((n) => ({ data: { id: n.id, label: n.label, kind: n.kind, href: n.href || "" },
                               classes: (n.masked ? "masked " : "") + (n.id === net.centre ? "centre" : "") })),
    ...net.edges.map((e, i) => ({ data: { id: `e${i}`, source: e.source, target: e.target, label: e.role } })),
  ];
  const cy = cytoscape({
    container: box, elements, maxZoom: 1.2,
    layout: { name: "concentric", concentric: (node) => (node.id() === net.centre ? 3 : 1), minNodeSpacing: 40 },
    style: [
      { selector: "node", style: { label: "data(label)", "font-size": 12, "text-wrap": "wrap", "text-max-width": 140,
                                   "background-color": (n) => COLOURS[n.data("kind")] || "#505a5f", color: "#0b0c0c" } },
      { selector: "node.masked", style: { "background-color": "#b1b4b6" } },
      { selector: "node.centre", style: { "border-width": 4, "border-color": "#ffdd00" } },
      { selector: "edge", style: { label: "data(label)", "font-size": 10, width: 2, "line-color": "#b1b4b6",
                                   "curve-style": "bezier", color: "#505a5f" } },
    ],
  });
  cy.on("tap", "node", (event) => {
    const href = event.target.data("href");
    if (href) window.location.assign(href);
  });
  box.dataset.ready = String(cy.nodes().length);
}

// The map: Leaflet (from npm, served from our origin) draws the points of the table below it, clustered.
// Without a tile server the map is a plain background with the points and a scale; the table is the same
// data for everyone, with or without scripts.
const box = document.getElementById("map");
const data = document.getElementById("map-points");
const L = window.L;

function text(value) {
  const span = document.createElement("span");
  span.textContent = value;
  return span.innerHTML;
}

function popup(point) {
  const label = point.href ? `<a href="${text(point.href)}">${text(point.label)}</a>` : text(point.label);
  const harms = point.harms.length ? point.harms.map(text).join(", ") : "No type of harm given";
  return `<strong>${label}</strong><br>${point.kind === "context" ? "Context" : "Referral place"}, ${text(point.status)}<br>${harms}`;
}

if (box && data && L) {
  const points = JSON.parse(data.textContent);
  box.hidden = false;
  const map = L.map(box, { scrollWheelZoom: false, maxZoom: 19 });
  if (box.dataset.tiles) {
    L.tileLayer(box.dataset.tiles, { maxZoom: 19, attribution: text(box.dataset.attribution || "") }).addTo(map);
  }
  L.control.scale({ imperial: false }).addTo(map);
  const cluster = L.markerClusterGroup ? L.markerClusterGroup({ showCoverageOnHover: false }) : L.layerGroup();
  for (const point of points) {
    const marker = L.circleMarker([point.lat, point.lon], {
      radius: point.kind === "context" ? 9 : 6, weight: 2,
      color: point.kind === "context" ? "#1d70b8" : "#d4351c", fillOpacity: 0.6,
    });
    cluster.addLayer(marker.bindPopup(popup(point)));
  }
  map.addLayer(cluster);
  if (points.length) {
    map.fitBounds(L.latLngBounds(points.map((p) => [p.lat, p.lon])).pad(0.2), { maxZoom: 16 });
  } else {
    map.setView([54.0, -2.0], 6);
  }
  box.dataset.ready = String(points.length);
}

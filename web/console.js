// The dispatch console: an incident (map click or typed) -> POST /api/dispatch -> every
// responder's route in its own colour, an ETA table, 5/8/12-minute drive isochrones, and a
// replan when a volunteer declines or a road is reported blocked (a map click while "blocked
// road" is ticked; POST /api/dispatch/{id}/replan). Then the incident is followed live
// (console-live.js: alerts, positions, ETAs, timeline, from the incident's event stream), a
// plan the server makes after a decline or a time-out is shown as it is sent, and the
// dispatcher closes the incident with its outcome. Open incidents are listed to pick from.
/* global maplibregl */
import {
  api, emptyCollection, escapeHtml, initLanguage, loaded, makeMap, minutes, startView, t,
  wireTokenForm,
} from "./common.js";
import { LiveIncident, listIncidents } from "./console-live.js";

const TOKEN_KEY = "rc.dispatcher_token";
const VOLUNTEER_COLOURS = ["#1565c0", "#00838f", "#6a1b9a"];
const COLOURS = { ambulance: "#d32f2f", runner_to_aed: "#ef6c00", runner_to_patient: "#2e7d32",
  drone: "#c2185b" };
const ISO_COLOURS = ["match", ["get", "minutes"], 5, "#2e7d32", 8, "#f9a825", "#c62828"];
const state = { incident: null, plan: null, markers: [], pads: {}, blocked: [] };
const INCIDENTS_EVERY_MS = 15000;

const view = await startView();
const map = makeMap("map", view);
window.rcMap = map;
initLanguage(() => renderPlan());

await loaded(map);
map.addSource("isochrones", { type: "geojson", data: emptyCollection() });
map.addLayer({ id: "isochrones", type: "fill", source: "isochrones",
  layout: { visibility: "none" },
  paint: { "fill-color": ISO_COLOURS, "fill-opacity": 0.07 } });
map.addLayer({ id: "isochrones-line", type: "line", source: "isochrones",
  layout: { visibility: "none" }, paint: { "line-color": ISO_COLOURS, "line-width": 2.5 } });
map.addSource("routes", { type: "geojson", data: emptyCollection() });
map.addLayer({ id: "routes-casing", type: "line", source: "routes",
  layout: { "line-cap": "round", "line-join": "round" },
  paint: { "line-color": "#fff", "line-width": 7 } });
map.addLayer({ id: "routes", type: "line", source: "routes",
  layout: { "line-cap": "round", "line-join": "round" },
  paint: { "line-color": ["get", "colour"], "line-width": 4,
           "line-dasharray": ["case", ["==", ["get", "role"], "drone"], ["literal", [2, 1.5]],
                              ["literal", [1, 0]]] } });

map.addSource("blocked", { type: "geojson", data: emptyCollection() });
map.addLayer({ id: "blocked", type: "circle", source: "blocked",
  paint: { "circle-radius": 7, "circle-color": "#000", "circle-stroke-color": "#ffeb3b",
           "circle-stroke-width": 3 } });

const live = new LiveIncident(map, { token, onPlan: planSent, onClosed: incidentClosed });
window.rcLive = live; // for the browser tests
wireTokenForm(TOKEN_KEY, showToken);
setInterval(refreshIncidents, INCIDENTS_EVERY_MS);
document.getElementById("close-form").addEventListener("submit", (event) => {
  event.preventDefault();
  closeIncident();
});
map.on("click", (event) => {
  const blocking = document.getElementById("block-road");
  if (blocking.checked && state.plan) {
    blocking.checked = false;
    replan({ blocked: [[event.lngLat.lng, event.lngLat.lat]] });
    return;
  }
  document.getElementById("lon").value = event.lngLat.lng.toFixed(6);
  document.getElementById("lat").value = event.lngLat.lat.toFixed(6);
  dispatch();
});
document.getElementById("incident-form").addEventListener("submit", (event) => {
  event.preventDefault();
  dispatch();
});
document.getElementById("isochrones").addEventListener("change", toggleIsochrones);

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function showToken() {
  const who = document.getElementById("whoami");
  const signedIn = Boolean(token());
  document.getElementById("sign-out").hidden = !signedIn;
  document.getElementById("token").hidden = signedIn;
  document.getElementById("sign-in").hidden = signedIn;
  if (!signedIn) { who.textContent = ""; live.stop(); return; }
  try {
    const me = await api("/api/whoami", { token: token() });
    who.textContent = `${me.role}${me.label ? ` · ${me.label}` : ""}`;
  } catch (error) {
    who.textContent = `${t("error")}: ${error.message}`;
  }
  refreshIncidents();
}

function refreshIncidents() {
  if (token()) listIncidents(token(), pick, live.incidentId);
}

/** Show an open incident from the list: its newest plan, then follow it live. */
async function pick(incidentId) {
  document.body.dataset.state = "loading";
  try {
    const incident = await api(`/api/incidents/${incidentId}`, { token: token() });
    state.incident = [incident.lon, incident.lat];
    state.blocked = [];
    showBlocked();
    state.plan = null;
    if (incident.dispatch_id != null) await showPlan(await storedPlan(incident.dispatch_id));
    else renderPlan();
    live.follow(incidentId);
    refreshIncidents();
  } catch (error) {
    message(`${t("error")} ${error.status || ""}: ${error.message}`, true);
  }
  document.body.dataset.state = "ready";
}

async function storedPlan(dispatchId) {
  const stored = await api(`/api/dispatch/${dispatchId}`, { token: token() });
  return { id: stored.id, incident_id: stored.incident_id, ...stored.plan };
}

/** A plan was sent for the incident followed (a replan after a decline or a time-out, or
 * one this console asked for): show it unless a newer one is on screen already. */
async function planSent(dispatchId) {
  if (state.plan && dispatchId <= state.plan.id) return;
  const followed = live.incidentId;
  try {
    const plan = await storedPlan(dispatchId);
    if (live.incidentId !== followed || (state.plan && plan.id <= state.plan.id)) return;
    await showPlan(plan, { fit: false });
  } catch (error) {
    message(`${t("error")} ${error.status || ""}: ${error.message}`, true);
  }
}

function incidentClosed() {
  message(t("incident_closed"));
  refreshIncidents();
}

async function closeIncident() {
  const rosc = document.getElementById("rosc").value;
  const body = { outcome: document.getElementById("outcome").value };
  if (rosc) body.rosc = rosc === "yes";
  try {
    await api(`/api/incidents/${live.incidentId}/close`, { method: "POST", token: token(), body });
  } catch (error) {
    message(`${t("error")} ${error.status || ""}: ${error.message}`, true);
  }
}

function message(text, isError = false) {
  const el = document.getElementById("message");
  el.textContent = text;
  el.className = isError ? "hint error" : "hint";
}

async function dispatch() {
  const lon = parseFloat(document.getElementById("lon").value);
  const lat = parseFloat(document.getElementById("lat").value);
  if (!Number.isFinite(lon) || !Number.isFinite(lat)) return;
  state.incident = [lon, lat];
  state.blocked = [];
  showBlocked();
  document.body.dataset.state = "loading";
  message("…");
  try {
    const body = { point: [lon, lat] };
    const category = document.getElementById("category").value;
    const floor = parseInt(document.getElementById("floor").value, 10);
    if (category) body.category = category;           // none: untriaged, the full response
    if (Number.isInteger(floor) && floor !== 0) body.floor = floor;
    const plan = await api("/api/dispatch", { method: "POST", token: token(), body });
    await showPlan(plan);
    live.follow(plan.incident_id);
    refreshIncidents();
    if (document.getElementById("isochrones").checked) await loadIsochrones();
  } catch (error) {
    message(`${t("error")} ${error.status || ""}: ${error.message}`, true);
  }
  document.body.dataset.state = "ready";
}

/** Plan again for the same incident: ``{declined: [id]}`` or ``{blocked: [[lon, lat]]}``. */
async function replan(change) {
  document.body.dataset.state = "loading";
  try {
    const plan = await api(`/api/dispatch/${state.plan.id}/replan`, { method: "POST",
      token: token(), body: change });
    state.blocked.push(...(change.blocked || []));
    showBlocked();
    await showPlan(plan);
  } catch (error) {
    message(`${t("error")} ${error.status || ""}: ${error.message}`, true);
  }
  document.body.dataset.state = "ready";
}

function showBlocked() {
  map.getSource("blocked").setData({ type: "FeatureCollection", features: state.blocked.map(
    (c) => ({ type: "Feature", properties: {}, geometry: { type: "Point", coordinates: c } })) });
}

/** The drone flies, it follows no road: its leg is drawn from its pad to the patient. */
async function addDroneFlight(plan) {
  if (!plan.drone || (plan.drone.routes && plan.drone.routes.length)) return;
  const id = plan.drone.pad_id;
  if (!state.pads[id]) {
    try {
      state.pads[id] = (await api(`/ogc/collections/drone_pads/items/${id}?f=json`)).geometry.coordinates;
    } catch (error) { return; }
  }
  plan.drone.routes = [{ type: "Feature", properties: { straight: true },
    geometry: { type: "LineString", coordinates: [state.pads[id], state.incident] } }];
}

async function showPlan(plan, { fit = true } = {}) {
  await addDroneFlight(plan);
  state.plan = plan;
  if (plan.ambulance) live.noteAmbulance(plan.ambulance.ambulance_id, plan.ambulance.call_sign);
  message("");
  renderPlan();
  live.render();
  if (!fit) return;
  const bounds = new maplibregl.LngLatBounds(state.incident, state.incident);
  for (const f of routeFeatures(plan)) {
    for (const c of f.geometry.coordinates) bounds.extend(c);
  }
  map.fitBounds(bounds, { padding: 50, maxZoom: 16, duration: 0 });
}

/** Every leg of the plan as one line feature, with its role, label and colour. */
function legs(plan) {
  const out = [];
  if (plan.ambulance) {
    out.push({ role: "ambulance", label: `${t("ambulance")} ${plan.ambulance.call_sign} (${t("station")} ${plan.ambulance.station_id})`,
      short: t("ambulance"), eta_s: plan.ambulance.eta_s, colour: COLOURS.ambulance, routes: plan.ambulance.routes,
      extra: `${t("target")} ${minutes(plan.ambulance.target_s)}`,
      ok: plan.ambulance.within_target });
  }
  plan.volunteers.forEach((v, i) => out.push({ role: "volunteer", id: v.volunteer_id,
    label: `${t("volunteer")} ${v.volunteer_id}`, short: `V${v.volunteer_id}`, eta_s: v.eta_s,
    colour: VOLUNTEER_COLOURS[i % VOLUNTEER_COLOURS.length], routes: v.routes }));
  if (plan.aed_runner) {
    const r = plan.aed_runner;
    out.push({ role: "runner", id: r.volunteer_id,
      label: `${t("runner")} ${r.volunteer_id} → ${t("aed")} ${r.aed_id}`, short: `R${r.volunteer_id}`,
      eta_s: r.aed_eta_s, colour: COLOURS.runner_to_aed, routes: r.routes,
      colours: [COLOURS.runner_to_aed, COLOURS.runner_to_patient], aed_id: r.aed_id });
  }
  if (plan.drone) {
    out.push({ role: "drone", label: `${t("drone")} (${t("pad")} ${plan.drone.pad_id})`, short: t("drone"),
      eta_s: plan.drone.eta_s, colour: COLOURS.drone, routes: plan.drone.routes });
  }
  return out;
}

function routeFeatures(plan) {
  const features = [];
  for (const leg of legs(plan)) {
    (leg.routes || []).forEach((route, i) => {
      if (!route || !route.geometry) return;
      features.push({ type: "Feature", geometry: route.geometry, properties: {
        role: leg.role, colour: leg.colours ? leg.colours[i] || leg.colour : leg.colour,
        part: i } });
    });
  }
  return features;
}

function renderPlan() {
  for (const m of state.markers) m.remove();
  state.markers = [];
  const plan = state.plan;
  document.getElementById("plan").hidden = !plan;
  if (!plan) return;
  document.getElementById("plan-id").textContent = plan.id;
  const circle = document.getElementById("circle");
  circle.textContent = plan.circle_holds ? `✔ ${t("circle_holds")}` : `✘ ${t("circle_broken")}`;
  circle.className = plan.circle_holds ? "ok" : "bad";
  map.getSource("routes").setData({ type: "FeatureCollection", features: routeFeatures(plan) });
  const body = document.querySelector("#eta-table tbody");
  body.innerHTML = "";
  for (const leg of legs(plan)) {
    const tr = document.createElement("tr");
    tr.dataset.role = leg.role;
    if (leg.id != null) tr.dataset.volunteerId = leg.id;
    const swatches = (leg.colours || [leg.colour]).map(
      (c) => `<span class="swatch" style="background:${c}"></span>`).join(" ");
    const status = leg.ok === undefined ? (leg.extra || "")
      : `<span class="${leg.ok ? "ok" : "bad"}">${escapeHtml(leg.extra)}</span>`;
    tr.innerHTML = `<td>${swatches}</td><td>${escapeHtml(leg.label)}</td>
      <td data-eta-s="${leg.eta_s}">${minutes(leg.eta_s)}</td><td>${status}</td>`;
    if (leg.role === "volunteer" || leg.role === "runner") {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "decline";
      button.textContent = t("decline");
      button.addEventListener("click", () => replan({ declined: [leg.id] }));
      tr.lastElementChild.appendChild(button);
    }
    body.appendChild(tr);
    const start = leg.routes && leg.routes[0] && leg.routes[0].geometry.coordinates[0];
    if (start) addLabel(start, leg.short, leg.colour);
    if (leg.role === "runner" && leg.routes[1]) {
      addLabel(leg.routes[1].geometry.coordinates[0], `${t("aed")} ${leg.aed_id}`, COLOURS.runner_to_patient);
    }
  }
  for (const b of plan.backups || []) {
    const tr = document.createElement("tr");
    tr.dataset.role = "backup";
    tr.innerHTML = `<td></td><td class="muted">${t("backups")}: ${t("volunteer")} ${b.volunteer_id}</td>
      <td class="muted">${minutes(b.eta_s)}</td><td></td>`;
    body.appendChild(tr);
  }
  const incident = document.createElement("div");
  incident.className = "label";
  incident.style.cssText = "background:#b71c1c;color:#fff;font-weight:700";
  incident.textContent = "✚";
  state.markers.push(new maplibregl.Marker({ element: incident }).setLngLat(state.incident).addTo(map));
  document.getElementById("summary").textContent =
    `${t("first_arrival")}: ${minutes(plan.first_arrival_s)} · ${t("aed_arrival")}: ${minutes(plan.aed_arrival_s)}`;
}

function addLabel(lonlat, text, colour) {
  const el = document.createElement("div");
  el.className = "label";
  el.style.borderColor = colour;
  el.style.color = colour;
  el.textContent = text;
  state.markers.push(new maplibregl.Marker({ element: el, anchor: "bottom" }).setLngLat(lonlat).addTo(map));
}

async function loadIsochrones() {
  if (!state.incident) return;
  const data = await api("/ogc/processes/isochrone/execution", { method: "POST",
    body: { inputs: { point: state.incident, mode: "drive", minutes: [5, 8, 12] } } });
  map.getSource("isochrones").setData(data);
  const bounds = new maplibregl.LngLatBounds(state.incident, state.incident);
  for (const feature of data.features) {
    for (const polygon of feature.geometry.type === "Polygon" ? [feature.geometry.coordinates]
      : feature.geometry.coordinates) {
      for (const c of polygon[0]) bounds.extend(c);
    }
  }
  map.fitBounds(bounds, { padding: 30, duration: 0 });
}

async function toggleIsochrones() {
  const on = document.getElementById("isochrones").checked;
  for (const id of ["isochrones", "isochrones-line"]) {
    map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
  }
  if (on) {
    document.body.dataset.state = "loading";
    try { await loadIsochrones(); } catch (error) { message(`${t("error")}: ${error.message}`, true); }
    document.body.dataset.state = "ready";
  }
}

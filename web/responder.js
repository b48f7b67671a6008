// The responder page, for a volunteer's phone: the token is pasted once (or arrives in the
// link's #token= fragment from a QR code, never sent to the server in a URL) and kept in
// localStorage; the page long-polls GET /api/responder/alerts and shows the alert, the route
// to the patient (or via the AED) on our own tiles, a countdown to the deadline, Accept and
// Decline, then "AED collected" and "Arrived"; while on the way it sends the phone's position
// (POST /api/responder/position) and shows the ETA computed from it. An alert that leaves the
// active list is asked for once more (GET /api/responder/alerts/{id}) to say why.
/* global maplibregl */
import {
  api, emptyCollection, escapeHtml, initLanguage, loaded, makeMap, minutes, startView, t,
} from "./common.js";

const TOKEN_KEY = "rc.volunteer_token";
const WAIT_S = 25;               // long-poll; the server holds it at most 30 s
const ARRIVED_CHECK_MS = 3000;   // after arrival, how often to ask whether the incident closed
const RETRY_MS = 3000;
const POSITION_EVERY_MS = 5000;  // at most one position report per 5 s while on the way
const COLOURS = { to_aed: "#ef6c00", to_patient: "#2e7d32" };
const NOTICES = { stood_down: "notice_stood_down", withdrawn: "notice_withdrawn",
  timed_out: "notice_timed_out", declined: "notice_declined" };

const state = { alert: null, version: null, run: 0, markers: {}, watch: null, lastSent: 0,
  position: null, sendTimer: null, sending: false, etaAt: null, fitted: null };

takeTokenFromLink();
const view = await startView(14);
const map = makeMap("map", view);
window.rcMap = map; // for the browser tests
initLanguage(() => render());

await loaded(map);
map.addSource("route", { type: "geojson", data: emptyCollection() });
map.addLayer({ id: "route-casing", type: "line", source: "route",
  layout: { "line-cap": "round", "line-join": "round" },
  paint: { "line-color": "#ffffff", "line-width": 10 } });
map.addLayer({ id: "route", type: "line", source: "route",
  layout: { "line-cap": "round", "line-join": "round" },
  paint: { "line-color": ["get", "colour"], "line-width": 6 } });

document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = document.getElementById("token").value.trim();
  document.getElementById("token").value = "";
  if (value) localStorage.setItem(TOKEN_KEY, value);
  start();
});
document.getElementById("sign-out").addEventListener("click", () => {
  localStorage.removeItem(TOKEN_KEY);
  start();
});
document.getElementById("accept").addEventListener("click", () => act("accept"));
document.getElementById("decline").addEventListener("click", () => act("decline"));
document.getElementById("aed-collected").addEventListener("click", () => act("aed-collected"));
document.getElementById("arrived").addEventListener("click", () => act("arrived"));
setInterval(renderCountdown, 1000);
start();

function token() { return localStorage.getItem(TOKEN_KEY); }
function sleep(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

/** A link like /responder#token=… (what the QR code holds): keep the token, drop it from
 * the address bar and the history. */
function takeTokenFromLink() {
  const found = new URLSearchParams(location.hash.slice(1)).get("token");
  if (!found) return;
  localStorage.setItem(TOKEN_KEY, found);
  history.replaceState(null, "", location.pathname + location.search);
}

function message(text, isError = false) {
  const el = document.getElementById("message");
  el.textContent = text;
  el.className = isError ? "hint error" : "hint";
}

function notice(key) {
  const el = document.getElementById("notice");
  el.hidden = !key;
  el.dataset.kind = key || "";
  el.textContent = key ? t(key) : "";
}

/** Sign in (or out) and (re)start the alert loop; an older loop stops at its next turn. */
async function start() {
  state.run += 1;
  setAlert(null);
  const signedIn = Boolean(token());
  document.getElementById("token-form").hidden = signedIn;
  document.getElementById("sign-out").hidden = !signedIn;
  document.getElementById("whoami").textContent = "";
  if (!signedIn) { document.body.dataset.state = "signed-out"; return; }
  try {
    const me = await api("/api/whoami", { token: token() });
    if (me.role !== "volunteer" || me.volunteer_id == null) throw Object.assign(new Error(me.role), { status: 403 });
    document.getElementById("whoami").textContent = `${t("volunteer")} ${me.volunteer_id}`;
  } catch (error) {
    message(`${t("token_refused")} (${error.status || ""} ${error.message})`, true);
    localStorage.removeItem(TOKEN_KEY);
    document.getElementById("token-form").hidden = false;
    document.getElementById("sign-out").hidden = true;
    document.body.dataset.state = "signed-out";
    return;
  }
  message("");
  render();
  poll(state.run);
}

/** The alert loop: long-poll for a change; after arrival, ask every few seconds whether the
 * incident closed (that changes nothing in the active list, so a long-poll would not see it). */
async function poll(run) {
  while (run === state.run) {
    const arrived = state.alert && state.alert.status === "arrived";
    const params = new URLSearchParams({ wait: arrived ? "0" : String(WAIT_S) });
    if (state.version && !arrived) params.set("since", state.version);
    try {
      const body = await api(`/api/responder/alerts?${params}`, { token: token() });
      if (run !== state.run) return;
      state.version = body.version;
      await update(body.alerts);
      if (document.getElementById("message").classList.contains("error")) message("");
      if (arrived) await sleep(ARRIVED_CHECK_MS);
    } catch (error) {
      if (run !== state.run) return;
      if (error.status === 401 || error.status === 403) { start(); return; }
      message(t("connection_lost"), true);
      await sleep(RETRY_MS);
    }
  }
}

/** Show what the server says now: the alert we show, refreshed, or why it ended; else the
 * newest active one (an accepted one before a pending one). */
async function update(active) {
  const shown = state.alert;
  if (shown) {
    const still = active.find((a) => a.id === shown.id);
    if (still) { setAlert(merged(shown, still)); return; }
    const now = await api(`/api/responder/alerts/${shown.id}`, { token: token() });
    if (now.status === "arrived" && now.incident_status === "open") { setAlert(now); return; }
    notice(now.status === "arrived" ? "notice_stood_down" : NOTICES[now.status] || null);
    setAlert(null);
  }
  const next = active.find((a) => a.status === "accepted") || active[0];
  if (next) {
    notice(null);
    if (navigator.vibrate) navigator.vibrate([400, 200, 400]);
    setAlert(next);
  }
}

/** The alert as the server lists it, but never behind what this page already knows: a
 * long-poll answered just before an accept must not bring back the Accept button, and an
 * ETA from the phone's own position is newer than the plan's. */
function merged(shown, listed) {
  const rank = { pending: 0, accepted: 1, arrived: 2 };
  const ahead = (rank[shown.status] ?? 0) > (rank[listed.status] ?? 0);
  return { ...listed, status: ahead ? shown.status : listed.status,
    aed_collected_at: listed.aed_collected_at || shown.aed_collected_at,
    eta_s: state.etaAt ? shown.eta_s : listed.eta_s };
}

function setAlert(alert) {
  const before = state.alert;
  state.alert = alert;
  if (!alert || !before || before.id !== alert.id) state.etaAt = null;
  const enRoute = alert && alert.status === "accepted";
  if (enRoute) startTracking(); else stopTracking();
  render();
}

async function act(action) {
  const alert = state.alert;
  if (!alert) return;
  document.body.dataset.busy = "1";
  try {
    const now = await api(`/api/responder/alerts/${alert.id}/${action}`, { method: "POST", token: token() });
    message("");
    if (now.status === "accepted" || now.status === "arrived") {
      setAlert(merged(alert, now));
    } else {
      notice(NOTICES[now.status] || null);
      setAlert(null);
    }
  } catch (error) {
    message(`${t("error")} ${error.status || ""}: ${error.message}`, true);
  }
  delete document.body.dataset.busy;
}

// --- position while on the way -------------------------------------------------------------

function startTracking() {
  const gps = document.getElementById("gps");
  gps.hidden = false;
  if (state.watch !== null) return;
  if (!navigator.geolocation) { gps.textContent = t("no_gps"); return; }
  gps.textContent = t("sharing_position");
  // no timeout: a phone standing still gives no new position, which is not an error
  state.watch = navigator.geolocation.watchPosition(onPosition, (error) => {
    gps.textContent = `${t("no_gps")}${error.message ? `: ${error.message}` : ""}`;
  }, { enableHighAccuracy: true, maximumAge: 5000 });
}

function stopTracking() {
  if (state.watch !== null) navigator.geolocation.clearWatch(state.watch);
  state.watch = null;
  clearTimeout(state.sendTimer);
  state.sendTimer = null;
  state.position = null;
  document.getElementById("gps").hidden = true;
  if (state.markers.me) placeMarker("me", null);   // no longer sent, so no longer shown
}

function onPosition(position) {
  const c = position.coords;
  state.position = { lon: c.longitude, lat: c.latitude, accuracy_m: c.accuracy };
  document.getElementById("gps").textContent = t("sharing_position");
  const here = [c.longitude, c.latitude];
  placeMarker("me", here, "me", "");
  if (state.alert && !map.getBounds().contains(here)) {      // keep both ends in sight
    const bounds = new maplibregl.LngLatBounds(here, here).extend(state.alert.patient);
    if (state.alert.aed && !state.alert.aed_collected_at) bounds.extend(state.alert.aed.point);
    map.fitBounds(bounds, { padding: 50, maxZoom: 17, duration: 0 });
  }
  sendPosition();
}

/** Report the newest position, at most every POSITION_EVERY_MS (the last one always goes). */
async function sendPosition() {
  if (state.sending || state.sendTimer || !state.position) return;
  const wait = state.lastSent + POSITION_EVERY_MS - Date.now();
  if (wait > 0) {
    state.sendTimer = setTimeout(() => { state.sendTimer = null; sendPosition(); }, wait);
    return;
  }
  const { position } = state;
  state.position = null;
  state.sending = true;
  state.lastSent = Date.now();
  try {
    const body = { lon: position.lon, lat: position.lat };
    if (Number.isFinite(position.accuracy_m)) body.accuracy_m = Math.min(position.accuracy_m, 10000);
    const answer = await api("/api/responder/position", { method: "POST", token: token(), body });
    const eta = state.alert && answer.eta_s[String(state.alert.id)];
    if (eta !== undefined && state.alert) {
      state.alert.eta_s = eta;
      state.etaAt = new Date();
      render();
    }
  } catch (error) {
    document.getElementById("gps").textContent = `${t("error")}: ${error.message}`;
  } finally {
    state.sending = false;
  }
  if (state.position) sendPosition();
}

// --- drawing ------------------------------------------------------------------------------

function render() {
  const alert = state.alert;
  const signedIn = Boolean(token());
  document.getElementById("idle").hidden = !signedIn || Boolean(alert);
  document.getElementById("alert").hidden = !alert;
  if (signedIn) document.body.dataset.state = alert ? alert.status : "idle";
  drawMap(alert);
  if (!alert) {                                   // the arrival note goes with its alert
    if (!document.getElementById("message").classList.contains("error")) message("");
    return;
  }
  document.getElementById("alert").dataset.alertId = alert.id;
  document.getElementById("alert").dataset.task = alert.task;
  const floor = alert.floor ? ` · ${floorText(alert.floor)}` : "";
  document.getElementById("alert-what").textContent =
    `${t(`cat_${alert.category || "none"}`)}${floor}`;
  const collected = Boolean(alert.aed_collected_at);
  document.getElementById("alert-task").textContent = t(alert.task !== "fetch_aed" ? "task_respond"
    : collected ? "task_aed_collected" : "task_fetch_aed");
  const aed = document.getElementById("alert-aed");
  aed.hidden = !alert.aed || collected;
  if (alert.aed) {
    const level = alert.aed.level ? ` · ${t("level")} ${alert.aed.level}` : "";
    aed.innerHTML = `<b>${t("aed_at")}</b> ${escapeHtml(alert.aed.location || `#${alert.aed.id}`)}${escapeHtml(level)}`;
  }
  const eta = document.getElementById("alert-eta");
  eta.textContent = minutes(alert.eta_s);
  eta.dataset.etaS = alert.eta_s ?? "";
  const goal = alert.aed && !collected ? alert.aed.point : alert.patient;
  document.getElementById("navigate").href = `geo:${goal[1]},${goal[0]}?q=${goal[1]},${goal[0]}`;
  document.getElementById("alert-status").textContent = state.etaAt
    ? `(${t("updated")} ${state.etaAt.toLocaleTimeString()})` : "";
  document.querySelector(".alert-eta").hidden = alert.status === "arrived";
  const pending = alert.status === "pending";
  const enRoute = alert.status === "accepted";
  document.getElementById("accept").hidden = !pending;
  const decline = document.getElementById("decline");
  decline.hidden = !(pending || enRoute);
  decline.textContent = t(pending ? "decline_alert" : "cannot_go");
  decline.classList.toggle("small", enRoute);
  document.getElementById("aed-collected").hidden = !(enRoute && alert.task === "fetch_aed" && !collected);
  document.getElementById("arrived").hidden = !enRoute;
  const note = alert.status === "arrived" ? t("r_arrived") : "";
  message(note);
  renderCountdown();
}

/** The patient's floor as people say it: ``floor`` counts floors above the street. */
function floorText(floor) {
  return t(floor > 0 ? "floor_up" : "floor_down").replace("{n1}", floor + 1)
    .replace("{n}", floor).replace("{m}", -floor);
}

function renderCountdown() {
  const el = document.getElementById("countdown");
  const alert = state.alert;
  if (!alert || alert.status !== "pending" || !alert.deadline_at) {
    el.textContent = alert ? t(alert.status === "accepted" ? "r_accepted" : "st_arrived") : "";
    el.className = "countdown calm";
    delete el.dataset.seconds;
    return;
  }
  const left = Math.max(0, Math.round((Date.parse(alert.deadline_at) - Date.now()) / 1000));
  el.dataset.seconds = left;
  el.textContent = left > 0 ? `${left} ${t("seconds_short")}` : t("time_up");
  el.className = left <= 10 ? "countdown urgent" : "countdown";
}

function placeMarker(key, lonlat, cls, text) {
  if (!lonlat) {
    if (state.markers[key]) state.markers[key].remove();
    delete state.markers[key];
    return;
  }
  if (!state.markers[key]) {
    const el = document.createElement("div");
    el.className = `marker ${cls}`;
    el.textContent = text;
    state.markers[key] = new maplibregl.Marker({ element: el }).setLngLat(lonlat).addTo(map);
  } else {
    state.markers[key].setLngLat(lonlat);
  }
}

function drawMap(alert) {
  const routes = alert ? alert.routes || [] : [];
  const viaAed = alert && alert.task === "fetch_aed";
  const features = routes.filter((r) => r && r.geometry).map((r, i) => ({ ...r, properties: {
    ...(r.properties || {}), colour: viaAed && i === 0 ? COLOURS.to_aed : COLOURS.to_patient } }));
  map.getSource("route").setData({ type: "FeatureCollection", features });
  placeMarker("patient", alert && alert.patient, "patient", "✚");
  placeMarker("aed", alert && alert.aed ? alert.aed.point : null, "aed", "AED");
  if (!alert) placeMarker("me", null);
  if (alert && state.fitted !== alert.id) {
    state.fitted = alert.id;
    const bounds = new maplibregl.LngLatBounds(alert.patient, alert.patient);
    for (const f of features) for (const c of f.geometry.coordinates) bounds.extend(c);
    map.fitBounds(bounds, { padding: 40, maxZoom: 17, duration: 0 });
  }
}

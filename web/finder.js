// The public AED finder: where am I (tap, ?lon=&lat=, geolocation, or a street or place found
// by name with GET /api/places) -> the nearest AEDs
// usable now by walking time (GET /api/aeds/nearest), the walking route drawn, details,
// "report a problem" (POST /api/aeds/{id}/reports), proposals from the public (propose.js).
// The service worker keeps the last list.
/* global maplibregl */
import {
  api, emptyCollection, escapeHtml, initLanguage, loaded, makeMap, minutes, startView, t,
} from "./common.js";
import "./community.js"; // the proposals' strings
import { changeButton, initProposals, takeMapClick } from "./propose.js";

const query = new URLSearchParams(location.search);
const state = { here: null, result: null, selected: null, markers: [], me: null };
const PROBLEMS = ["missing", "damaged", "inaccessible", "expired", "other"];

const view = await startView();
const map = makeMap("map", view);
window.rcMap = map; // for the browser tests
initLanguage(() => render());

if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/finder-sw.js", { scope: "/finder" }).catch(() => {});
}

await loaded(map);
map.addSource("route", { type: "geojson", data: emptyCollection() });
map.addLayer({ id: "route-casing", type: "line", source: "route",
  layout: { "line-cap": "round", "line-join": "round" },
  paint: { "line-color": "#ffffff", "line-width": 8 } });
map.addLayer({ id: "route", type: "line", source: "route",
  layout: { "line-cap": "round", "line-join": "round" },
  paint: { "line-color": "#1565c0", "line-width": 5, "line-dasharray": [1, 1.5] } });

map.on("click", (event) => {
  if (!takeMapClick(event.lngLat)) locate([event.lngLat.lng, event.lngLat.lat]);
});
initProposals(map, () => state.here);
document.getElementById("locate").addEventListener("click", () => {
  if (!navigator.geolocation) return;
  navigator.geolocation.getCurrentPosition(
    (p) => locate([p.coords.longitude, p.coords.latitude], true),
    (error) => setStatus(error.message, true), { enableHighAccuracy: true, timeout: 10000 });
});
document.getElementById("place-form").addEventListener("submit", (event) => {
  event.preventDefault();
  searchPlaces(document.getElementById("place-q").value.trim());
});
document.getElementById("view-toggle").addEventListener("click", () => {
  document.body.classList.toggle("list-only");
  document.getElementById("view-toggle").textContent =
    t(document.body.classList.contains("list-only") ? "map" : "list");
  if (!document.body.classList.contains("list-only")) map.resize();
});

map.addSource("overview", { type: "geojson", data: emptyCollection() });
map.addLayer({ id: "overview", type: "circle", source: "overview",
  paint: { "circle-radius": 6, "circle-color": "#2e7d32",
    "circle-stroke-color": "#ffffff", "circle-stroke-width": 2 } });
map.on("moveend", () => overview());

if (view.given) locate(view.center, false);
else overview();

/** The AEDs usable now around the view, shown at once and as the view moves, until a position
 * is given: a stranger beside a collapse sees them before locating (the nearest ones and the
 * walk come with a position). */
async function overview() {
  // once a position is given the nearest list says it all; offline, the saved list does
  if (state.here || !navigator.onLine) return;
  const b = map.getBounds();
  const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5));
  const params = new URLSearchParams({ bbox: bbox.join(","), limit: "300" });
  if (query.get("at")) params.set("at", query.get("at"));
  try {
    const response = await fetch(`/api/aeds/available?${params}`);
    if (!response.ok) return;
    const data = await response.json();
    map.getSource("overview").setData(data);
    document.body.dataset.overview = String(data.features.length);
    setStatus(t("overview").replace("{n}", data.features.length));
  } catch {
    // offline: the saved list (service worker) is what the finder has
  }
}

/** Streets and places by name, nearest to the map first; choosing one looks for AEDs there. */
async function searchPlaces(q) {
  const list = document.getElementById("place-list");
  list.innerHTML = "";
  list.hidden = true;
  if (q.length < 2) return;
  const centre = map.getCenter();
  const params = new URLSearchParams({ q, limit: "8", lon: centre.lng.toFixed(6), lat: centre.lat.toFixed(6) });
  try {
    const data = await api(`/api/places?${params}`);
    for (const feature of data.features) {
      const li = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "place";
      button.dataset.kind = feature.properties.kind;
      button.innerHTML = `${escapeHtml(feature.properties.name)}${feature.properties.detail
        ? ` <span class="muted">${escapeHtml(feature.properties.detail)}</span>` : ""}`;
      button.addEventListener("click", () => {
        list.hidden = true;
        locate(feature.geometry.coordinates, true);
      });
      li.appendChild(button);
      list.appendChild(li);
    }
    if (!data.features.length) list.innerHTML = `<li class="hint">${t("no_places")}</li>`;
    list.hidden = false;
  } catch (error) {
    setStatus(`${t("error")}: ${error.message}`, true);
  }
}

function setStatus(text, isError = false) {
  const el = document.getElementById("status");
  el.textContent = text;
  el.className = isError ? "hint error" : "hint";
}

async function locate(here, fly = true) {
  state.here = here;
  if (!state.me) {
    const el = document.createElement("div");
    el.className = "me";
    el.dataset.testid = "me";
    el.style.zIndex = "3"; // above the AED pins: where I stand matters most
    state.me = new maplibregl.Marker({ element: el });
  }
  state.me.setLngLat(here).addTo(map);
  const params = new URLSearchParams({ lon: here[0].toFixed(6), lat: here[1].toFixed(6), limit: "5" });
  if (query.get("at")) params.set("at", query.get("at"));
  setStatus("…");
  document.body.dataset.state = "loading";
  try {
    // the service worker answers from its cache when the network is gone (marked offline)
    const response = await fetch(`/api/aeds/nearest?${params}`);
    const data = await response.json();
    if (!response.ok) throw new Error(data.description || response.statusText);
    document.getElementById("offline").hidden = response.headers.get("X-RC-Offline") !== "1";
    state.result = data;
    state.selected = data.features.length ? data.features[0].id : null;
    setStatus("");
  } catch (error) {
    state.result = null;
    setStatus(`${t("error")}: ${error.message}`, true);
  }
  render();
  if (state.result) fitResult(fly);
  document.body.dataset.state = "ready";
}

function fitResult(animate = false) {
  const bounds = new maplibregl.LngLatBounds(state.here, state.here);
  const chosen = selectedFeature();
  if (chosen && chosen.route) {
    for (const c of chosen.route.geometry.coordinates) bounds.extend(c);
  }
  map.fitBounds(bounds, { padding: 60, maxZoom: 17, duration: animate ? 600 : 0 });
}

function selectedFeature() {
  if (!state.result) return null;
  return state.result.features.find((f) => f.id === state.selected) || null;
}

function render() {
  for (const marker of state.markers) marker.remove();
  state.markers = [];
  const list = document.getElementById("aed-list");
  const blockedList = document.getElementById("unavailable-list");
  list.innerHTML = "";
  blockedList.innerHTML = "";
  const result = state.result;
  document.getElementById("hint").hidden = Boolean(state.here);
  document.getElementById("nearest-title").hidden = !result;
  document.getElementById("none").hidden = !result || result.features.length > 0;
  const notes = document.getElementById("notes");  // the server's why, when it says one
  notes.textContent = (result?.notes || []).join(" ");
  notes.hidden = !notes.textContent;
  document.getElementById("unavailable-title").hidden = !result || !result.unavailable.length;
  if (!result) {
    map.getSource("route")?.setData(emptyCollection());
    return;
  }
  result.features.forEach((feature, index) => {
    list.appendChild(listItem(feature, index + 1));
    addPin(feature, String(index + 1));
  });
  for (const feature of result.unavailable) {
    blockedList.appendChild(listItem(feature, null));
    addPin(feature, "×");
  }
  const chosen = selectedFeature();
  map.getSource("route")?.setData(chosen && chosen.route
    ? { type: "FeatureCollection", features: [chosen.route] } : emptyCollection());
}

function addPin(feature, label) {
  const p = feature.properties;
  const el = document.createElement("div");
  el.className = `pin ${p.available ? "available" : "unavailable"}`;
  el.title = `${p.name || "AED"} · ${p.available ? t("available") : t("unavailable")}`;
  el.dataset.aedId = feature.id;
  el.dataset.available = p.available;
  el.innerHTML = `<span>${escapeHtml(label)}</span>`;
  el.addEventListener("click", (event) => {
    event.stopPropagation();
    if (p.available) select(feature.id);
    document.querySelector(`li[data-aed-id="${feature.id}"]`)?.scrollIntoView({ block: "nearest" });
  });
  state.markers.push(new maplibregl.Marker({ element: el })
    .setLngLat(feature.geometry.coordinates).addTo(map));
}

function select(id) {
  state.selected = id;
  render();
  fitResult();
}

function listItem(feature, rank) {
  const p = feature.properties;
  const li = document.createElement("li");
  li.dataset.aedId = feature.id;
  li.className = p.available ? (feature.id === state.selected ? "selected" : "") : "unavailable";
  const where = [p.indoor == null ? null : t(p.indoor ? "indoor" : "outdoor"),
    p.level ? `${t("level")} ${p.level}` : null].filter(Boolean).join(" · ");
  const walk = p.available
    ? `<span class="walk" data-walk-s="${p.walk_s}">${t("walk")} ${minutes(p.walk_s)} · ${Math.round(p.walk_m)} ${t("m")}</span>`
    : `<span class="muted">${escapeHtml(reasonText(p.reason))}</span>`;
  li.innerHTML = `
    <div class="aed-head"><span class="rank">${rank ?? "×"}</span>
      <span class="aed-name">${escapeHtml(p.name || `AED ${feature.id}`)}</span>${walk}</div>
    <dl class="details">
      ${row("location", [p.location_text, where].filter(Boolean).join(" — "))}
      ${row("address", p.address)}
      ${row("access", accessText(p.access))}
      ${row("opening_hours", p.opening_hours)}
      ${p.phone ? `<dt>${t("phone")}</dt><dd><a href="tel:${escapeHtml(p.phone)}">${escapeHtml(p.phone)}</a></dd>` : ""}
    </dl>
    ${ownPhoto(p.photo_ref) ? `<img class="aed-photo" loading="lazy" alt="${escapeHtml(t("photo"))}" src="${escapeHtml(p.photo_ref)}">` : ""}
    <div class="toolbar"><button type="button" class="report-open" data-i18n="report">${t("report")}</button></div>`;
  if (p.available) li.querySelector(".aed-head").addEventListener("click", () => select(feature.id));
  li.querySelector(".report-open").addEventListener("click", () => openReport(li, feature.id));
  li.querySelector(".toolbar").appendChild(changeButton(li, feature));
  return li;
}

// Only photos this server publishes (accepted proposals): a registry's outside links stay
// unfetched, so the page never calls a third party.
function ownPhoto(ref) {
  return typeof ref === "string" && /^\/api\/photos\/\d+$/.test(ref);
}

// OSM's access values in the reader's language; an unknown value stays as written.
function accessText(value) {
  if (!value) return value;
  const key = `access_${value}`;
  const text = t(key);
  return text === key ? value : text;
}

function row(key, value) {
  return value ? `<dt>${t(key)}</dt><dd>${escapeHtml(value)}</dd>` : "";
}

function reasonText(reason) {
  return reason ? `${t("unavailable")}: ${reason}` : t("unavailable");
}

function openReport(li, aedId) {
  if (li.querySelector("form")) return;
  const form = document.createElement("form");
  form.className = "report";
  form.innerHTML = `
    <label>${t("problem")} <select name="problem">${PROBLEMS.map(
      (p) => `<option value="${p}">${t(`p_${p}`)}</option>`).join("")}</select></label>
    <textarea name="description" rows="2" maxlength="2000" placeholder="${t("description")}"></textarea>
    <div class="toolbar"><button type="submit">${t("send")}</button>
      <button type="button" class="cancel">${t("cancel")}</button><span class="hint result"></span></div>`;
  form.querySelector(".cancel").addEventListener("click", () => form.remove());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const out = form.querySelector(".result");
    const data = new FormData(form);
    try {
      await api(`/api/aeds/${aedId}/reports`, { method: "POST", body: {
        problem: data.get("problem"), description: data.get("description") || undefined } });
      out.textContent = t("report_sent");
      out.className = "hint result ok";
      li.dataset.reported = "1";
    } catch (error) {
      out.textContent = `${t("report_failed")}: ${error.message}`;
      out.className = "hint result error";
    }
  });
  li.appendChild(form);
}

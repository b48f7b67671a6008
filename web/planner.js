/* global maplibregl */
// The planner view: our vector tile layers toggled on the basemap, the districts table,
// export buttons (GeoPackage, GeoJSON, CSV from /api/exports), coverage, population and
// volunteer layers, the district KPI table, and siting: the `site` process run as a job, its
// proposed sites drawn with the area each reaches within the standard, and downloaded.
import {
  api, emptyCollection, escapeHtml, initLanguage, loaded, makeMap, startView, t, wireTokenForm,
} from "./common.js";

const TOKEN_KEY = "rc.analyst_token";

// One colour per layer, used by the map and by the legend beside its toggle, so they agree.
const POINT_LAYERS = { aeds: "#2e7d32", stations: "#d32f2f", hospitals: "#1565c0",
  drone_pads: "#c2185b", training_sites: "#6d4c41" };
const AED_UNUSABLE = "#9e9e9e";
const DISTRICT_COLOURS = { urban: "#5e35b1", rural: "#00838f" };
const FILL_LAYERS = { coverage: { colour: "#d32f2f", opacity: 0.3 },
  volunteer_density: { colour: "#1a237e", opacity: 0.45 },
  population: { colour: "#e65100", opacity: 0.5 } };
// Below zoom 12 AED tiles carry one point per cell with point_count and ready_count (single
// AEDs have 1 and 0/1 too): the colour runs from grey (none ready) to green (all ready), the
// radius grows with the count.
const AED_COLOUR = ["interpolate", ["linear"],
  ["/", ["get", "ready_count"], ["max", ["get", "point_count"], 1]], 0, AED_UNUSABLE, 1, POINT_LAYERS.aeds];
const EXPORTS = ["aeds", "stations", "hospitals", "drone_pads", "training_sites", "districts"];
const FORMATS = ["gpkg", "geojson", "csv"];

const view = await startView(11.5);
// Population tiles are for analysts: MapLibre sends the token with them.
const POPULATION_TILES = "/api/planning/population/";
const map = makeMap("map", view, { transformRequest: (url) => (
  url.includes(POPULATION_TILES) && token()
    ? { url, headers: { Authorization: `Bearer ${token()}` } } : { url }) });
window.rcMap = map;
let districts = [];
let kpi = null;
let siting = null;
initLanguage(() => {
  buildLayerToggles(); buildExports(); renderDistricts(); renderKpi(); renderSiting();
});
await loaded(map);

const origin = location.origin;
const source = (name) => ({ type: "vector", tiles: [`${origin}/tiles/${name}/{z}/{x}/{y}.mvt`], maxzoom: 16 });
map.addSource("coverage", { type: "geojson", data: emptyCollection() });
map.addLayer({ id: "coverage", type: "fill", source: "coverage", layout: { visibility: "none" },
  paint: { "fill-color": FILL_LAYERS.coverage.colour, "fill-opacity": FILL_LAYERS.coverage.opacity,
    "fill-outline-color": FILL_LAYERS.coverage.colour } });
map.addSource("population", { type: "vector", minzoom: 10, maxzoom: 16,
  tiles: [`${location.origin}${POPULATION_TILES}{z}/{x}/{y}.mvt`] });
map.addLayer({ id: "population", type: "fill", source: "population", "source-layer": "population",
  layout: { visibility: "none" },
  paint: { "fill-color": ["interpolate", ["linear"], ["get", "people_per_km2"],
    0, "#fff8e1", 5000, "#ffb74d", 20000, FILL_LAYERS.population.colour, 50000, "#bf360c"],
  "fill-opacity": FILL_LAYERS.population.opacity } });
map.addSource("volunteer_density", { type: "geojson", data: emptyCollection() });
map.addLayer({ id: "volunteer_density", type: "fill", source: "volunteer_density",
  layout: { visibility: "none" },
  paint: { "fill-color": ["interpolate", ["linear"], ["get", "volunteers"], 5, "#c5cae9", 30,
    FILL_LAYERS.volunteer_density.colour], "fill-opacity": FILL_LAYERS.volunteer_density.opacity,
  "fill-outline-color": FILL_LAYERS.volunteer_density.colour } });
map.addSource("districts", source("districts"));
map.addLayer({ id: "districts", type: "line", source: "districts", "source-layer": "districts",
  paint: { "line-color": ["match", ["get", "kind"], "rural", DISTRICT_COLOURS.rural, DISTRICT_COLOURS.urban],
    "line-width": 2.5 } });
map.addSource("road_edges", source("road_edges"));
map.addLayer({ id: "road_edges", type: "line", source: "road_edges", "source-layer": "road_edges",
  layout: { visibility: "none" }, paint: { "line-color": "#607d8b", "line-width": 1 } });
for (const [name, colour] of Object.entries(POINT_LAYERS)) {
  map.addSource(name, source(name));
  map.addLayer({ id: name, type: "circle", source: name, "source-layer": name,
    paint: { "circle-color": name === "aeds" ? AED_COLOUR : colour,
      "circle-stroke-color": "#fff", "circle-stroke-width": 1,
      "circle-radius": name === "aeds"
        ? ["interpolate", ["linear"], ["zoom"],
          10, ["min", ["+", 3, ["*", 1.5, ["ln", ["get", "point_count"]]]], 12], 16, 7]
        : ["interpolate", ["linear"], ["zoom"], 10, 3, 16, 7] } });
}
map.addSource("site_reach", { type: "geojson", data: emptyCollection() });
map.addLayer({ id: "site_reach", type: "fill", source: "site_reach",
  paint: { "fill-color": "#ff6f00", "fill-opacity": 0.18, "fill-outline-color": "#e65100" } });
map.addSource("proposed_sites", { type: "geojson", data: emptyCollection() });
map.addLayer({ id: "proposed_sites", type: "circle", source: "proposed_sites",
  paint: { "circle-color": "#ff6f00", "circle-radius": 8, "circle-stroke-color": "#fff",
    "circle-stroke-width": 2 } });
buildLayerToggles();
buildExports();
loadDistricts();
wireTokenForm(TOKEN_KEY, showToken);
document.getElementById("site-form").addEventListener("submit", runSiting);
document.getElementById("site-model").addEventListener("change", (event) => {
  document.getElementById("site-count").disabled = event.target.value === "cover_all";
});

function token() { return sessionStorage.getItem(TOKEN_KEY); }

async function showToken() {
  const signedIn = Boolean(token());
  for (const id of ["token", "sign-in"]) document.getElementById(id).hidden = signedIn;
  document.getElementById("sign-out").hidden = !signedIn;
  document.getElementById("site-run").disabled = !signedIn;
  const who = document.getElementById("whoami");
  who.textContent = "";
  buildLayerToggles();
  if (!signedIn) return;
  try {
    const me = await api("/api/whoami", { token: token() });
    who.textContent = me.role;
  } catch (error) {
    who.textContent = `${t("error")}: ${error.message}`;
  }
  loadKpi();
}

/** Each station's 8-minute drive isochrone (the analyst export), drawn as one layer. */
async function loadCoverage() {
  const data = await api("/api/exports/station_coverage.geojson?minutes=8", { token: token() });
  map.getSource("coverage").setData(data);
}

/** Active volunteers per 500 m hexagon (cells of fewer than five left out by the server). */
async function loadVolunteerDensity() {
  const data = await api("/api/planning/volunteer-density", { token: token() });
  map.getSource("volunteer_density").setData(data);
}

/** The district KPI table, where the server offers it (GET /api/planning/kpi). */
async function loadKpi() {
  try {
    kpi = await api("/api/planning/kpi", { token: token() });
  } catch (error) {
    kpi = null;
  }
  renderKpi();
}

// the KPI columns a planner reads first; shares shown as percentages of the district's people
const KPI_COLUMNS = [
  ["population", "kpi_population", (v) => Math.round(v).toLocaleString()],
  ["station_share_standard", "kpi_ambulance", percent],
  ["aed_share_5min_walk", "kpi_aed", percent],
  ["circle_share_5min", "kpi_circle", percent],
  ["usable_aeds_per_100k", "kpi_aeds_100k", (v) => (v == null ? "–" : v.toFixed(1))],
];

function percent(value) { return value == null ? "–" : `${Math.round(value * 100)}%`; }

function renderKpi() {
  const box = document.getElementById("kpi-box");
  const rows = kpi && kpi.districts;
  box.hidden = !Array.isArray(rows) || !rows.length;
  if (box.hidden) return;
  const columns = KPI_COLUMNS.filter(([key]) => key in rows[0]);
  document.getElementById("kpi").innerHTML = `<table id="kpi-table"><thead><tr><th>${t("name")}</th>${
    columns.map(([, label]) => `<th>${escapeHtml(t(label))}</th>`).join("")}</tr></thead><tbody>${
    rows.map((r) => `<tr><td>${escapeHtml(r.name)}</td>${
      columns.map(([key, , show]) => `<td>${escapeHtml(show(r[key]))}</td>`).join("")}</tr>`).join("")
  }</tbody></table>
    <div class="toolbar">${["gpkg", "csv"].map((f) =>
      `<button type="button" class="kpi-download" data-format="${f}">${f === "gpkg" ? "GeoPackage" : "CSV"}</button>`).join(" ")}</div>`;
  for (const button of document.querySelectorAll(".kpi-download")) {
    button.addEventListener("click", () => downloadKpi(button.dataset.format));
  }
}

/** The KPI table as a file: the request needs the analyst token, so it is fetched, then saved. */
async function downloadKpi(format) {
  const response = await fetch(`/api/planning/kpi?format=${format}`, {
    headers: { Authorization: `Bearer ${token()}` } });
  if (!response.ok) {
    document.getElementById("message").textContent = `${t("error")}: ${response.status}`;
    return;
  }
  const link = document.createElement("a");
  link.href = URL.createObjectURL(await response.blob());
  link.download = `district_kpi.${format}`;
  link.click();
  URL.revokeObjectURL(link.href);
}

function buildLayerToggles() {
  const box = document.getElementById("layers");
  box.querySelectorAll("label").forEach((l) => l.remove());
  const loaders = { coverage: loadCoverage, volunteer_density: loadVolunteerDensity };
  const needToken = ["population", ...Object.keys(loaders)];
  for (const id of ["districts", ...Object.keys(POINT_LAYERS), "road_edges", ...needToken]) {
    const visible = map.getLayoutProperty(id, "visibility") !== "none";
    const label = document.createElement("label");
    label.style.display = "block";
    const locked = needToken.includes(id) && !token();
    label.innerHTML = `<input type="checkbox" data-layer="${id}" ${visible ? "checked" : ""}>
      ${escapeHtml(t(id))} ${legend(id)}
      ${locked ? `<span class="muted">(${t("needs_token")})</span>` : ""}`;
    const input = label.querySelector("input");
    input.disabled = locked;
    input.addEventListener("change", async (event) => {
      const on = event.target.checked;
      if (id in loaders && on) {
        document.body.dataset.state = "loading";
        try { await loaders[id](); } catch (error) {
          document.getElementById("message").textContent = `${t("error")}: ${error.message}`;
        }
        document.body.dataset.state = "ready";
      }
      map.setLayoutProperty(id, "visibility", on ? "visible" : "none");
    });
    box.appendChild(label);
  }
}

/** The swatches of a layer's toggle, in the colours its map layer is painted with. */
function legend(id) {
  const swatch = (colour, opacity = 1, what = "") => `<span class="swatch" data-colour="${colour}"
    style="background:${colour};opacity:${opacity}"></span>${what ? ` <span class="muted">${escapeHtml(what)}</span>` : ""}`;
  if (id === "districts") {
    return Object.entries(DISTRICT_COLOURS).map(([kind, colour]) => swatch(colour, 1, t(kind))).join(" ");
  }
  if (id === "aeds") return `${swatch(POINT_LAYERS.aeds, 1, t("aeds_ready"))} ${swatch(AED_UNUSABLE, 1, t("aeds_not_ready"))}`;
  if (id in FILL_LAYERS) return swatch(FILL_LAYERS[id].colour, Math.max(FILL_LAYERS[id].opacity, 0.6));
  return swatch(POINT_LAYERS[id] || "#607d8b");
}

function buildExports() {
  const box = document.getElementById("exports");
  box.querySelectorAll("div").forEach((d) => d.remove());
  for (const layer of EXPORTS) {
    const row = document.createElement("div");
    row.className = "toolbar";
    row.style.margin = ".2rem 0";
    row.innerHTML = `<span style="min-width:9em">${escapeHtml(t(layer))}</span>` + FORMATS.map(
      (f) => `<a class="button export" download href="/api/exports/${layer}.${f}">${f.toUpperCase()}</a>`).join(" ");
    box.appendChild(row);
  }
}

async function loadDistricts() {
  try {
    districts = (await api("/ogc/collections/districts/items?f=json&limit=1000")).features;
    renderDistricts();
    document.body.dataset.state = "ready";
  } catch (error) {
    document.getElementById("message").textContent = `${t("error")}: ${error.message}`;
    document.body.dataset.state = "error";
  }
}

function renderDistricts() {
  const body = document.querySelector("#districts tbody");
  body.innerHTML = "";
  for (const f of districts) {
    const p = f.properties;
    const tr = document.createElement("tr");
    tr.dataset.districtId = f.id;
    tr.innerHTML = `<td>${escapeHtml(p.code)}</td><td>${escapeHtml(p.name)}</td><td>${escapeHtml(t(p.kind))}</td>`;
    body.appendChild(tr);
  }
}

/** The siting question of the form, as the `site` process's inputs. */
function siteInputs() {
  const value = (id) => document.getElementById(id).value;
  const inputs = { kind: value("site-kind"), demand: value("site-demand") };
  const model = value("site-model");
  inputs[model] = model === "cover_all" ? true : Number(value("site-count"));
  if (value("site-from")) inputs.from = value("site-from");
  if (value("site-to")) inputs.to = value("site-to");
  return inputs;
}

/** Run the `site` process as a job, follow its progress, then draw and list its answer. */
async function runSiting(event) {
  event.preventDefault();
  const status = document.getElementById("site-status");
  const button = document.getElementById("site-run");
  button.disabled = true;
  document.body.dataset.state = "loading";
  try {
    const response = await fetch("/ogc/processes/site/execution", {
      method: "POST", body: JSON.stringify({ inputs: siteInputs() }),
      headers: { Authorization: `Bearer ${token()}`, "Content-Type": "application/json",
        Prefer: "respond-async" } });
    const started = await response.json();
    if (response.status !== 201) throw new Error(started.description || response.statusText);
    const job = new URL(response.headers.get("Location"), location.href).pathname;
    for (;;) {
      const info = await api(job, { token: token() });
      status.textContent = `${t("site_running")}: ${info.progress}%`;
      if (info.status === "failed") throw new Error(info.message);
      if (info.status === "successful") break;
      await new Promise((resolve) => { setTimeout(resolve, 1000); });
    }
    siting = await api(`${job}/results`, { token: token() });
    status.textContent = "";
    await drawSiting();
  } catch (error) {
    status.textContent = `${t("error")}: ${error.message}`;
  }
  renderSiting();
  button.disabled = !token();
  document.body.dataset.state = "ready";
}

/** The proposed sites, and the area each reaches within the plan's standard (the isochrone
 * process: on foot for AEDs, by car for stations). */
async function drawSiting() {
  map.getSource("proposed_sites").setData(siting);
  const mode = siting.kind === "aeds" ? "walk" : "drive";
  const reach = await Promise.all(siting.features.map((site) => api(
    "/ogc/processes/isochrone/execution", { method: "POST", body: { inputs: {
      point: site.geometry.coordinates, mode, minutes: [siting.limit_minutes] } } })));
  map.getSource("site_reach").setData({ type: "FeatureCollection",
    features: reach.flatMap((bands, i) => bands.features.map((band) => ({
      ...band, properties: { ...band.properties, rank: siting.features[i].properties.rank } }))) });
  if (siting.features.length) {
    const bounds = new maplibregl.LngLatBounds();
    for (const site of siting.features) bounds.extend(site.geometry.coordinates);
    map.fitBounds(bounds, { padding: 80, maxZoom: 14, duration: 0 });
  }
}

function renderSiting() {
  const box = document.getElementById("site-result");
  if (!siting) { box.innerHTML = ""; return; }
  const round = (v) => Math.round(v).toLocaleString();
  const moved = siting.model === "relocate";
  box.innerHTML = `<p id="site-summary">${escapeHtml(t("site_covered"))}:
    ${round(siting.covered_people - siting.gained_people)} → ${round(siting.covered_people)}
    ${escapeHtml(t("people"))}; ${round(siting.covered_calls - siting.gained_calls)} →
    ${round(siting.covered_calls)} ${escapeHtml(t("calls"))}</p>
    <table id="site-table"><thead><tr><th>${escapeHtml(t("site_rank"))}</th>
    <th>${escapeHtml(t("site_gained_people"))}</th><th>${escapeHtml(t("site_gained_calls"))}</th>
    ${moved ? `<th>${escapeHtml(t("site_moved"))}</th>` : ""}</tr></thead><tbody>${
  siting.features.map(({ properties: p }) => `<tr><td>${p.rank}</td><td>${round(p.gained_people)}</td>
    <td>${round(p.gained_calls)}</td>${moved ? `<td>${escapeHtml(p.moved_aed_id)}</td>` : ""}</tr>`)
    .join("")}</tbody></table>
    <button type="button" id="site-download">${escapeHtml(t("site_download"))}</button>`;
  document.getElementById("site-download").addEventListener("click", () => {
    const link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob([JSON.stringify(siting)],
      { type: "application/geo+json" }));
    link.download = `${siting.kind}_${siting.model}_sites.geojson`;
    link.click();
    URL.revokeObjectURL(link.href);
  });
}

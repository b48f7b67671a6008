// Shared by the pages: translations (zh/en), the offline basemap style on our own
// /tiles/basemap vector tiles (no glyphs needed: labels are HTML), and small helpers.
/* global maplibregl */
import { LOOP_STRINGS } from "./loop-strings.js";

export const STRINGS = {
  en: {
    ...LOOP_STRINGS.en,
    finder_title: "Find an AED", call_120: "Call 120", locate: "Locate me",
    tap_hint: "Tap the map where you are, use “Locate me”, or search a street or place.",
    place_search: "Street or place", search: "Search", no_places: "No street or place found",
    list: "List", map: "Map", nearest: "Nearest AEDs available now",
    none_found: "No AED available now within walking distance. Call 120 and start CPR.",
    walk: "walk", min: "min", m: "m", details: "Details", route: "Walking route",
    indoor: "Indoor", outdoor: "Outdoor", level: "Level", access: "Access",
    opening_hours: "Opening hours", phone: "Phone", photo: "Photo of the AED", location: "Where", address: "Address",
    report: "Report a problem", report_sent: "Thank you: the report was sent.",
    report_failed: "The report could not be sent", problem: "Problem",
    description: "Description (optional)", send: "Send", cancel: "Cancel",
    unavailable_nearby: "Nearby but not usable now", offline: "Offline: showing the saved list",
    available: "available now", unavailable: "not available",
    p_missing: "AED missing", p_damaged: "Damaged", p_inaccessible: "Cannot be reached",
    p_expired: "Pads or battery expired", p_other: "Other",
    access_yes: "Public", access_customers: "Customers only", access_private: "Private",
    access_permissive: "Open to the public by permission", access_no: "No public access",
    access_permit: "With a permit",
    overview: "{n} AEDs usable now in this area: tap the map where you are, or locate me, for the nearest and the walk.",
    console_title: "Dispatch console", token: "Dispatcher token", sign_in: "Use token",
    sign_out: "Forget token", incident: "Incident", lon: "Longitude", lat: "Latitude",
    dispatch: "Dispatch", click_hint: "Click the map at the incident, or enter its position.",
    plan: "Plan", responder: "Responder", eta: "ETA", target: "Target",
    ambulance: "Ambulance", volunteer: "Volunteer", runner: "AED runner", aed: "AED",
    drone: "Drone", backups: "Backups", circle_holds: "5-minute circle holds",
    circle_broken: "5-minute circle NOT held", isochrones: "5/8/12 min drive isochrones",
    decline: "Decline", replan: "Replan", first_arrival: "First arrival",
    block_road: "Report a blocked road: click it on the map", blocked: "Blocked roads",
    aed_arrival: "AED arrival", station: "Station", pad: "Pad", none: "none",
    planner_title: "Planner", layers: "Layers", districts: "Districts",
    stations: "Ambulance stations", hospitals: "Hospitals", aeds: "AEDs",
    drone_pads: "Drone pads", training_sites: "Training sites", road_edges: "Road network",
    exports: "Exports", code: "Code", name: "Name", kind: "Kind", urban: "urban", rural: "rural",
    aeds_ready: "ready", aeds_not_ready: "none ready (grey)",
    error: "Error", language: "中文", analyst_token: "Analyst token",
    coverage: "Station coverage, 8 min drive", kpi: "District KPIs",
    volunteer_density: "Volunteers (per 500 m, 5 or more)",
    population: "Population density (from zoom 10)",
    needs_token: "needs an analyst token", kpi_population: "People",
    kpi_ambulance: "Ambulance in target", kpi_aed: "AED ≤5 min walk",
    kpi_circle: "5-min circle", kpi_aeds_100k: "Usable AEDs /100k",
    siting: "Siting", site_add: "Add", site_relocate: "Move existing AEDs",
    site_cover_all: "Fewest covering everyone", demand_population: "Cover people",
    demand_incidents: "Cover calls", demand_mix: "People and calls, half each",
    calls_from: "Calls from", calls_to: "to", site_run: "Run siting", site_running: "Siting",
    site_rank: "Rank", site_gained_people: "People gained", site_gained_calls: "Calls gained",
    site_moved: "AED moved", site_covered: "Covered before → after", people: "people",
    calls: "calls", site_download: "Download GeoJSON",
  },
  zh: {
    ...LOOP_STRINGS.zh,
    finder_title: "查找AED", call_120: "拨打120", locate: "定位我",
    tap_hint: "点击地图上您所在的位置，使用“定位我”，或搜索街道或地点。",
    place_search: "街道或地点", search: "搜索", no_places: "未找到街道或地点",
    list: "列表", map: "地图", nearest: "当前可用的最近AED",
    none_found: "步行范围内暂无可用AED。请拨打120并开始心肺复苏。",
    walk: "步行", min: "分钟", m: "米", details: "详情", route: "步行路线",
    indoor: "室内", outdoor: "室外", level: "楼层", access: "开放范围",
    opening_hours: "开放时间", phone: "电话", photo: "AED照片", location: "位置", address: "地址",
    report: "报告问题", report_sent: "谢谢，报告已提交。", report_failed: "报告提交失败",
    problem: "问题", description: "描述（可选）", send: "提交", cancel: "取消",
    unavailable_nearby: "附近但当前不可用", offline: "离线：显示已保存的列表",
    available: "当前可用", unavailable: "不可用",
    p_missing: "AED不见了", p_damaged: "已损坏", p_inaccessible: "无法取用",
    p_expired: "电极片或电池过期", p_other: "其他",
    access_yes: "公众开放", access_customers: "仅限顾客", access_private: "私人",
    access_permissive: "经许可对公众开放", access_no: "不对公众开放", access_permit: "需许可",
    overview: "此区域当前可用AED {n} 台：点击地图上您的位置或定位，查看最近的AED和步行路线。",
    console_title: "调度台", token: "调度员令牌", sign_in: "使用令牌", sign_out: "清除令牌",
    incident: "事件", lon: "经度", lat: "纬度", dispatch: "派遣",
    click_hint: "在地图上点击事件地点，或输入坐标。", plan: "方案", responder: "响应者",
    eta: "预计到达", target: "目标", ambulance: "救护车", volunteer: "志愿者",
    runner: "AED取送者", aed: "AED", drone: "无人机", backups: "后备",
    circle_holds: "5分钟救援圈成立", circle_broken: "5分钟救援圈未成立",
    isochrones: "5/8/12分钟车行等时圈", decline: "拒绝", replan: "重新规划",
    block_road: "报告道路封闭：在地图上点击该道路", blocked: "封闭道路",
    first_arrival: "首位到达", aed_arrival: "AED到达", station: "急救站", pad: "起降点",
    none: "无", planner_title: "规划视图", layers: "图层", districts: "区域",
    stations: "急救站", hospitals: "医院", aeds: "AED", drone_pads: "无人机起降点",
    training_sites: "培训点", road_edges: "路网", exports: "导出", code: "代码", name: "名称",
    kind: "类型", urban: "城市", rural: "乡村", aeds_ready: "可用",
    aeds_not_ready: "均不可用（灰色）", error: "错误", language: "English",
    analyst_token: "分析员令牌", coverage: "急救站覆盖范围（8分钟车程）", kpi: "区域指标",
    volunteer_density: "志愿者分布（每500米，5人以上）",
    population: "人口密度（10级以上）",
    needs_token: "需要分析员令牌", kpi_population: "人口", kpi_ambulance: "救护车达标",
    kpi_aed: "AED步行≤5分钟", kpi_circle: "5分钟救援圈", kpi_aeds_100k: "可用AED/10万人",
    siting: "选址", site_add: "新增", site_relocate: "迁移现有AED", site_cover_all: "全覆盖最少点位",
    demand_population: "覆盖人口", demand_incidents: "覆盖呼救", demand_mix: "人口与呼救各半",
    calls_from: "呼救自", calls_to: "至", site_run: "运行选址", site_running: "选址中",
    site_rank: "排名", site_gained_people: "新增覆盖人口", site_gained_calls: "新增覆盖呼救",
    site_moved: "迁移的AED", site_covered: "覆盖（前 → 后）", people: "人", calls: "次呼救",
    site_download: "下载GeoJSON",
  },
};

/** The UI language: ?lang=, then the saved choice, then Chinese for Chinese locales. */
export function language() {
  const asked = new URLSearchParams(location.search).get("lang");
  if (asked === "zh" || asked === "en") return asked;
  const saved = localStorage.getItem("rc.lang");
  if (saved === "zh" || saved === "en") return saved;
  return (navigator.languages || [navigator.language]).some((l) => /^zh\b/i.test(l)) ? "zh" : "en";
}

let current = "en";
export function t(key) {
  return (STRINGS[current] && STRINGS[current][key]) || STRINGS.en[key] || key;
}

/** Translate every [data-i18n] element (text) and [data-i18n-placeholder] (placeholder). */
export function applyLanguage(lang) {
  current = lang;
  document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
  for (const el of document.querySelectorAll("[data-i18n]")) el.textContent = t(el.dataset.i18n);
  for (const el of document.querySelectorAll("[data-i18n-placeholder]")) {
    el.placeholder = t(el.dataset.i18nPlaceholder);
  }
}

/** Wire the language toggle button (#lang) and translate the page; calls onChange after. */
export function initLanguage(onChange) {
  applyLanguage(language());
  const button = document.getElementById("lang");
  if (button) {
    button.addEventListener("click", () => {
      const next = current === "zh" ? "en" : "zh";
      localStorage.setItem("rc.lang", next);
      applyLanguage(next);
      if (onChange) onChange();
    });
  }
}

const ROAD_COLOURS = ["match", ["get", "kind"],
  "highway", "#f3b562", "major", "#f7d08a", "medium", "#ffffff", "minor", "#ffffff",
  "path", "#c9b8a6", "#ffffff"];
const roadWidths = (extra) => ["interpolate", ["linear"], ["zoom"], 10,
  ["match", ["get", "kind"], "highway", 2 + extra, "major", 1.6 + extra, "medium", 1 + extra,
    "path", 0.4 + extra, 0.6 + extra],
  16, ["match", ["get", "kind"], "highway", 10 + extra, "major", 8 + extra, "medium", 6 + extra,
    "path", 1.5 + extra, 4 + extra]];
const ROAD_WIDTHS = roadWidths(0);

/** A MapLibre style on our own basemap tiles: districts and roads, no text (no glyphs). */
export function basemapStyle() {
  const origin = location.origin;
  return {
    version: 8,
    name: "rescuecircle basemap",
    sources: {
      basemap: { type: "vector", tiles: [`${origin}/tiles/basemap/{z}/{x}/{y}.mvt`],
                 minzoom: 0, maxzoom: 16,
                 attribution: "rescuecircle; roads © OpenStreetMap contributors" },
    },
    layers: [
      { id: "background", type: "background", paint: { "background-color": "#eef0ea" } },
      { id: "districts-fill", type: "fill", source: "basemap", "source-layer": "districts",
        paint: { "fill-color": ["match", ["get", "kind"], "rural", "#e3ecd6", "#f4f1ec"],
                 "fill-opacity": 0.9 } },
      { id: "districts-line", type: "line", source: "basemap", "source-layer": "districts",
        paint: { "line-color": "#9d8fb0", "line-width": 1.2, "line-dasharray": [3, 2] } },
      { id: "roads-casing", type: "line", source: "basemap", "source-layer": "roads",
        filter: ["!=", ["get", "kind"], "path"],
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": "#c8c2b8", "line-width": roadWidths(1.5) } },
      { id: "roads", type: "line", source: "basemap", "source-layer": "roads",
        layout: { "line-cap": "round", "line-join": "round" },
        paint: { "line-color": ROAD_COLOURS, "line-width": ROAD_WIDTHS } },
    ],
  };
}

/** Where the map opens: ?lon=&lat=, else the centre of the loaded data, else the demo city. */
export async function startView(zoom = 13) {
  const q = new URLSearchParams(location.search);
  const lon = parseFloat(q.get("lon"));
  const lat = parseFloat(q.get("lat"));
  if (Number.isFinite(lon) && Number.isFinite(lat)) return { center: [lon, lat], zoom: 15, given: true };
  try {
    const tilejson = await (await fetch("/tiles/basemap.json")).json();
    if (tilejson.center) return { center: tilejson.center.slice(0, 2), zoom, given: false };
  } catch (error) { /* offline: fall through */ }
  return { center: [114.2, 22.65], zoom, given: false };
}

/** A map on our basemap; ``options`` go to MapLibre (e.g. transformRequest for tokens). */
export function makeMap(container, view, options = {}) {
  const map = new maplibregl.Map({
    container, style: basemapStyle(), center: view.center, zoom: view.zoom,
    attributionControl: { compact: true }, maxZoom: 19, ...options,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.addControl(new maplibregl.ScaleControl({ unit: "metric" }), "bottom-left");
  return map;
}

export function loaded(map) {
  return new Promise((resolve) => (map.loaded() ? resolve() : map.once("load", resolve)));
}

/** Minutes for display, rounded up (nobody plans on "0 min"). */
export function minutes(seconds) {
  return seconds == null ? "–" : `${Math.max(1, Math.ceil(seconds / 60))} ${t("min")}`;
}

export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => (
    { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
}

export async function api(path, { method = "GET", body, token } = {}) {
  const headers = {};
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body),
  });
  return answerOf(response);
}

/** A response's JSON, or an Error with the server's description and the HTTP status (409
 * full, 429 too many) for the page to say plainly. */
export async function answerOf(response) {
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch (error) { data = { description: text }; }
  if (!response.ok) {
    const error = new Error((data && (data.description || data.detail)) || response.statusText);
    error.status = response.status;
    throw error;
  }
  return data;
}

export function emptyCollection() {
  return { type: "FeatureCollection", features: [] };
}

// The token form shared by the console and the planner: the token is kept in sessionStorage
// under `key` (gone when the tab closes); `show` redraws the page's signed-in state.
export function wireTokenForm(key, show) {
  document.getElementById("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const value = document.getElementById("token").value.trim();
    if (value) sessionStorage.setItem(key, value);
    document.getElementById("token").value = "";
    show();
  });
  document.getElementById("sign-out").addEventListener("click", () => {
    sessionStorage.removeItem(key);
    show();
  });
  show();
}

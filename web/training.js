// The public training-site finder: from the map centre, a tapped point or the device, the
// nearest training sites by walking or driving time (GET /api/training-sites/nearest) with
// their upcoming courses and free places; enrolment with a name and phone (POST
// /api/training-sessions/{id}/enrolments), a refusal (409: full, started, already enrolled)
// said plainly; and the volunteer application (POST /api/volunteers/apply, multipart).
/* global maplibregl */
import { api, escapeHtml, initLanguage, loaded, makeMap, minutes, startView, t } from "./common.js";
import { postForm, shrinkPhoto } from "./community.js";

const state = { here: null, result: null, markers: [], me: null, said: new Map() };

const view = await startView();
const map = makeMap("map", view);
window.rcMap = map; // for the browser tests
initLanguage(() => render());

map.on("click", (event) => search([event.lngLat.lng, event.lngLat.lat]));
document.getElementById("from-centre").addEventListener("click", () => {
  const centre = map.getCenter();
  search([centre.lng, centre.lat]);
});
document.getElementById("locate").addEventListener("click", () => {
  navigator.geolocation?.getCurrentPosition(
    (p) => search([p.coords.longitude, p.coords.latitude]),
    (error) => setStatus(error.message, true), { enableHighAccuracy: true, timeout: 10000 });
});
document.getElementById("mode").addEventListener("change", () => state.here && search(state.here));
document.getElementById("apply-form").addEventListener("submit", apply);
await loaded(map);
document.body.dataset.state = "ready";
if (view.given) search(view.center);

function setStatus(text, isError = false) {
  const el = document.getElementById("status");
  el.textContent = text;
  el.className = isError ? "hint error" : "hint";
}

async function search(here) {
  state.here = here;
  if (!state.me) {
    const el = document.createElement("div");
    el.className = "me";
    state.me = new maplibregl.Marker({ element: el });
  }
  state.me.setLngLat(here).addTo(map);
  document.body.dataset.state = "loading";
  setStatus("…");
  const params = new URLSearchParams({ lon: here[0].toFixed(6), lat: here[1].toFixed(6),
    mode: document.getElementById("mode").value, count: "5" });
  try {
    state.result = await api(`/api/training-sites/nearest?${params}`);
    setStatus("");
  } catch (error) {
    state.result = null;
    setStatus(`${t("error")}: ${error.message}`, true);
  }
  render();
  document.body.dataset.state = "ready";
}

function render() {
  for (const marker of state.markers) marker.remove();
  state.markers = [];
  const list = document.getElementById("site-list");
  list.innerHTML = "";
  const result = state.result;
  document.getElementById("sites-title").hidden = !result;
  const notes = document.getElementById("notes");
  notes.textContent = (result?.notes || []).join(" ");
  notes.hidden = !notes.textContent;
  if (!result) return;
  const bounds = new maplibregl.LngLatBounds(state.here, state.here);
  result.sites.forEach((site, index) => {
    list.appendChild(siteItem(site, index + 1));
    const el = document.createElement("div");
    el.className = "pin site-pin";
    el.dataset.siteId = site.id;
    el.title = site.name;
    el.innerHTML = `<span>${index + 1}</span>`;
    state.markers.push(new maplibregl.Marker({ element: el }).setLngLat([site.lon, site.lat]).addTo(map));
    bounds.extend([site.lon, site.lat]);
  });
  if (result.sites.length) map.fitBounds(bounds, { padding: 50, maxZoom: 16, duration: 0 });
}

function siteItem(site, rank) {
  const li = document.createElement("li");
  li.dataset.siteId = site.id;
  const how = site.mode === "drive" ? t("by_drive") : t("by_walk");
  li.innerHTML = `
    <div class="aed-head"><span class="rank" style="background:#6a1b9a">${rank}</span>
      <span class="aed-name">${escapeHtml(site.name || `#${site.id}`)}</span>
      <span class="walk" data-travel-s="${site.travel_s}">${how} ${minutes(site.travel_s)}</span></div>
    ${site.address ? `<p class="hint">${escapeHtml(site.address)}</p>` : ""}
    <ul class="sessions"></ul>`;
  const sessions = li.querySelector("ul.sessions");
  if (!site.sessions.length) sessions.innerHTML = `<li class="muted">${t("no_sessions")}</li>`;
  for (const session of site.sessions) sessions.appendChild(sessionItem(session));
  return li;
}

function sessionItem(session) {
  const li = document.createElement("li");
  li.dataset.sessionId = session.id;
  li.dataset.free = session.free_places ?? "";
  const full = session.free_places === 0;
  const places = session.free_places == null ? ""
    : full ? `<span class="places-full">${t("full")}</span>`
      : `<span class="places-free">${session.free_places} ${t("free_places")}</span>`;
  li.innerHTML = `
    <span class="course">${escapeHtml(session.course)}<br>
      <span class="muted">${escapeHtml(when(session.starts_at, session.ends_at))}</span></span>
    ${places}
    <button type="button" class="enrol-open" ${full ? "disabled" : ""}>${t("enrol")}</button>`;
  const said = state.said.get(session.id);
  if (said) li.appendChild(message(said.text, said.kind));
  li.querySelector(".enrol-open").addEventListener("click", () => openEnrol(li, session));
  return li;
}

function when(startsAt, endsAt) {
  const locale = document.documentElement.lang;
  const start = new Date(startsAt);
  const end = new Date(endsAt);
  const day = start.toLocaleDateString(locale, { weekday: "short", month: "short", day: "numeric" });
  const time = (d) => d.toLocaleTimeString(locale, { hour: "2-digit", minute: "2-digit" });
  return `${day} ${time(start)}–${time(end)}`;
}

function message(text, kind) {
  const p = document.createElement("p");
  p.className = `hint result ${kind}`;
  p.style.flexBasis = "100%";
  p.textContent = text;
  return p;
}

function openEnrol(li, session) {
  if (li.querySelector("form")) return;
  const form = document.createElement("form");
  form.className = "enrol";
  form.style.flexBasis = "100%";
  form.innerHTML = `
    <strong>${t("enrol_title")}</strong>
    <label>${t("your_name")} <input name="name" required maxlength="100" autocomplete="name"></label>
    <label>${t("your_phone")} <input name="phone" type="tel" required maxlength="20" autocomplete="tel"></label>
    <p class="hint">${t("privacy_note")}</p>
    <div class="toolbar"><button type="submit">${t("enrol")}</button>
      <button type="button" class="cancel">${t("cancel")}</button></div>`;
  form.querySelector(".cancel").addEventListener("click", () => form.remove());
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    try {
      await api(`/api/training-sessions/${session.id}/enrolments`, { method: "POST",
        body: { name: data.get("name").trim(), phone: data.get("phone").trim() } });
      state.said.set(session.id, { text: t("enrolled"), kind: "ok" });
    } catch (error) {
      // 409: the server says why (full, started, already enrolled): shown as it is
      state.said.set(session.id, { text: `${t("enrol_refused")}: ${error.message}`, kind: "error" });
    }
    await search(state.here); // the free places as they are now
  });
  li.appendChild(form);
  form.querySelector("input[name=name]").focus();
}

async function apply(event) {
  event.preventDefault();
  const form = event.target;
  const out = document.getElementById("apply-result");
  const body = new FormData(form);
  const photo = await shrinkPhoto(body.get("certificate_photo"));
  body.delete("certificate_photo");
  if (photo) body.set("certificate_photo", photo, photo.name || "certificate");
  for (const [name, value] of [...body.entries()]) if (value === "") body.delete(name);
  try {
    await postForm("/api/volunteers/apply", body);
    out.textContent = t("applied");
    out.className = "hint result ok";
    form.querySelector("button[type=submit]").disabled = true;
  } catch (error) {
    out.textContent = error.status === 429 ? t("too_many") : `${t("error")}: ${error.message}`;
    out.className = "hint result error";
  }
}

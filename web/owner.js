// The owner page: an AED owner pastes its token once (kept in localStorage: the page is for
// the organisation's own device), sees its AEDs on the map and as a list with what needs
// doing (GET /api/owner/aeds), registers one (POST /api/aeds), sets its status, its battery
// and pad dates and records inspections; and decides the proposals about its AEDs (for an
// admin token, all of them) with the photo sent (GET /api/aed-proposals, .../{id}/photo).
/* global maplibregl */
import { api, escapeHtml, initLanguage, loaded, makeMap, startView, t } from "./common.js";
import "./community.js"; // the page's strings

const TOKEN_KEY = "rc.owner_token";
// a proposal's fields by the labels the finder uses for them
const FIELD_LABELS = { name: "name", location_text: "location", level: "floor",
  opening_hours: "opening_hours", access: "access", address: "address" };
const STATUSES = ["ready", "fault", "out_of_service", "missing", "in_use"];
const state = { role: null, aeds: [], proposals: [], markers: [], at: null, atMarker: null,
  photoUrls: [] };

const view = await startView();
const map = makeMap("map", view);
window.rcMap = map; // for the browser tests
initLanguage(() => render());

map.on("click", (event) => placeNew([event.lngLat.lng, event.lngLat.lat]));
document.getElementById("register-form").addEventListener("submit", register);
document.getElementById("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const value = document.getElementById("token").value.trim();
  if (value) localStorage.setItem(TOKEN_KEY, value);
  document.getElementById("token").value = "";
  signIn();
});
document.getElementById("sign-out").addEventListener("click", () => {
  localStorage.removeItem(TOKEN_KEY);
  signIn();
});
// the forms are wired above before waiting for the map: a token pasted early is not lost
await loaded(map);
await signIn();

function token() { return localStorage.getItem(TOKEN_KEY); }
function call(path, options = {}) { return api(path, { ...options, token: token() }); }

function say(text, isError = false) {
  const el = document.getElementById("message");
  el.textContent = text;
  el.className = isError ? "hint error" : "hint";
}

async function signIn() {
  const signedIn = Boolean(token());
  for (const id of ["token", "sign-in", "token-hint"]) document.getElementById(id).hidden = signedIn;
  document.getElementById("sign-out").hidden = !signedIn;
  state.role = null;
  document.getElementById("whoami").textContent = "";
  if (signedIn) {
    try {
      const me = await call("/api/whoami");
      document.getElementById("whoami").textContent = `${me.role}${me.label ? ` · ${me.label}` : ""}`;
      if (me.role === "owner" || me.role === "admin") state.role = me.role;
      else say(`${t("error")}: ${me.role}`, true);
    } catch (error) {
      say(`${t("error")}: ${error.message}`, true);
    }
  }
  await load();
}

/** Everything this token may see, fetched again after every change. */
async function load() {
  document.body.dataset.state = "loading";
  state.aeds = [];
  state.proposals = [];
  try {
    if (state.role === "owner") state.aeds = await call("/api/owner/aeds");
    if (state.role) state.proposals = await call("/api/aed-proposals");
  } catch (error) {
    say(`${t("error")}: ${error.message}`, true);
  }
  render();
  document.body.dataset.state = "ready";
}

function render() {
  for (const marker of state.markers) marker.remove();
  state.markers = [];
  for (const url of state.photoUrls) URL.revokeObjectURL(url);
  state.photoUrls = [];
  document.getElementById("mine").hidden = state.role !== "owner";
  document.getElementById("register").hidden = !state.role;
  document.getElementById("queue").hidden = !state.role;
  document.getElementById("queue-empty").hidden = state.proposals.length > 0;
  const list = document.getElementById("aed-list");
  list.replaceChildren(...state.aeds.map(aedItem));
  document.getElementById("queue-list").replaceChildren(...state.proposals.map(proposalItem));
  const points = [];
  state.aeds.forEach((aed, index) => {
    pin(`owned-pin${aed.todo.length ? " needs-work" : ""}`, String(index + 1), [aed.lon, aed.lat],
      { aedId: aed.id }, aed.name);
    points.push([aed.lon, aed.lat]);
  });
  for (const proposal of state.proposals) {
    if (proposal.lon == null) continue;
    pin("proposal-pin", "?", [proposal.lon, proposal.lat], { proposalId: proposal.id }, proposal.kind);
    points.push([proposal.lon, proposal.lat]);
  }
  if (points.length) {
    const bounds = points.reduce((b, p) => b.extend(p), new maplibregl.LngLatBounds(points[0], points[0]));
    map.fitBounds(bounds, { padding: 50, maxZoom: 16, duration: 0 });
  }
}

function pin(className, label, lonlat, data, title) {
  const el = document.createElement("div");
  el.className = `pin ${className}`;
  el.title = title || "";
  Object.assign(el.dataset, data);
  el.innerHTML = `<span>${escapeHtml(label)}</span>`;
  state.markers.push(new maplibregl.Marker({ element: el }).setLngLat(lonlat).addTo(map));
}

function aedItem(aed, index) {
  const li = document.createElement("li");
  li.dataset.aedId = aed.id;
  li.className = aed.todo.length ? "needs-work" : "";
  const row = (key, value) => (value ? `<dt>${t(key)}</dt><dd>${escapeHtml(value)}</dd>` : "");
  li.innerHTML = `
    <div class="aed-head"><span class="rank" style="background:#1565c0">${index + 1}</span>
      <span class="aed-name">${escapeHtml(aed.name || `AED ${aed.id}`)}</span>
      <span class="status" data-status="${escapeHtml(aed.status)}">${t(`s_${aed.status}`)}</span></div>
    <dl class="details">
      ${row("location", [aed.location_text, aed.level ? `${t("level")} ${aed.level}` : ""].filter(Boolean).join(" · "))}
      ${row("opening_hours", aed.opening_hours)}
      ${row("battery_date", aed.battery_expires_on)}
      ${row("pads_date", aed.pads_expire_on)}
      ${row("inspected", aed.last_inspected_at && new Date(aed.last_inspected_at).toLocaleDateString())}
    </dl>
    ${aed.todo.length ? `<ul class="todo">${aed.todo.map((x) => `<li>${escapeHtml(x)}</li>`).join("")}</ul>`
      : `<p class="hint ok">${t("todo_none")}</p>`}
    <details><summary>${t("set_status")} · ${t("save_dates")} · ${t("inspect")}</summary>
      <form class="aed-edit status-form">
        <label>${t("status")} <select name="status">${STATUSES.map((s) =>
          `<option value="${s}" ${s === aed.status ? "selected" : ""}>${t(`s_${s}`)}</option>`).join("")}</select></label>
        <label>${t("reason")} <input name="reason" maxlength="500"></label>
        <div class="toolbar"><button type="submit">${t("set_status")}</button></div>
      </form>
      <form class="aed-edit dates-form">
        <label>${t("battery_date")} <input name="battery_expires_on" type="date" value="${aed.battery_expires_on || ""}"></label>
        <label>${t("pads_date")} <input name="pads_expire_on" type="date" value="${aed.pads_expire_on || ""}"></label>
        <label>${t("note")} <input name="note" maxlength="500"></label>
        <div class="toolbar"><button type="submit" name="save">${t("save_dates")}</button>
          <button type="button" class="inspect">${t("inspect")}</button></div>
      </form>
    </details>`;
  const statusForm = li.querySelector(".status-form");
  statusForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const data = new FormData(statusForm);
    act(`/api/aeds/${aed.id}/status`, "POST",
      { status: data.get("status"), reason: data.get("reason") || undefined });
  });
  const datesForm = li.querySelector(".dates-form");
  const dates = () => {
    const data = new FormData(datesForm);
    return { battery_expires_on: data.get("battery_expires_on") || undefined,
      pads_expire_on: data.get("pads_expire_on") || undefined, note: data.get("note") || undefined };
  };
  datesForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const { note, ...body } = dates();
    act(`/api/aeds/${aed.id}`, "PATCH", body);
  });
  li.querySelector(".inspect").addEventListener("click", () =>
    act(`/api/aeds/${aed.id}/telemetry`, "POST", { kind: "inspection", ...dates() }));
  return li;
}

async function act(path, method, body) {
  try {
    await call(path, { method, body });
    await load();
    say(t("saved"));
  } catch (error) {
    say(`${t("error")}: ${error.message}`, true);
  }
}

function proposalItem(proposal) {
  const li = document.createElement("li");
  li.dataset.proposalId = proposal.id;
  const fields = Object.entries(proposal.fields || {})
    .map(([k, v]) => `<dt>${escapeHtml(t(FIELD_LABELS[k] || k))}</dt><dd>${escapeHtml(v)}</dd>`).join("");
  li.innerHTML = `
    <div class="aed-head"><span class="rank" style="background:#d32f2f">?</span>
      <span class="aed-name">${escapeHtml(proposal.kind === "new" ? (proposal.fields?.name || t("propose_title"))
        : aedName(proposal.aed_id))}</span>
      <span class="muted">${escapeHtml(t(proposal.kind === "new" ? "propose_title" : `k_${proposal.kind}`))}</span></div>
    <dl class="details">${fields}
      ${proposal.note ? `<dt>${t("proposal_note")}</dt><dd>${escapeHtml(proposal.note)}</dd>` : ""}
      ${proposal.lon != null ? `<dt>${t("position")}</dt><dd>${proposal.lon.toFixed(5)}, ${proposal.lat.toFixed(5)}</dd>` : ""}
      <dt>${t("time")}</dt><dd>${escapeHtml(new Date(proposal.created_at).toLocaleString())}</dd></dl>
    <div class="photo">${proposal.photo_id ? "" : `<p class="muted">${t("no_photo")}</p>`}</div>
    <form class="aed-edit decide">
      <div class="toolbar"><button type="button" class="accept">${t("accept")}</button></div>
      <label>${t("reject_reason")} <input name="reason" maxlength="500" required></label>
      <div class="toolbar"><button type="submit" class="reject">${t("reject")}</button></div>
    </form>`;
  if (proposal.photo_id) showPhoto(li.querySelector(".photo"), proposal.id);
  const form = li.querySelector("form.decide");
  li.querySelector(".accept").addEventListener("click", () => decide(proposal.id, "accept", {}));
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    decide(proposal.id, "reject", { reason: new FormData(form).get("reason").trim() });
  });
  return li;
}

/** The AED a change is about, by name when it is one of the owner's (an admin sees ids). */
function aedName(aedId) {
  const aed = state.aeds.find((a) => a.id === aedId);
  return aed && aed.name ? `${aed.name} (AED ${aedId})` : `AED ${aedId}`;
}

/** The pending photo needs the moderator's token, so it is fetched here and shown from a
 * blob: URL (an <img src> could not send the Authorization header). */
async function showPhoto(box, proposalId) {
  try {
    const response = await fetch(`/api/aed-proposals/${proposalId}/photo`,
      { headers: { Authorization: `Bearer ${token()}` } });
    if (!response.ok) throw new Error(response.statusText);
    const url = URL.createObjectURL(await response.blob());
    state.photoUrls.push(url);
    box.innerHTML = `<img class="pending-photo" alt="${escapeHtml(t("photo"))}" src="${url}">`;
  } catch (error) {
    box.innerHTML = `<p class="error">${escapeHtml(t("photo"))}: ${escapeHtml(error.message)}</p>`;
  }
}

async function decide(proposalId, decision, body) {
  try {
    await call(`/api/aed-proposals/${proposalId}/${decision}`, { method: "POST", body });
    await load();
    say(t(decision === "accept" ? "accepted" : "rejected"));
  } catch (error) {
    say(`${t("error")}: ${error.message}`, true);
  }
}

/** A click on the map places the AED to register (when its form is open). */
function placeNew(lonlat) {
  if (!document.getElementById("register").open) return;
  state.at = lonlat;
  if (!state.atMarker) {
    const el = document.createElement("div");
    el.className = "proposal-marker";
    state.atMarker = new maplibregl.Marker({ element: el });
  }
  state.atMarker.setLngLat(lonlat).addTo(map);
  document.getElementById("register-at").textContent = `${lonlat[0].toFixed(5)}, ${lonlat[1].toFixed(5)}`;
}

async function register(event) {
  event.preventDefault();
  const out = document.getElementById("register-result");
  if (!state.at) {
    out.textContent = t("register_hint");
    out.className = "hint result error";
    return;
  }
  const body = { point: state.at };
  for (const [name, value] of new FormData(event.target).entries()) {
    if (String(value).trim()) body[name] = String(value).trim();
  }
  try {
    const made = await call("/api/aeds", { method: "POST", body });
    out.textContent = `${t("registered")}: AED ${made.id}`;
    out.className = "hint result ok";
    event.target.reset();
    state.atMarker?.remove();
    state.at = null;
    await load();
  } catch (error) {
    out.textContent = `${t("error")}: ${error.message}`;
    out.className = "hint result error";
  }
}

// The finder's proposals (POST /api/aed-proposals, a multipart form): "propose an AED here"
// (position from a draggable marker, the map centre or the device; name, where it hangs,
// floor, hours, a photo from the camera or files) and, on an AED's item, "moved / gone /
// wrong hours". Nothing shows on the map until a moderator accepts it, and the page says so.
/* global maplibregl */
import { escapeHtml, t } from "./common.js";
import { postForm, shrinkPhoto } from "./community.js";

const CHANGES = ["moved", "gone", "wrong_hours", "other"];
let map = null;
let marker = null;   // where the proposed AED (or its new place) is: one form at a time
let open = null;     // the open form

/** Wire the "propose an AED here" button; ``here()`` is the finder's last position. */
export function initProposals(theMap, here) {
  map = theMap;
  document.getElementById("propose-open").addEventListener("click", () => {
    const box = document.getElementById("propose-box");
    const centre = map.getCenter();
    const form = proposalForm({ kind: "new", at: here() || [centre.lng, centre.lat] });
    box.replaceChildren(form);
    form.scrollIntoView({ block: "nearest" });
  });
}

/** The "moved / gone / wrong hours" button of an AED's item in the finder's list. */
export function changeButton(li, feature) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "change-open";
  button.textContent = t("propose_change");
  button.addEventListener("click", () => {
    if (li.querySelector("form.proposal")) return;
    li.appendChild(proposalForm({ kind: "moved", aed: feature, at: feature.geometry.coordinates }));
  });
  return button;
}

/** While a proposal that needs a position is open, a tap on the map moves its marker (and
 * does not search again); true when the tap was taken. */
export function takeMapClick(lngLat) {
  if (open && !open.isConnected) closeOpen(); // the finder redrew its list under the form
  if (!marker || !open || !open.querySelector(".position:not([hidden])")) return false;
  marker.setLngLat(lngLat);
  showPosition();
  return true;
}

function proposalForm({ kind, aed = null, at }) {
  closeOpen();
  const form = document.createElement("form");
  form.className = "proposal";
  form.dataset.kind = aed ? "change" : "new";
  const input = (name, key, extra = "") =>
    `<label>${t(key)} <input name="${name}" maxlength="500" ${extra}></label>`;
  form.innerHTML = `
    <h3>${t(aed ? "change_title" : "propose_title")}${aed ? `: ${escapeHtml(aed.properties.name || `AED ${aed.id}`)}` : ""}</h3>
    ${aed ? `<label>${t("problem")} <select name="kind">${CHANGES.map(
      (k) => `<option value="${k}">${t(`k_${k}`)}</option>`).join("")}</select></label>` : ""}
    <div class="position">
      <p class="hint">${t("drag_hint")}</p>
      <div class="toolbar"><span class="coords muted"></span>
        <button type="button" class="use-centre">${t("use_centre")}</button>
        <button type="button" class="use-device">${t("use_device")}</button></div>
    </div>
    ${aed ? "" : input("name", "aed_name", "required")}
    ${aed ? "" : input("location_text", "where_hangs")}
    ${aed ? "" : input("level", "floor", 'maxlength="20" inputmode="text"')}
    <div class="hours">${input("opening_hours", "hours")}</div>
    <label>${t("photo_file")} <input name="photo" type="file" accept="image/jpeg,image/png"></label>
    <textarea name="note" rows="2" maxlength="500" placeholder="${t("note")}"></textarea>
    <div class="toolbar"><button type="submit">${t("send")}</button>
      <button type="button" class="cancel">${t("cancel")}</button></div>
    <p class="hint result" aria-live="polite"></p>`;
  open = form;
  const el = document.createElement("div");
  el.className = "proposal-marker";
  el.dataset.testid = "proposal-marker";
  marker = new maplibregl.Marker({ element: el, draggable: true }).setLngLat(at).addTo(map);
  marker.on("dragend", showPosition);
  showPosition();
  form.querySelector(".use-centre").addEventListener("click", () => {
    marker.setLngLat(map.getCenter());
    showPosition();
  });
  form.querySelector(".use-device").addEventListener("click", () => {
    navigator.geolocation?.getCurrentPosition((p) => {
      marker.setLngLat([p.coords.longitude, p.coords.latitude]);
      map.easeTo({ center: marker.getLngLat() });
      showPosition();
    }, (error) => say(form, error.message, "error"), { enableHighAccuracy: true, timeout: 10000 });
  });
  const kindSelect = form.querySelector("select[name=kind]");
  const showFields = () => {
    const chosen = kindSelect ? kindSelect.value : "new";
    form.querySelector(".position").hidden = !["new", "moved"].includes(chosen);
    form.querySelector(".hours").hidden = !["new", "wrong_hours"].includes(chosen);
    form.querySelector("input[name=opening_hours]").required = chosen === "wrong_hours";
    marker.getElement().hidden = form.querySelector(".position").hidden;
  };
  kindSelect?.addEventListener("change", showFields);
  showFields();
  form.querySelector(".cancel").addEventListener("click", closeOpen);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    send(form, aed);
  });
  return form;
}

async function send(form, aed) {
  const fields = new FormData(form);
  const kind = aed ? fields.get("kind") : "new";
  const body = new FormData();
  body.set("kind", kind);
  if (aed) body.set("aed_id", String(aed.id));
  if (["new", "moved"].includes(kind)) {
    const { lng, lat } = marker.getLngLat();
    body.set("lon", lng.toFixed(6));
    body.set("lat", lat.toFixed(6));
  }
  for (const name of ["name", "location_text", "level", "opening_hours", "note"]) {
    const value = (fields.get(name) || "").trim();
    if (value && (name !== "opening_hours" || ["new", "wrong_hours"].includes(kind))) body.set(name, value);
  }
  const photo = await shrinkPhoto(fields.get("photo"));
  if (photo) body.set("photo", photo, photo.name || "photo");
  form.querySelector("button[type=submit]").disabled = true;
  try {
    await postForm("/api/aed-proposals", body);
    say(form, t("proposal_sent"), "ok");
    form.querySelectorAll("input, select, textarea, button[type=submit]").forEach((el) => { el.disabled = true; });
    form.dataset.sent = "1";
    marker?.remove();
    marker = null;
    open = null;
  } catch (error) {
    form.querySelector("button[type=submit]").disabled = false;
    say(form, error.status === 429 ? t("too_many") : `${t("proposal_failed")}: ${error.message}`, "error");
  }
}

function showPosition() {
  if (!open || !marker) return;
  const { lng, lat } = marker.getLngLat();
  open.querySelector(".coords").textContent = `${lng.toFixed(5)}, ${lat.toFixed(5)}`;
}

function say(form, text, kind) {
  const out = form.querySelector(".result");
  out.textContent = text;
  out.className = `hint result ${kind}`;
}

function closeOpen() {
  if (open && !open.dataset.sent) open.remove();
  marker?.remove();
  marker = null;
  open = null;
}

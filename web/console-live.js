// The console's live view of one incident, from GET /api/incidents/{id}/events: the units and
// their alerts (pending, accepted, declined, timed out, arrived...), volunteers' and the
// ambulance's positions moving on the map with the ETA computed from each, and every event in
// a timeline.
//
// Events are numbered 1..n per incident. The view applies each number once, in order: after a
// dropped connection it reconnects with Last-Event-ID set to the last number it applied, so
// nothing is lost, and a number it already has is skipped, so nothing is shown twice.
/* global maplibregl */
import { api, emptyCollection, escapeHtml, minutes, t } from "./common.js";
import { readEventStream } from "./event-stream.js";

const RECONNECT_MS = 1000;
const AMBULANCE_KINDS = ["dispatched", "en_route", "on_scene", "transporting", "at_hospital",
  "handed_over", "released"];
const ON_THE_WAY = { volunteer: ["accepted", "arrived"], ambulance: ["dispatched", "en_route", "on_scene"] };
const UNIT_COLOURS = { volunteer: "#1565c0", ambulance: "#d32f2f" };

export class LiveIncident {
  /**
   * `token()` gives the dispatcher's token; `onPlan(dispatchId)` is told of every plan sent
   * (a replan after a decline or a time-out); `onClosed()` when the incident closes.
   */
  constructor(map, { token, onPlan, onClosed }) {
    this.map = map;
    this.token = token;
    this.onPlan = onPlan;
    this.onClosed = onClosed;
    this.run = 0;
    this.controller = null;
    this.markers = {};
    this.callSigns = {};
    this.reset(null);
    map.addSource("live", { type: "geojson", data: emptyCollection() });
    map.addLayer({ id: "live", type: "circle", source: "live",
      paint: { "circle-radius": 8, "circle-color": ["get", "colour"], "circle-stroke-color": "#fff",
               "circle-stroke-width": 3 } });
  }

  reset(incidentId) {
    this.incidentId = incidentId;
    this.lastSeq = 0;
    this.seqs = [];
    this.retryMs = RECONNECT_MS;
    this.closed = false;
    this.alerts = new Map();       // alert id -> {volunteer_id, task, aed_id, status, eta_s}
    this.ambulances = new Map();   // ambulance id -> {status, eta_s}
    this.drones = new Map();       // drone pad id -> status
    this.positions = new Map();    // volunteer id -> [lon, lat]
    this.ambulancePositions = new Map();  // ambulance id -> [lon, lat]
    for (const m of Object.values(this.markers || {})) m.remove();
    this.markers = {};
    document.getElementById("timeline").innerHTML = "";
    document.getElementById("live").hidden = incidentId === null;
    document.getElementById("live-id").textContent = incidentId ?? "";
    document.getElementById("close-form").hidden = false;
    this.render();
  }

  /** Follow another incident from its first event (stops following the one before). */
  follow(incidentId) {
    this.stop();
    this.reset(incidentId);
    const run = ++this.run;
    this.loop(run);
  }

  stop() {
    this.run += 1;
    if (this.controller) this.controller.abort();
  }

  /** Cut the connection as a network failure would; the view reconnects by itself. */
  drop() {
    if (this.controller) this.controller.abort();
  }

  noteAmbulance(id, callSign) {
    if (id != null) this.callSigns[id] = callSign;
  }

  async loop(run) {
    while (run === this.run && !this.closed) {
      this.controller = new AbortController();
      try {
        const headers = { Accept: "text/event-stream", Authorization: `Bearer ${this.token()}` };
        if (this.lastSeq > 0) headers["Last-Event-ID"] = String(this.lastSeq);
        const response = await fetch(`/api/incidents/${this.incidentId}/events`, {
          headers, cache: "no-store", signal: this.controller.signal });
        if (!response.ok) {
          const body = await response.json().catch(() => ({}));
          if ([401, 403, 404].includes(response.status)) {
            this.badge("closed", `${t("error")} ${response.status}: ${body.description || ""}`);
            return;
          }
          throw new Error(`HTTP ${response.status}`);
        }
        this.badge("connected");
        await readEventStream(response, (message) => {
          if (run === this.run) this.apply(JSON.parse(message.data));
        }, (ms) => { this.retryMs = ms; });
      } catch (error) {
        /* a dropped connection or an abort: reconnect below unless we stopped following */
      }
      if (run !== this.run || this.closed) break;
      this.badge("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, this.retryMs));
    }
    if (this.closed && run === this.run) this.badge("closed");
  }

  badge(live, text) {
    const el = document.getElementById("live-state");
    el.dataset.live = live;
    el.textContent = text || t(`live_${live}`);
  }

  apply(event) {
    if (event.seq <= this.lastSeq) return;          // already applied before a reconnect
    this.lastSeq = event.seq;
    this.seqs.push(event.seq);
    const data = event.data || {};
    const alert = data.alert_id != null ? this.alerts.get(data.alert_id) : null;
    if (event.kind === "alerted") {
      this.alerts.set(data.alert_id, { volunteer_id: event.unit_id, task: data.task,
        aed_id: data.aed_id, status: "pending", eta_s: data.eta_s });
    } else if (["accepted", "declined", "timed_out"].includes(event.kind) && alert) {
      alert.status = event.kind;
    } else if (event.kind === "withdrawn" && alert) {
      alert.status = data.reason === "closed" ? "stood_down" : "withdrawn";
    } else if (event.kind === "on_scene" && event.unit_kind === "volunteer" && alert) {
      alert.status = "arrived";
    } else if (event.kind === "aed_collected" && alert) {
      alert.aed_collected = true;
    } else if (event.kind === "position" && event.unit_kind === "volunteer") {
      if (alert) alert.eta_s = data.eta_s;
      this.positions.set(event.unit_id, [data.lon, data.lat]);
    } else if (event.kind === "position" && event.unit_kind === "ambulance") {
      const known = this.ambulances.get(event.unit_id) || { status: "dispatched" };
      this.ambulances.set(event.unit_id, { ...known, eta_s: data.eta_s });
      this.ambulancePositions.set(event.unit_id, [data.lon, data.lat]);
    } else if (event.unit_kind === "ambulance" && AMBULANCE_KINDS.includes(event.kind)) {
      const known = this.ambulances.get(event.unit_id) || {};
      this.ambulances.set(event.unit_id, { ...known, status: event.kind,
        eta_s: data.eta_s ?? known.eta_s });
    } else if (event.unit_kind === "drone_pad") {
      this.drones.set(event.unit_id, event.kind);
    } else if (event.kind === "plan_sent") {
      this.onPlan(data.dispatch_id);
    } else if (event.kind === "closed") {
      this.closed = true;
      for (const a of this.ambulances.values()) {     // closing turns back those not there yet
        if (a.status === "dispatched" || a.status === "en_route") a.status = "released";
      }
      document.getElementById("close-form").hidden = true;
      this.onClosed(data);
    }
    this.addToTimeline(event);
    this.render();
  }

  unitLabel(kind, id) {
    if (kind === "volunteer") return `${t("volunteer")} ${id}`;
    if (kind === "ambulance") return `${t("ambulance")} ${this.callSigns[id] || `#${id}`}`;
    if (kind === "aed") return `${t("aed")} ${id}`;
    if (kind === "drone_pad") return `${t("drone")} (${t("pad")} ${id})`;
    return "";
  }

  addToTimeline(event) {
    const li = document.createElement("li");
    li.dataset.seq = event.seq;
    li.dataset.kind = event.kind;
    const data = event.data || {};
    let extra = "";
    if (event.kind === "position" || event.kind === "alerted") extra = ` · ${t("eta")} ${minutes(data.eta_s)}`;
    if (event.kind === "closed") {
      extra = ` · ${t(`out_${data.outcome}`)}${data.rosc == null ? "" : ` · ${t(data.rosc ? "rosc_yes" : "rosc_no")}`}`;
    }
    const at = new Date(event.at).toLocaleTimeString();
    li.innerHTML = `<time>${escapeHtml(at)}</time><b>${escapeHtml(t(`ev_${event.kind}`))}</b>
      ${escapeHtml(this.unitLabel(event.unit_kind, event.unit_id))}${escapeHtml(extra)}`;
    const list = document.getElementById("timeline");
    list.prepend(li);                                // newest on top
  }

  render() {
    const body = document.querySelector("#live-units tbody");
    body.innerHTML = "";
    for (const [id, a] of this.ambulances) {
      body.appendChild(row({ role: "ambulance", ambulance: id }, this.unitLabel("ambulance", id), "",
        a.status, t(`ev_${a.status}`), a.eta_s));
    }
    for (const [id, status] of this.drones) {
      body.appendChild(row({ role: "drone", pad: id }, this.unitLabel("drone_pad", id), "", status,
        t(`ev_${status}`), null));
    }
    for (const [alertId, a] of this.alerts) {
      const task = a.task === "fetch_aed"
        ? `${t("fetch_aed")} ${a.aed_id}${a.aed_collected ? " ✔" : ""}` : t("respond");
      body.appendChild(row({ role: "alert", alertId, volunteerId: a.volunteer_id },
        this.unitLabel("volunteer", a.volunteer_id), task, a.status, t(`st_${a.status}`), a.eta_s));
    }
    this.drawPositions();
  }

  /** Volunteers and ambulances still on the way (or there) at their latest position. */
  drawPositions() {
    const engaged = new Set([...this.alerts.values()]
      .filter((a) => ON_THE_WAY.volunteer.includes(a.status)).map((a) => a.volunteer_id));
    const units = [
      ...[...this.positions].map(([id, at]) => ({ kind: "volunteer", id, at, on: engaged.has(id),
        text: `V${id}` })),
      ...[...this.ambulancePositions].map(([id, at]) => ({ kind: "ambulance", id, at,
        on: ON_THE_WAY.ambulance.includes((this.ambulances.get(id) || {}).status),
        text: this.callSigns[id] || `#${id}` })),
    ];
    const features = [];
    for (const unit of units) {
      const key = `${unit.kind}:${unit.id}`;
      const marker = this.markers[key];
      if (!unit.on) {
        if (marker) { marker.remove(); delete this.markers[key]; }
        continue;
      }
      const colour = UNIT_COLOURS[unit.kind];
      features.push({ type: "Feature", properties: { kind: unit.kind, id: unit.id, colour },
        geometry: { type: "Point", coordinates: unit.at } });
      if (marker) { marker.setLngLat(unit.at); continue; }
      const el = document.createElement("div");
      el.className = "label";
      el.style.cssText = `border-color:${colour};color:${colour};font-weight:700`;
      el.textContent = unit.text;
      this.markers[key] = new maplibregl.Marker({ element: el, anchor: "bottom", offset: [0, -10] })
        .setLngLat(unit.at).addTo(this.map);
    }
    const source = this.map.getSource("live");
    if (source) source.setData({ type: "FeatureCollection", features });
  }
}

function row(data, label, task, status, statusText, etaS) {
  const tr = document.createElement("tr");
  for (const [k, v] of Object.entries(data)) tr.dataset[k] = v;
  tr.dataset.status = status;
  tr.innerHTML = `<td>${escapeHtml(label)}</td><td>${escapeHtml(task)}</td>
    <td><span class="status-pill" data-status="${escapeHtml(status)}">${escapeHtml(statusText)}</span></td>
    <td data-eta-s="${etaS ?? ""}">${minutes(etaS)}</td>`;
  return tr;
}

/** The open incidents as buttons; `pick(id)` follows one. */
export async function listIncidents(token, pick, currentId) {
  const list = document.getElementById("incident-list");
  let open;
  try {
    open = await api("/api/incidents", { token });
  } catch (error) {
    return;
  }
  list.innerHTML = "";
  document.getElementById("no-open").hidden = open.length > 0;
  for (const incident of open) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.incidentId = incident.id;
    button.classList.toggle("current", incident.id === currentId);
    const when = new Date(incident.reported_at).toLocaleTimeString();
    button.textContent = `#${incident.id} · ${t(`cat_${incident.category || "none"}`)} · ${when} · ${incident.units} ${t("units")}`;
    button.addEventListener("click", () => pick(incident.id));
    li.appendChild(button);
    list.appendChild(li);
  }
}

// The live loop with a dispatcher and volunteers on one incident, each in their own browser
// context: the volunteer waits on /responder -> the dispatcher dispatches on /console -> the
// alert reaches the phone (countdown, route, big buttons above the fold) -> a second volunteer
// sees only their own alerts, and declines: the console shows the replan by itself -> the
// console's stream is cut and the volunteer accepts meanwhile
// -> the console resumes with Last-Event-ID and shows "accepted" once -> the phone moves
// (geolocation), the console shows it moving with the phone's ETA -> the ambulance reports
// positions, the console moves it with its ETA -> "AED collected" if asked, "arrived" -> the
// dispatcher closes the incident -> the phones are stood down. No reload.
// Prints INCIDENT=<id> for the Python side.
// Usage: node tests/web/loop.mjs BASE ARTIFACTS '{"token","tokens","volunteer","lon","lat"}'
import { args, check, mapIdle, runMany } from "./lib.mjs";

const { base, artifacts, spec } = args();
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true,
  deviceScaleFactor: 2 };
const start = { longitude: spec.lon + 0.00017, latitude: spec.lat + 0.00017, accuracy: 5 };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

await runMany("loop", base, artifacts, {
  dispatcher: { viewport: { width: 1280, height: 900 } },
  volunteer: { ...PHONE, permissions: ["geolocation"], geolocation: start },
  other: PHONE,
}, async ({ contexts, pages }, tools) => {
  const { shot } = tools;
  const { dispatcher: desk, volunteer: phone, other } = pages;
  const me = String(spec.volunteer);

  // The volunteer signs in once and waits.
  await phone.goto(`${base}/responder?lang=en`);
  await phone.waitForSelector("#token-form:not([hidden])", { timeout: 60000 });
  await phone.fill("#token", spec.tokens[me]);
  await phone.click("#sign-in");
  await phone.waitForSelector("#idle:not([hidden])");
  await phone.waitForSelector("#token-form", { state: "hidden" });
  check(await phone.evaluate(() => Boolean(localStorage.getItem("rc.volunteer_token"))),
    "the volunteer's token is kept in localStorage");
  check((await phone.textContent("#whoami")).includes(me), `the page speaks for volunteer ${me}`);
  await shot("volunteer", "responder-idle.png");

  // The dispatcher dispatches.
  await desk.goto(`${base}/console?lang=en&lon=${spec.lon}&lat=${spec.lat}`);
  await desk.waitForFunction(() => window.rcMap && window.rcMap.loaded(), null, { timeout: 60000 });
  await desk.fill("#token", spec.token);
  await desk.click("#sign-in");
  await desk.waitForFunction(() => /dispatcher/.test(document.getElementById("whoami").textContent));
  await desk.evaluate(() => { window.rcNoReload = true; });
  const eventsAsked = [];
  desk.on("request", (request) => {
    if (request.url().includes("/events")) eventsAsked.push(request.headers()["last-event-id"] || null);
  });
  await desk.fill("#lon", String(spec.lon));
  await desk.fill("#lat", String(spec.lat));
  await desk.selectOption("#category", "cardiac_arrest");
  await desk.fill("#floor", "3");
  await desk.click("#dispatch");
  await desk.waitForSelector("#plan:not([hidden])", { timeout: 60000 });
  await desk.waitForSelector("#live:not([hidden])");
  const incidentId = Number(await desk.textContent("#live-id"));
  console.log(`INCIDENT=${incidentId}`);
  await desk.waitForSelector(`#live-units tr[data-role=alert][data-volunteer-id="${me}"][data-status=pending]`,
    { timeout: 20000 });
  await desk.waitForSelector("#live-state[data-live=connected]");
  const alerted = await desk.$$eval("#live-units tr[data-role=alert]", (trs) => trs.map((tr) => tr.dataset.volunteerId));
  check(alerted.includes(me), `the plan alerted volunteer ${me} (alerted: ${alerted.join(", ")})`);
  await desk.waitForSelector(`#incident-list button[data-incident-id="${incidentId}"]`, { timeout: 20000 });
  check(true, "the incident is in the open incidents list");

  // The alert reaches the phone without a reload.
  await phone.waitForSelector("#alert:not([hidden])", { timeout: 30000 });
  const alertId = await phone.getAttribute("#alert", "data-alert-id");
  const what = await phone.textContent("#alert-what");
  check(what === "Cardiac arrest · floor 3 above the street", `the phone says what and where: ${what}`);
  const task = await phone.getAttribute("#alert", "data-task");
  const seconds = Number(await phone.getAttribute("#countdown", "data-seconds"));
  check(seconds > 0 && seconds <= spec.alert_timeout_s, `a countdown to the deadline (${seconds} s)`);
  await phone.waitForFunction((s) => Number(document.getElementById("countdown").dataset.seconds) < s,
    seconds, { timeout: 5000 });
  check(true, "the countdown counts down");
  for (const id of ["#accept", "#decline"]) {
    const box = await phone.locator(id).boundingBox();
    check(box && box.height >= 48 && box.y + box.height <= PHONE.viewport.height,
      `${id} is big (${box && box.height} px) and above the fold (bottom ${box && box.y + box.height})`);
  }
  if (task === "fetch_aed") {
    check((await phone.textContent("#alert-aed")).length > 4, "the AED's location is shown");
  }
  await mapIdle(phone);
  const routes = await phone.evaluate(() => window.rcMap.getSource("route").serialize().data.features.length);
  check(routes >= (task === "fetch_aed" ? 2 : 1), `the route is drawn (${routes} legs, task ${task})`);
  await shot("volunteer", "responder-alert.png");

  // A second volunteer never sees the first one's alert.
  const otherId = alerted.find((v) => v !== me && spec.tokens[v]);
  check(otherId, `another volunteer with a token is alerted (${otherId})`);
  await other.goto(`${base}/responder?lang=zh#token=${spec.tokens[otherId]}`);
  await other.waitForSelector("#alert:not([hidden])", { timeout: 60000 });
  check(await other.evaluate(() => location.hash === ""), "a token from the link is taken off the address bar");
  const seen = await other.evaluate(async (mine) => {
    const headers = { Authorization: `Bearer ${localStorage.getItem("rc.volunteer_token")}` };
    const list = await (await fetch("/api/responder/alerts", { headers })).json();
    const one = await fetch(`/api/responder/alerts/${mine}`, { headers });
    const accept = await fetch(`/api/responder/alerts/${mine}/accept`, { method: "POST", headers });
    return { ids: list.alerts.map((a) => String(a.id)), one: one.status, accept: accept.status,
      shown: document.getElementById("alert").hidden ? null : document.getElementById("alert").dataset.alertId };
  }, alertId);
  check(!seen.ids.includes(alertId) && seen.shown !== alertId,
    `volunteer ${otherId} does not see alert ${alertId} (sees ${seen.ids.join(", ") || "none"})`);
  check(seen.one === 404 && seen.accept === 404, `nor can read or accept it (${seen.one}, ${seen.accept})`);
  const zh = await other.textContent("#alert-what");
  check(zh === "心脏骤停 · 4楼", `in Chinese, the 3rd floor above the street is 4楼: ${zh}`);
  await shot("other", "responder-other-zh.png");

  // The second volunteer declines: the server replans at once, keeping the others; the
  // console shows the decline, the next volunteer alerted and the new plan, by itself.
  const planBefore = Number(await desk.textContent("#plan-id"));
  await other.click("#decline");
  await other.waitForSelector("#notice[data-kind=notice_declined]");
  await other.waitForSelector("#idle:not([hidden])");
  await desk.waitForSelector(`#live-units tr[data-role=alert][data-volunteer-id="${otherId}"][data-status=declined]`,
    { timeout: 20000 });
  await desk.waitForFunction((old) => Number(document.getElementById("plan-id").textContent) > old,
    planBefore, { timeout: 20000 });
  const nowAlerted = await desk.$$eval("#live-units tr[data-role=alert][data-status=pending]",
    (trs) => trs.map((tr) => tr.dataset.volunteerId));
  check(nowAlerted.includes(me) && nowAlerted.some((v) => !alerted.includes(v)),
    `after ${otherId} declined, a new plan alerts someone new and keeps ${me} (pending: ${nowAlerted.join(", ")})`);
  await shot("dispatcher", "loop-console-declined.png");

  // The console's connection drops; the volunteer accepts while it is away.
  const before = await desk.evaluate(() => window.rcLive.lastSeq);
  await contexts.dispatcher.setOffline(true);
  await desk.evaluate(() => window.rcLive.drop());
  await desk.waitForSelector("#live-state[data-live=reconnecting]");
  await phone.click("#accept");
  await phone.waitForSelector("body[data-state=accepted]");
  await phone.waitForSelector("#arrived:not([hidden])");
  check(await phone.isHidden("#accept"), "after accepting, Accept is gone and Arrived is offered");
  await sleep(2500);                          // reconnect attempts fail while offline
  check(await desk.isVisible(`#live-units tr[data-volunteer-id="${me}"][data-status=pending]`),
    "offline, the console has not seen the accept yet");
  await contexts.dispatcher.setOffline(false);
  await desk.waitForSelector(`#live-units tr[data-role=alert][data-volunteer-id="${me}"][data-status=accepted]`,
    { timeout: 20000 });
  check(eventsAsked.includes(String(before)),
    `the console resumed with Last-Event-ID ${before} (asked: ${eventsAsked.join(", ")})`);
  await shot("dispatcher", "loop-console-accepted.png");

  // The volunteer moves; the console follows the position and the phone's ETA.
  const moves = [[spec.lon - 0.0025, spec.lat - 0.0015], [spec.lon - 0.001, spec.lat - 0.0006]];
  const etas = [];
  for (const [lon, lat] of moves) {
    await contexts.volunteer.setGeolocation({ longitude: lon, latitude: lat, accuracy: 5 });
    await desk.waitForFunction(([v, x, y]) => {
      const p = window.rcLive.positions.get(Number(v));
      return p && Math.abs(p[0] - x) < 1e-6 && Math.abs(p[1] - y) < 1e-6;
    }, [me, lon, lat], { timeout: 30000 });
    await phone.waitForFunction(() => /updated/.test(document.getElementById("alert-status").textContent));
    const deskEta = Number(await desk.getAttribute(`#live-units tr[data-role=alert][data-volunteer-id="${me}"] [data-eta-s]`, "data-eta-s"));
    await phone.waitForFunction((eta) => Number(document.getElementById("alert-eta").dataset.etaS) === eta,
      deskEta, { timeout: 15000 });
    etas.push(deskEta);
    const drawn = await desk.evaluate(() => window.rcMap.getSource("live").serialize().data.features
      .map((f) => f.geometry.coordinates));
    check(drawn.some(([x, y]) => Math.abs(x - lon) < 1e-6 && Math.abs(y - lat) < 1e-6),
      `the console draws the volunteer at ${lon.toFixed(5)}, ${lat.toFixed(5)} (ETA ${deskEta} s on both pages)`);
  }
  check(etas[0] > 0 && etas[1] > 0 && etas[0] !== etas[1], `the ETA is computed again as they move (${etas.join(" -> ")} s)`);
  await mapIdle(desk);
  await shot("dispatcher", "loop-console-moving.png");
  await shot("volunteer", "responder-en-route.png");

  // The ambulance's crew reports en route and two positions along its planned route (as its
  // vehicle would, through the API); the console moves it and shows its new ETAs.
  const ambulance = await desk.getAttribute("#live-units tr[data-role=ambulance]", "data-ambulance");
  check(Number(ambulance) > 0, `the plan sent ambulance ${ambulance}`);
  const put = (path, body) => desk.evaluate(async ([url, json, token]) => (await fetch(url, {
    method: "PUT", body: JSON.stringify(json),
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" } })).status,
  [path, body, spec.token]);
  check(await put(`/api/ambulances/${ambulance}/status`, { status: "en_route" }) === 200, "the crew reports en route");
  await desk.waitForSelector(`#live-units tr[data-ambulance="${ambulance}"][data-status=en_route]`, { timeout: 20000 });
  const road = await desk.evaluate(() => window.rcMap.getSource("routes").serialize().data.features
    .find((f) => f.properties.role === "ambulance").geometry.coordinates);
  const ambulanceEtas = [];
  for (const share of [0.3, 0.7]) {
    const [lon, lat] = road[Math.floor(share * (road.length - 1))];
    check(await put(`/api/ambulances/${ambulance}/position`, { lon, lat }) === 201,
      `the ambulance reports a position ${share * 100} % along its route`);
    await desk.waitForFunction(([id, x, y]) => {
      const p = window.rcLive.ambulancePositions.get(Number(id));
      return p && Math.abs(p[0] - x) < 1e-6 && Math.abs(p[1] - y) < 1e-6;
    }, [ambulance, lon, lat], { timeout: 20000 });
    ambulanceEtas.push(Number(await desk.getAttribute(`#live-units tr[data-ambulance="${ambulance}"] [data-eta-s]`, "data-eta-s")));
  }
  check(ambulanceEtas[0] > ambulanceEtas[1] && ambulanceEtas[1] > 0,
    `the ambulance's ETA falls as it drives (${ambulanceEtas.join(" -> ")} s)`);
  const dots = await desk.evaluate(() => window.rcMap.getSource("live").serialize().data.features
    .map((f) => f.properties.kind).sort().join(","));
  check(dots === "ambulance,volunteer", `the map shows the ambulance and the volunteer (${dots})`);
  await mapIdle(desk);
  await shot("dispatcher", "loop-console-ambulance.png");

  if (task === "fetch_aed") {
    await phone.click("#aed-collected");
    await phone.waitForSelector("#aed-collected", { state: "hidden" });
    await desk.waitForSelector(`#timeline li[data-kind=aed_collected]`, { timeout: 20000 });
    check(true, "AED collected reaches the console");
  }
  await phone.click("#arrived");
  await phone.waitForSelector("body[data-state=arrived]");
  await desk.waitForSelector(`#live-units tr[data-role=alert][data-volunteer-id="${me}"][data-status=arrived]`,
    { timeout: 20000 });
  check(true, "the console shows the volunteer arrived");
  await shot("volunteer", "responder-arrived.png");

  // A second console (another tab: its own sign-in) picks the incident from the open list and
  // shows the same state, rebuilt from the first event.
  const second = await contexts.dispatcher.newPage();
  second.on("pageerror", (error) => tools.consoleErrors.push(`second console: ${error}`));
  await second.goto(`${base}/console?lang=zh`);
  await second.waitForFunction(() => window.rcMap && window.rcMap.loaded(), null, { timeout: 60000 });
  await second.fill("#token", spec.token);
  await second.click("#sign-in");
  await second.click(`#incident-list button[data-incident-id="${incidentId}"]`, { timeout: 20000 });
  await second.waitForSelector(`#live-units tr[data-role=alert][data-volunteer-id="${me}"][data-status=arrived]`,
    { timeout: 20000 });
  await second.waitForFunction((n) => window.rcLive.lastSeq >= n,
    await desk.evaluate(() => window.rcLive.lastSeq), { timeout: 20000 });
  check(await second.textContent("#plan-id") === await desk.textContent("#plan-id"),
    "picked from the list, the incident shows its newest plan");
  check(JSON.stringify(await second.evaluate(() => window.rcLive.seqs))
    === JSON.stringify(await desk.evaluate(() => window.rcLive.seqs)), "and the same events");

  // The dispatcher closes the incident; the phones are stood down.
  await desk.selectOption("#outcome", "treated_on_scene");
  await desk.selectOption("#rosc", "yes");
  await desk.click("#close-incident");
  await desk.waitForSelector("#live-state[data-live=closed]", { timeout: 20000 });
  await desk.waitForSelector("#timeline li[data-kind=closed]");
  await desk.waitForFunction((id) => !document.querySelector(`#incident-list button[data-incident-id="${id}"]`),
    incidentId, { timeout: 20000 });
  check(true, "closed: the console says so and the incident leaves the open list");
  await second.waitForSelector("#live-state[data-live=closed]", { timeout: 20000 });
  check(true, "the second console sees it closed too");
  await phone.waitForSelector("#notice[data-kind=notice_stood_down]", { timeout: 20000 });
  await phone.waitForSelector("#idle:not([hidden])");
  check(await phone.isHidden("#alert") && !(await phone.textContent("#message")),
    "the volunteer is stood down: no alert, no arrival note left over");
  await shot("volunteer", "responder-stood-down.png");
  check(await other.isHidden("#alert"), `volunteer ${otherId}, who declined, has no alert`);

  // Every event once, in order, as the server numbered them; and no reload on the way.
  const server = await desk.evaluate(async ([id, token]) => (await (await fetch(
    `/api/incidents/${id}/events?f=json`, { headers: { Authorization: `Bearer ${token}` } })).json())
    .map((e) => e.seq), [incidentId, spec.token]);
  const shown = await desk.evaluate(() => window.rcLive.seqs);
  const listed = await desk.$$eval("#timeline li", (lis) => lis.map((li) => Number(li.dataset.seq)).reverse());
  check(JSON.stringify(shown) === JSON.stringify(server) && JSON.stringify(listed) === JSON.stringify(server),
    `the timeline shows events ${server[0]}..${server[server.length - 1]} once each, in order (${server.length})`);
  check(server.every((seq, i) => seq === i + 1), "the server's numbers have no gap");
  check(await desk.evaluate(() => window.rcNoReload === true), "the console never reloaded");
  await shot("dispatcher", "loop-console-closed.png");
});

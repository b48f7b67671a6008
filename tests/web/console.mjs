// The dispatch console's main flow: token -> incident -> a full plan (ambulance, volunteers,
// AED runner, each route in its own colour, ETA table) -> 5/8/12 isochrones -> a volunteer
// declines -> replan without them -> a road on a volunteer's route is reported blocked (map
// click) -> replan, the same volunteers routed round it.
// Usage: node tests/web/console.mjs BASE ARTIFACTS '{"token","lon","lat"}'
import { args, check, mapIdle, rendered, run } from "./lib.mjs";

const { base, artifacts, spec } = args();

await run("console", base, artifacts, async (page, context, { shot }) => {
  await page.goto(`${base}/console?lang=en&lon=${spec.lon}&lat=${spec.lat}`);
  await page.waitForFunction(() => window.rcMap && window.rcMap.loaded(), null, { timeout: 60000 });
  await page.fill("#token", spec.token);
  await page.click("#sign-in");
  await page.waitForFunction(() => /dispatcher/.test(document.getElementById("whoami").textContent));
  check(await page.evaluate(() => Boolean(sessionStorage.getItem("rc.dispatcher_token"))),
    "the token is kept in sessionStorage");
  await page.fill("#lon", String(spec.lon));
  await page.fill("#lat", String(spec.lat));
  await page.click("#dispatch");
  await page.waitForSelector("#plan:not([hidden])", { timeout: 60000 });
  await page.waitForSelector("body[data-state=ready]");
  const rows = await page.$$eval("#eta-table tbody tr", (trs) => trs.map((tr) => ({
    role: tr.dataset.role, volunteer: tr.dataset.volunteerId ? Number(tr.dataset.volunteerId) : null,
    eta: tr.querySelector("[data-eta-s]") ? Number(tr.querySelector("[data-eta-s]").dataset.etaS) : null })));
  const roles = rows.map((r) => r.role);
  check(roles.includes("ambulance"), "the plan has an ambulance");
  check(roles.filter((r) => r === "volunteer").length >= 2, "the plan has at least two volunteers");
  check(roles.includes("runner"), "the plan has an AED runner");
  check(rows.filter((r) => r.role !== "backup").every((r) => r.eta > 0), "every responder has an ETA");
  const planId = Number(await page.textContent("#plan-id"));
  await mapIdle(page);
  const colours = await page.evaluate(() => {
    const data = window.rcMap.getSource("routes").serialize().data;
    return data.features.map((f) => `${f.properties.role}:${f.properties.colour}`);
  });
  const distinct = new Set(colours.map((c) => c.split(":")[1]));
  check(colours.length >= 5 && distinct.size >= 5, `routes drawn in ${distinct.size} colours (${colours.join(", ")})`);
  const drawn = await rendered(page, ["routes"]);
  check(drawn.routes > 0, `the routes are rendered (${drawn.routes})`);
  await shot("console-plan.png");

  await page.check("#isochrones");
  await page.waitForSelector("body[data-state=ready]");
  await page.waitForFunction(() => window.rcMap.getSource("isochrones").serialize().data.features?.length === 3,
    null, { timeout: 60000 });
  await mapIdle(page);
  const iso = await rendered(page, ["isochrones"]);
  check(iso.isochrones > 0, "the 5/8/12-minute isochrones are shown");
  await shot("console-isochrones.png");

  const declined = rows.find((r) => r.role === "volunteer").volunteer;
  await page.click(`#eta-table tr[data-volunteer-id="${declined}"][data-role=volunteer] button.decline`);
  await page.waitForFunction((old) => Number(document.getElementById("plan-id").textContent) !== old,
    planId, { timeout: 60000 });
  const after = await page.$$eval("#eta-table tbody tr[data-volunteer-id]",
    (trs) => trs.map((tr) => Number(tr.dataset.volunteerId)));
  check(!after.includes(declined), `after the decline, volunteer ${declined} is no longer sent`);
  check(after.length >= 2, "the replan still sends volunteers");
  await mapIdle(page);
  await shot("console-replan.png");

  // Block the middle of the longest street piece on a volunteer's route (not the last piece:
  // the patient's own street cannot be blocked).
  const target = await page.evaluate(() => {
    const data = window.rcMap.getSource("routes").serialize().data;
    const line = data.features.find((f) => f.properties.role === "volunteer").geometry.coordinates;
    let best = null;
    for (let i = 1; i < line.length - 2; i += 1) {
      const [a, b] = [line[i], line[i + 1]];
      const d = Math.hypot(b[0] - a[0], b[1] - a[1]);
      if (!best || d > best.d) best = { d, point: [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2] };
    }
    return best && best.point;
  });
  check(target, "a volunteer's route has a street piece to block");
  const planBefore = Number(await page.textContent("#plan-id"));
  const sentBefore = await page.$$eval("#eta-table tbody tr[data-role=volunteer]",
    (trs) => trs.map((tr) => Number(tr.dataset.volunteerId)));
  await page.check("#block-road");
  const box = await (await page.$("#map canvas")).boundingBox();
  const pixel = await page.evaluate((c) => window.rcMap.project(c), target);
  await page.mouse.click(box.x + pixel.x, box.y + pixel.y);
  await page.waitForFunction((old) => Number(document.getElementById("plan-id").textContent) !== old,
    planBefore, { timeout: 60000 });
  await page.waitForSelector("body[data-state=ready]");
  const blocked = await page.evaluate(() => window.rcMap.getSource("blocked").serialize().data.features.length);
  check(blocked === 1, "the blocked road is marked on the map");
  const sentAfter = await page.$$eval("#eta-table tbody tr[data-role=volunteer]",
    (trs) => trs.map((tr) => Number(tr.dataset.volunteerId)));
  check(JSON.stringify(sentAfter) === JSON.stringify(sentBefore),
    `the same volunteers are still sent (${sentBefore} -> ${sentAfter})`);
  const nearest = await page.evaluate((c) => {
    const data = window.rcMap.getSource("routes").serialize().data;
    let min = Infinity;
    for (const f of data.features.filter((g) => g.properties.role === "volunteer")) {
      const line = f.geometry.coordinates;
      for (let i = 1; i < line.length; i += 1) {
        const [a, b] = [line[i - 1], line[i]];
        const [dx, dy] = [b[0] - a[0], b[1] - a[1]];
        const t = Math.max(0, Math.min(1, ((c[0] - a[0]) * dx + (c[1] - a[1]) * dy) / (dx * dx + dy * dy || 1)));
        min = Math.min(min, Math.hypot(a[0] + t * dx - c[0], a[1] + t * dy - c[1]));
      }
    }
    return min * 111000;
  }, target);
  check(nearest > 5, `no volunteer's route passes the blocked point (nearest ${nearest.toFixed(1)} m)`);
  await mapIdle(page);
  await shot("console-blocked.png");
});

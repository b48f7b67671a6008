// The dispatch console's main flow: token -> incident -> a full plan (ambulance, volunteers,
// AED runner, each route in its own colour, ETA table) -> 5/8/12 isochrones -> a volunteer
// declines -> replan without them.
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
});

// The AED finder's main flow, from a position in the demo city: the nearest AED usable now is
// listed first, the closed and faulty ones are not offered, the walking route is drawn;
// details, "call 120", "report a problem", the list view, the list offline, and a street found
// by name as the new position.
// Usage: node tests/web/finder.mjs BASE ARTIFACTS '{"lon","lat","at","first_id","skipped":[..]}'
import { args, check, mapIdle, rendered, run } from "./lib.mjs";

const { base, artifacts, spec } = args();
const url = `${base}/finder?lon=${spec.lon}&lat=${spec.lat}&at=${encodeURIComponent(spec.at)}&lang=en`;

await run("finder", base, artifacts, async (page, context, { shot }) => {
  await page.goto(url);
  await page.waitForSelector("body[data-state=ready]", { timeout: 60000 });
  const listed = await page.$$eval("#aed-list li", (items) => items.map((li) => Number(li.dataset.aedId)));
  check(listed.length > 0, `finder lists ${listed.length} available AEDs`);
  check(listed[0] === spec.first_id, `the nearest available AED ${spec.first_id} is first (got ${listed[0]})`);
  for (const id of spec.skipped) check(!listed.includes(id), `AED ${id} (closed or faulty) is not offered`);
  const walks = await page.$$eval("#aed-list .walk", (els) => els.map((e) => Number(e.dataset.walkS)));
  check(walks.every((w, i) => i === 0 || walks[i - 1] <= w), `walking times ascend: ${walks.join(", ")}`);
  const greyed = await page.$$eval("#unavailable-list li", (items) => items.map((li) => Number(li.dataset.aedId)));
  for (const id of spec.skipped) check(greyed.includes(id), `AED ${id} is shown greyed as unavailable`);
  const pins = await page.$$eval(".pin.available", (els) => els.length);
  check(pins === listed.length, `one green pin per available AED (${pins})`);

  await mapIdle(page);
  const route = await page.evaluate(() => window.rcMap.getSource("route").serialize().data);
  check(route.features.length === 1 && route.features[0].geometry.type === "LineString"
    && route.features[0].geometry.coordinates.length >= 2, "the walking route to the first AED is a line");
  const drawn = await rendered(page, ["route", "roads"]);
  check(drawn.route > 0, `the walking route is drawn (${drawn.route} rendered pieces)`);
  check(drawn.roads > 0, `our basemap roads are drawn (${drawn.roads})`);
  const first = page.locator("#aed-list li").first();
  check(await first.locator("dl.details").count() === 1, "the first AED shows its details");
  check((await page.getAttribute("#call", "href")) === "tel:120", "the call button dials 120");
  await shot("finder-map.png");

  // tap the map somewhere else: a new position, a new list
  const box = await page.locator("#map").boundingBox();
  await page.mouse.click(box.x + box.width * 0.3, box.y + box.height * 0.7);
  await page.waitForSelector("body[data-state=ready]", { timeout: 60000 });
  const tapped = await page.evaluate(() => document.querySelectorAll("#aed-list li").length);
  check(tapped > 0, `tapping the map lists the AEDs near the tapped point (${tapped})`);
  await page.goto(url);
  await page.waitForSelector("body[data-state=ready]", { timeout: 60000 });

  // report a problem on the first AED (the public endpoint, no login)
  await first.locator(".report-open").click();
  await first.locator("select[name=problem]").selectOption("damaged");
  await first.locator("textarea[name=description]").fill("browser test: casing cracked");
  await first.locator("button[type=submit]").click();
  await first.locator(".result.ok").waitFor({ timeout: 10000 });
  check(true, "the problem report was accepted");

  // the list view
  await page.click("#view-toggle");
  check(await page.isHidden("#map"), "the list view hides the map");
  await shot("finder-list.png");

  // offline: the service worker serves the saved list
  await page.evaluate(() => navigator.serviceWorker.ready.then(() => true));
  await page.reload();
  await page.waitForSelector("body[data-state=ready]", { timeout: 60000 });
  const controlled = await page.evaluate(() => Boolean(navigator.serviceWorker.controller));
  check(controlled, "the service worker controls the finder");
  await context.setOffline(true);
  await page.reload();
  await page.waitForSelector("body[data-state=ready]", { timeout: 60000 });
  const offlineList = await page.$$eval("#aed-list li", (items) => items.map((li) => Number(li.dataset.aedId)));
  check(offlineList[0] === spec.first_id, "offline, the saved list still shows the nearest AED first");
  check(await page.isVisible("#offline"), "offline, the page says the list is saved");
  await shot("finder-offline.png");
  await page.click("#lang");
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  check((await page.textContent("header h1")) === "查找AED" && (await page.textContent("#call")) === "拨打120",
    "the finder switches to Chinese");
  await shot("finder-offline-zh.png");
  await context.setOffline(false);

  // no position to share: search the street by name, pick it, get the AEDs near it
  await page.click("#view-toggle");
  await page.fill("#place-q", spec.street.slice(0, -1));   // a prefix is enough
  await page.click("#place-go");
  await page.waitForSelector("#place-list:not([hidden]) button.place", { timeout: 20000 });
  const places = await page.$$eval("#place-list button.place", (els) => els.map((e) => e.textContent));
  check(places[0].startsWith(spec.street), `the street "${spec.street}" is found first (${places[0]})`);
  await page.click("#place-list button.place >> nth=0");
  await page.waitForSelector("#place-list", { state: "hidden" });
  await page.waitForSelector("body[data-state=ready]", { timeout: 60000 });
  const here = await page.evaluate(() => {
    const el = document.querySelector("[data-testid=me]");
    return el ? window.rcMap.unproject([el.getBoundingClientRect().x, el.getBoundingClientRect().y]) : null;
  });
  check(here !== null, "the chosen street is where I am now");
  const near = await page.$$eval("#aed-list li", (items) => items.length);
  check(near > 0, `AEDs near the street are listed (${near})`);
  await shot("finder-place.png");
}, { viewport: { width: 412, height: 860 }, mobile: true });

// The planner view: districts on the map and in the table, layer toggles, export links, the
// KPI table and its GeoPackage download, and a siting run as a job: the proposed sites and the
// area each reaches drawn on the map, the people each adds listed, the GeoJSON downloaded.
// Usage: node tests/web/planner.mjs BASE ARTIFACTS '{"districts": N, "token": analyst token}'
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { args, check, mapIdle, rendered, run } from "./lib.mjs";

const { base, artifacts, spec } = args();

await run("planner", base, artifacts, async (page, context, { shot }) => {
  await page.goto(`${base}/planner?lang=en`);
  await page.waitForSelector("body[data-state=ready]", { timeout: 60000 });
  const rows = await page.$$eval("#districts tbody tr", (trs) => trs.length);
  check(rows === spec.districts, `the district table lists ${spec.districts} districts (got ${rows})`);
  await mapIdle(page);
  const drawn = await rendered(page, ["districts", "aeds", "stations"]);
  check(drawn.districts > 0 && drawn.aeds > 0 && drawn.stations > 0,
    `districts, AEDs and stations are drawn (${JSON.stringify(drawn)})`);
  await page.uncheck("input[data-layer=aeds]");
  check(await page.evaluate(() => window.rcMap.getLayoutProperty("aeds", "visibility")) === "none",
    "the AED layer toggles off");
  const links = await page.$$eval("a.export", (as) => as.map((a) => a.getAttribute("href")));
  check(links.includes("/api/exports/aeds.gpkg") && links.includes("/api/exports/districts.csv"),
    `export links are offered (${links.length})`);
  const status = await page.evaluate(async () => (await fetch("/api/exports/aeds.geojson")).status);
  check(status === 200, "the AED GeoJSON export downloads");
  check(await page.isDisabled("input[data-layer=coverage]"), "coverage needs an analyst token");
  await page.fill("#token", spec.token);
  await page.click("#sign-in");
  await page.waitForFunction(() => document.getElementById("whoami").textContent === "analyst");
  const kpiRows = await page.waitForSelector("#kpi-table tbody tr", { timeout: 120000 })
    .then(() => page.$$eval("#kpi-table tbody tr", (trs) => trs.length)).catch(() => 0);
  check(kpiRows === spec.districts, `the district KPI table has ${kpiRows} rows`);
  const [download] = await Promise.all([
    page.waitForEvent("download", { timeout: 120000 }),
    page.click(".kpi-download[data-format=gpkg]")]);
  const saved = join(artifacts, "district_kpi.gpkg");
  await download.saveAs(saved);
  check(download.suggestedFilename() === "district_kpi.gpkg"
    && readFileSync(saved).subarray(0, 15).toString() === "SQLite format 3",
  "the KPI table downloads as a GeoPackage");
  await page.check("input[data-layer=volunteer_density]");
  await page.waitForFunction(() => window.rcMap.getSource("volunteer_density").serialize().data.type
    === "FeatureCollection" && document.body.dataset.state === "ready", null, { timeout: 60000 });
  check(!(await page.textContent("#message")), "the volunteer density layer loads");
  await page.check("input[data-layer=population]");
  await page.evaluate(() => window.rcMap.setZoom(Math.max(window.rcMap.getZoom(), 11)));
  await mapIdle(page);
  const population = await rendered(page, ["population"]);
  check(population.population > 0, `population density is drawn with the token (${population.population})`);
  await shot("planner-population.png");
  await page.uncheck("input[data-layer=population]");
  await page.check("input[data-layer=coverage]");
  await page.waitForFunction(() => window.rcMap.getSource("coverage").serialize().data.features.length > 0,
    null, { timeout: 120000 });
  await page.waitForSelector("body[data-state=ready]");
  await mapIdle(page);
  const coverage = await rendered(page, ["coverage"]);
  check(coverage.coverage > 0, `the 8-minute station coverage is drawn (${coverage.coverage})`);
  const opacity = await page.evaluate(() => window.rcMap.getPaintProperty("coverage", "fill-opacity"));
  check(opacity >= 0.2, `the coverage fill is visible (opacity ${opacity})`);
  const legend = await page.evaluate(() => Object.fromEntries(
    [...document.querySelectorAll("#layers input[data-layer]")].map((input) => [input.dataset.layer,
      [...input.parentElement.querySelectorAll(".swatch")].map((s) => s.dataset.colour)])));
  const paint = await page.evaluate(() => ({
    districts: JSON.stringify(window.rcMap.getPaintProperty("districts", "line-color")),
    aeds: JSON.stringify(window.rcMap.getPaintProperty("aeds", "circle-color")),
    coverage: window.rcMap.getPaintProperty("coverage", "fill-color"),
    stations: window.rcMap.getPaintProperty("stations", "circle-color") }));
  for (const layer of ["districts", "aeds"]) {
    check(legend[layer].length >= 2 && legend[layer].every((c) => paint[layer].includes(c)),
      `the ${layer} legend (${legend[layer]}) shows the map's colours (${paint[layer]})`);
  }
  check(legend.coverage[0] === paint.coverage && legend.stations[0] === paint.stations,
    "the coverage and station legends show the map's colours");
  check(!legend.districts.some((c) => legend.aeds.includes(c)),
    `no district kind is drawn in an AED colour (${legend.districts} / ${legend.aeds})`);
  await shot("planner.png");
  await page.uncheck("input[data-layer=coverage]");
  await page.check("input[data-layer=aeds]");
  await page.evaluate(() => window.rcMap.setZoom(10));
  await mapIdle(page);
  const cells = await page.evaluate(() => window.rcMap.queryRenderedFeatures({ layers: ["aeds"] })
    .map((f) => [f.properties.point_count, f.properties.ready_count]));
  check(cells.length > 0 && cells.some(([count]) => count > 1)
    && cells.every(([count, ready]) => ready >= 0 && ready <= count)
    && paint.aeds.includes("ready_count"),
  `AED cells at zoom 10 carry how many of their AEDs are ready, and are coloured by it (${cells.length} cells)`);
  await shot("planner-aed-cells.png");
  check(await page.isEnabled("#site-run"), "siting runs with the analyst token");
  await page.selectOption("#site-kind", "aeds");
  await page.selectOption("#site-model", "add");
  await page.fill("#site-count", "2");
  await page.selectOption("#site-demand", "population");
  await page.click("#site-run");
  await page.waitForSelector("#site-table tbody tr", { timeout: 300000 });
  const gains = await page.$$eval("#site-table tbody tr td:nth-child(2)",
    (tds) => tds.map((td) => Number(td.textContent.replace(/[^0-9]/g, ""))));
  check(gains.length === 2 && gains[0] >= gains[1] && gains[1] > 0,
    `two AEDs proposed, ranked by the people each adds (${gains})`);
  check(!(await page.textContent("#site-status")), "the siting job ran to the end");
  await mapIdle(page);
  const sited = await rendered(page, ["proposed_sites", "site_reach"]);
  check(sited.proposed_sites === 2 && sited.site_reach > 0,
    `the proposed sites and the area each reaches are drawn (${JSON.stringify(sited)})`);
  await shot("planner-siting.png");
  const [sites] = await Promise.all([
    page.waitForEvent("download", { timeout: 60000 }), page.click("#site-download")]);
  const savedSites = join(artifacts, "aeds_mclp_sites.geojson");
  await sites.saveAs(savedSites);
  const geojson = JSON.parse(readFileSync(savedSites, "utf-8"));
  check(sites.suggestedFilename() === "aeds_mclp_sites.geojson" && geojson.features.length === 2
    && geojson.features[0].properties.gained_people > 0 && geojson.gained_people > 0,
  "the proposed sites download as GeoJSON with the coverage they gain");
  await page.click("#lang");
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  check((await page.textContent("header h1")) === "规划视图", "the page switches to Chinese");
  await shot("planner-zh.png");
});

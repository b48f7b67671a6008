// The finder before any position is given: the AEDs usable now around the start view are on
// the map at once (a stranger beside a collapse sees them without locating), and in Chinese an
// AED's access reads in Chinese, not OSM's raw "yes".
// Usage: node tests/web/finder_overview.mjs BASE ARTIFACTS '{"at"}'
import { args, check, mapIdle, rendered, run } from "./lib.mjs";

const { base, artifacts, spec } = args();

await run("finder_overview", base, artifacts, async (page, context, { shot }) => {
  await page.goto(`${base}/finder?lang=zh&at=${encodeURIComponent(spec.at)}`);
  await page.waitForFunction(() => Number(document.body.dataset.overview) > 0, null, { timeout: 60000 });
  const count = Number(await page.evaluate(() => document.body.dataset.overview));
  check(count > 0, `${count} usable AEDs are on the map before any position is given`);
  await mapIdle(page);
  const drawn = await rendered(page, ["overview"]);
  check(drawn.overview > 0, `they are drawn (${drawn.overview} circles)`);
  const status = await page.textContent("#status");
  check(status.includes(String(count)), `the hint counts them: "${status}"`);
  await shot("finder-overview.png");

  const box = await page.locator("#map").boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await page.waitForSelector("body[data-state=ready]", { timeout: 60000 });
  const access = await page.$$eval("#aed-list dl.details", (lists) => lists.flatMap((dl) => {
    const terms = [...dl.querySelectorAll("dt")];
    return terms.filter((dt) => dt.textContent === "开放范围").map((dt) => dt.nextElementSibling.textContent);
  }));
  check(access.length > 0, `listed AEDs show their access (${access.join(", ")})`);
  check(access.every((value) => !/^(yes|customers|private|permissive)$/.test(value)),
    "access values read in Chinese, not raw OSM values");
});

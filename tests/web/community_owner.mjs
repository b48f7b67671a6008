// An AED owner on /owner: pastes its token once (kept across reloads), sees its AEDs on the
// map and in the list and never another organisation's, sets a status (what needs doing
// follows), records an inspection with new dates, registers an AED by a click on the map,
// and decides a proposal about its AED (photo shown) while one about another's never shows.
// Usage: node tests/web/community_owner.mjs BASE ARTIFACTS
//   '{"token","aeds","bank_aeds","bank_names","moved","moved_name","about_bank","inspect","fault"}'
import { args, check, mapIdle, run } from "./lib.mjs";

const { base, artifacts, spec } = args();

async function listed(page) {
  return page.$$eval("#aed-list > li", (items) => items.map((li) => Number(li.dataset.aedId)));
}

async function settled(page) {
  await page.waitForSelector("body[data-state=ready]", { timeout: 30000 });
}

await run("community_owner", base, artifacts, async (page, context, { shot }) => {
  await page.goto(`${base}/owner?lang=en`);
  await settled(page);
  check(await page.isVisible("#token"), "the page asks for the token");
  await page.fill("#token", spec.token);
  await page.click("#sign-in");
  await page.waitForSelector("#aed-list > li", { timeout: 30000 });
  await settled(page);

  // only its own AEDs, in the list and on the map
  const ids = (await listed(page)).sort((a, b) => a - b);
  check(JSON.stringify(ids) === JSON.stringify([...spec.aeds].sort((a, b) => a - b)),
    `the owner sees exactly its AEDs ${spec.aeds} (got ${ids})`);
  const pins = await page.$$eval(".owned-pin", (els) => els.map((e) => Number(e.dataset.aedId)));
  check(pins.length === spec.aeds.length && pins.every((id) => spec.aeds.includes(id)),
    `one pin per own AED on the map (${pins})`);
  const text = await page.textContent("main");
  for (const name of spec.bank_names) check(!text.includes(name), `another organisation's "${name}" is not shown`);
  for (const id of spec.bank_aeds) check(!ids.includes(id) && !pins.includes(id), `AED ${id} of another organisation is not listed`);

  // the token is kept: a reload needs no new paste
  await page.reload();
  await page.waitForSelector("#aed-list > li", { timeout: 30000 });
  check(await page.isHidden("#token"), "after a reload the owner is still signed in");
  await settled(page);
  await mapIdle(page);
  await shot("community-owner.png");

  // a status: fault, and what needs doing says so
  const faulty = page.locator(`#aed-list > li[data-aed-id="${spec.fault}"]`);
  await faulty.locator("summary").click();
  await faulty.locator(".status-form select[name=status]").selectOption("fault");
  await faulty.locator(".status-form input[name=reason]").fill("browser test: cracked case");
  await faulty.locator(".status-form button[type=submit]").click();
  await page.waitForSelector(`#aed-list > li[data-aed-id="${spec.fault}"] .status[data-status=fault]`);
  const todo = await page.textContent(`#aed-list > li[data-aed-id="${spec.fault}"] ul.todo`);
  check(todo.includes("status is fault"), `what needs doing follows the status: "${todo.trim()}"`);

  // an inspection with the new battery and pad dates
  const inspected = page.locator(`#aed-list > li[data-aed-id="${spec.inspect}"]`);
  await inspected.locator("summary").click();
  await inspected.locator("input[name=battery_expires_on]").fill("2028-03-31");
  await inspected.locator("input[name=pads_expire_on]").fill("2027-09-30");
  await inspected.locator("input[name=note]").fill("browser test: checked");
  await inspected.locator("button.inspect").click();
  await page.waitForFunction((id) => {
    const li = document.querySelector(`#aed-list > li[data-aed-id="${id}"]`);
    return li && li.textContent.includes("2028-03-31") && li.textContent.includes("Last inspected");
  }, spec.inspect, { timeout: 15000 });
  check((await page.textContent("#message")) === "Saved", "the inspection is recorded and shown");

  // the moderation queue: the proposal about its AED with its photo, not the other's
  const queued = await page.$$eval("#queue-list > li", (items) => items.map((li) => Number(li.dataset.proposalId)));
  check(queued.includes(spec.moved), `the queue holds proposal ${spec.moved} about its AED`);
  check(!queued.includes(spec.about_bank), `proposal ${spec.about_bank} about another's AED is not shown`);
  const card = page.locator(`#queue-list > li[data-proposal-id="${spec.moved}"]`);
  check((await card.locator(".aed-name").textContent()).startsWith(spec.moved_name),
    `the proposal names the owner's AED "${spec.moved_name}"`);
  await card.locator("img.pending-photo").waitFor({ timeout: 15000 });
  check(await card.locator("img.pending-photo").evaluate((img) => img.naturalWidth) > 0,
    "the owner sees the photo sent with the proposal");
  await card.scrollIntoViewIfNeeded();
  await shot("community-owner-queue.png");
  await card.locator("button.accept").click();
  await card.waitFor({ state: "detached", timeout: 15000 });
  check(true, "the owner accepts the proposal about its AED");

  // register an AED: a click on the map places it
  await page.click("#register summary");
  const map = await page.locator("#map").boundingBox();
  await page.mouse.click(map.x + map.width / 2, map.y + map.height / 2);
  check((await page.textContent("#register-at")).includes(","), "a click on the map places the new AED");
  await page.fill("#register-form input[name=name]", "Browser-test clinic AED");
  await page.fill("#register-form input[name=location_text]", "reception desk");
  await page.fill("#register-form input[name=level]", "B1");
  await page.fill("#register-form input[name=opening_hours]", "24/7");
  await page.click("#register-form button[type=submit]");
  await page.waitForSelector("#register-result.ok", { timeout: 15000 });
  await page.waitForFunction((n) => document.querySelectorAll("#aed-list > li").length === n,
    spec.aeds.length + 1, { timeout: 15000 });
  check(true, "the registered AED joins the owner's list at once");

  await page.click("#lang");
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  check((await page.textContent("header h1")) === "我的AED", "the owner page switches to Chinese");
  await shot("community-owner-zh.png");

  await page.click("#sign-out");
  await page.waitForSelector("#mine", { state: "hidden" });
  check(await page.evaluate(() => localStorage.getItem("rc.owner_token")) === null,
    "forgetting the token removes it from the device");
});

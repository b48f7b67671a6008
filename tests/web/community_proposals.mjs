// A member of the public proposes two AEDs with a photo in the finder (one placed by a tap on
// the map) and a change to an AED ("wrong hours") from its item; an admin sees both new ones
// with their photos in the moderation queue of /owner, accepts one and rejects the other (a
// reason is required); the finder then shows the accepted AED with its photo, never the other.
// Usage: node tests/web/community_proposals.mjs BASE ARTIFACTS
//   '{"lon","lat","admin","photo","accepted","rejected","change_aed"}'
import { args, check, run } from "./lib.mjs";

const { base, artifacts, spec } = args();
const finder = (lon, lat) => `${base}/finder?lon=${lon}&lat=${lat}&lang=en`;
const THANKS = "Thank you: a moderator will check it before it is shown.";

async function ready(page) {
  await page.waitForSelector("body[data-state=ready]", { timeout: 60000 });
}

async function listedNames(page) {
  return page.$$eval("#aed-list .aed-name, #unavailable-list .aed-name", (els) => els.map((e) => e.textContent));
}

await run("community_proposals", base, artifacts, async (page, context, { shot }) => {
  await page.goto(finder(spec.lon, spec.lat));
  await ready(page);

  // 1. a new AED: the form opens at my position; a tap on the map moves its marker there
  await page.click("#propose-open");
  const form = page.locator("#propose-box form.proposal");
  await form.waitFor();
  const before = await form.locator(".coords").textContent();
  const box = await page.locator("#map").boundingBox();
  await page.mouse.click(box.x + box.width * 0.56, box.y + box.height * 0.46);
  const after = await form.locator(".coords").textContent();
  check(after !== before, `a tap on the map moves the proposed AED (${before} -> ${after})`);
  const [lon, lat] = after.split(",").map(Number);
  await form.locator("input[name=name]").fill(spec.accepted);
  await form.locator("input[name=location_text]").fill("beside the lifts");
  await form.locator("input[name=level]").fill("1");
  await form.locator("input[name=opening_hours]").fill("24/7");
  await form.locator("input[name=photo]").setInputFiles(spec.photo);
  await shot("community-propose-form.png");
  await form.locator("button[type=submit]").click();
  await form.locator(".result.ok").waitFor({ timeout: 15000 });
  check((await form.locator(".result").textContent()) === THANKS, "the proposer is told a moderator will check it");
  await shot("community-propose-sent.png");

  // 2. another one, to be rejected, at my position
  await page.click("#propose-open");
  const second = page.locator("#propose-box form.proposal");
  await second.locator("input[name=name]").fill(spec.rejected);
  await second.locator("input[name=photo]").setInputFiles(spec.photo);
  await second.locator("button[type=submit]").click();
  await second.locator(".result.ok").waitFor({ timeout: 15000 });

  // 3. a change from an AED's item: the hours are wrong
  const item = page.locator(`li[data-aed-id="${spec.change_aed}"]`);
  check(await item.count() === 1, `AED ${spec.change_aed} is listed near the place`);
  await item.locator(".change-open").click();
  const change = item.locator("form.proposal");
  await change.locator("select[name=kind]").selectOption("wrong_hours");
  check(await change.locator(".position").isHidden(), "wrong hours asks no position");
  await change.locator("input[name=opening_hours]").fill("Mo-Su 06:30-23:00");
  await change.locator("button[type=submit]").click();
  await change.locator(".result.ok").waitFor({ timeout: 15000 });
  check(true, "the change was sent for moderation");

  // nothing shows before a moderator decides
  await page.goto(finder(lon, lat));
  await ready(page);
  const pending = await listedNames(page);
  check(!pending.includes(spec.accepted) && !pending.includes(spec.rejected),
    "a pending proposal is not shown in the finder");

  // 4. the admin's moderation queue, with the photos sent
  const admin = await context.newPage();
  await admin.goto(`${base}/owner?lang=en`);
  await admin.waitForSelector("body[data-state=ready]", { timeout: 30000 });
  await admin.fill("#token", spec.admin);
  await admin.click("#sign-in");
  await admin.waitForSelector("#queue:not([hidden]) #queue-list li", { timeout: 30000 });
  check(await admin.isHidden("#mine"), "an admin has no 'my AEDs' list");
  const card = (name) => admin.locator("#queue-list li", { hasText: name });
  for (const name of [spec.accepted, spec.rejected]) {
    check(await card(name).count() === 1, `the queue holds "${name}"`);
    await card(name).locator("img.pending-photo").waitFor({ timeout: 15000 });
    const width = await card(name).locator("img.pending-photo").evaluate(
      (img) => (img.complete ? img.naturalWidth : new Promise((ok) => { img.onload = () => ok(img.naturalWidth); })));
    check(width === 16, `the moderator sees the photo sent with "${name}" (${width} px wide)`);
  }
  await admin.screenshot({ path: `${artifacts}/community-moderation.png` });
  await card(spec.accepted).locator("button.accept").click();
  await card(spec.accepted).waitFor({ state: "detached", timeout: 15000 });
  check((await admin.textContent("#message")) === "Accepted", "the accepted proposal leaves the queue");
  await card(spec.rejected).locator("button.reject").click();
  await admin.waitForTimeout(300);
  check(await card(spec.rejected).count() === 1, "no rejection without a reason");
  await card(spec.rejected).locator("input[name=reason]").fill("no AED hangs there");
  await card(spec.rejected).locator("button.reject").click();
  await card(spec.rejected).waitFor({ state: "detached", timeout: 15000 });
  check((await admin.textContent("#message")) === "Rejected", "the rejected proposal leaves the queue");
  await admin.close();

  // 5. the finder shows the accepted AED with its photo, and never the rejected one
  await page.goto(finder(lon, lat));
  await ready(page);
  const names = await listedNames(page);
  check(names.includes(spec.accepted), `the finder lists the accepted AED (${names.join(" | ")})`);
  check(!names.includes(spec.rejected), "the finder never lists the rejected AED");
  const shown = page.locator("#aed-list li", { hasText: spec.accepted });
  const photo = shown.locator("img.aed-photo");
  check(/^\/api\/photos\/\d+$/.test(await photo.getAttribute("src")), "its photo is served by this server");
  await photo.scrollIntoViewIfNeeded();
  await page.waitForFunction((img) => img.complete && img.naturalWidth > 0, await photo.elementHandle());
  check(await photo.evaluate((img) => img.naturalWidth) === 16, "the finder shows the AED's photo");
  await shot("community-finder-accepted.png");
  await page.goto(finder(spec.lon, spec.lat));
  await ready(page);
  check(!(await listedNames(page)).includes(spec.rejected), "nor where it was proposed");
}, { viewport: { width: 412, height: 860 }, mobile: true });

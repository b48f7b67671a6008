// The public training-site finder: from a position, the nearest sites by walking time with
// their courses and free places; a person enrols (the free places drop), another person takes
// the last place elsewhere while a third fills in the form: the third is told plainly that the
// course is full, and the course shows full. By car lists sites too; a volunteer applies with
// a photo of the certificate; the page speaks Chinese.
// Usage: node tests/web/community_training.mjs BASE ARTIFACTS '{"lon","lat","site","session","photo"}'
import { args, check, run } from "./lib.mjs";

const { base, artifacts, spec } = args();
const session = `li[data-session-id="${spec.session}"]`;

async function ready(page) {
  await page.waitForSelector("body[data-state=ready]", { timeout: 60000 });
}

async function enrol(page, name, phone) {
  await page.click(`${session} .enrol-open`);
  await page.fill(`${session} form.enrol input[name=name]`, name);
  await page.fill(`${session} form.enrol input[name=phone]`, phone);
}

await run("community_training", base, artifacts, async (page, context, { shot, consoleErrors }) => {
  await page.goto(`${base}/training?lon=${spec.lon}&lat=${spec.lat}&lang=en`);
  await page.waitForSelector(`#site-list ${session}`, { timeout: 60000 });
  await ready(page);
  const travel = await page.$$eval("#site-list > li .walk", (els) => els.map((e) => Number(e.dataset.travelS)));
  check(travel.length > 0 && travel.every((s, i) => i === 0 || travel[i - 1] <= s),
    `sites listed by walking time: ${travel.join(", ")} s`);
  check(await page.getAttribute(session, "data-free") === "2", "the course has 2 free places");
  check(await page.$$eval(".site-pin", (els) => els.length) === travel.length, "one map pin per site");
  await shot("community-training.png");

  // the first person enrols
  await enrol(page, "Browser-test Ann", "+86 138 0000 0001");
  await shot("community-training-enrol.png");
  await page.click(`${session} form.enrol button[type=submit]`);
  await page.waitForSelector(`${session} .result.ok`, { timeout: 15000 });
  check(await page.getAttribute(session, "data-free") === "1", "after enrolling, 1 free place is left");

  // someone else takes the last place while a third person fills in the form
  await enrol(page, "Browser-test Carl", "+86 138 0000 0003");
  const taken = await fetch(`${base}/api/training-sessions/${spec.session}/enrolments`, {
    method: "POST", headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ name: "Browser-test Ben", phone: "+86 138 0000 0002" }) });
  check(taken.status === 201, `the last place is taken elsewhere (${taken.status})`);
  await page.click(`${session} form.enrol button[type=submit]`);
  await page.waitForSelector(`${session} .result.error`, { timeout: 15000 });
  const refusal = await page.textContent(`${session} .result.error`);
  check(refusal.startsWith("Cannot enrol") && refusal.includes("full"), `the refusal is said plainly: "${refusal}"`);
  // the browser logs the refused POST; that one 409 is the answer this flow expects
  const logged = consoleErrors.findIndex((e) => /status of 409/.test(e));
  check(logged >= 0, "the refusal was the server's 409");
  consoleErrors.splice(logged, 1);
  check(await page.getAttribute(session, "data-free") === "0", "the course now shows no free place");
  check((await page.textContent(`${session} .places-full`)) === "full", "the course is marked full");
  check(await page.isDisabled(`${session} .enrol-open`), "a full course offers no enrolment");
  await page.locator(session).scrollIntoViewIfNeeded();
  await shot("community-training-full.png");

  // by car
  await page.selectOption("#mode", "drive");
  await page.waitForFunction(() => document.querySelector("#site-list > li .walk")?.textContent.startsWith("By car"));
  check(true, "by car, sites are listed by driving time");

  // a volunteer applies with a photo of the certificate
  await page.click("#volunteer summary");
  await page.fill("#apply-form input[name=name]", "Browser-test Volunteer");
  await page.fill("#apply-form input[name=phone]", "+86 138 0000 0042");
  await page.selectOption("#apply-form select[name=level]", "junior");
  await page.fill("#apply-form input[name=certificate_no]", "SZ-2026-0042");
  await page.fill("#apply-form input[name=certified_until]", "2028-06-30");
  await page.setInputFiles("#apply-form input[name=certificate_photo]", spec.photo);
  await page.click("#apply-form button[type=submit]");
  await page.waitForSelector("#apply-result.ok", { timeout: 15000 });
  check((await page.textContent("#apply-result")) === "Thank you: your application waits for approval.",
    "the application is received and waits for approval");
  await shot("community-training-apply.png");

  await page.click("#lang");
  await page.waitForFunction(() => document.documentElement.lang === "zh-CN");
  check((await page.textContent("header h1")) === "急救培训", "the training page switches to Chinese");
  check((await page.textContent(`${session} .places-full`)) === "已满", "and says full in Chinese");
}, { viewport: { width: 412, height: 860 }, mobile: true });

// Shared by the browser flows: Debian's chromium driven by playwright-core (never a
// downloaded browser), every request recorded, anything not on the app's loopback origin
// blocked and reported, screenshots into the artifacts directory.
import { mkdtempSync, mkdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

export const CHROMIUM = process.env.RC_CHROMIUM || "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
  "--disable-default-apps", "--disable-domain-reliability", "--no-pings",
  "--use-gl=angle", "--use-angle=swiftshader", "--enable-unsafe-swiftshader"];

export function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exitCode = 1;
  throw new Error(message);
}

export function check(condition, message) {
  if (!condition) fail(message);
  console.log(`ok: ${message}`);
}

/**
 * Run `flow(page, context, tools)` in a fresh browser profile against `base`; after it, assert
 * the pages made no request outside `base`'s origin (data: and blob: URLs are in-page).
 */
export async function run(name, base, artifacts, flow, { viewport = { width: 1280, height: 800 }, mobile = false } = {}) {
  mkdirSync(artifacts, { recursive: true });
  const profile = mkdtempSync(join(tmpdir(), "rc-chromium-"));
  const origin = new URL(base).origin;
  const requests = [];
  const foreign = [];
  const consoleErrors = [];
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, args: FLAGS, ignoreDefaultArgs: ["--headless=new"],
    viewport, isMobile: mobile, hasTouch: mobile, locale: "en-US",
    serviceWorkers: "allow", acceptDownloads: true,
  });
  const isLocal = (url) => url.startsWith(`${origin}/`) || url === origin
    || url.startsWith("data:") || url.startsWith("blob:");
  context.on("request", (request) => {
    requests.push(request.url());
    if (!isLocal(request.url())) foreign.push(request.url());
  });
  // block (and so also catch) anything leaving the loopback origin, workers included
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (isLocal(url)) return route.continue();
    foreign.push(url);
    return route.abort("blockedbyclient");
  });
  const page = context.pages()[0] || await context.newPage();
  page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(msg.text()); });
  page.on("pageerror", (error) => consoleErrors.push(String(error)));
  const shot = async (file) => {
    const path = join(artifacts, file);
    await page.screenshot({ path, fullPage: false });
    console.log(`screenshot: ${path}`);
  };
  try {
    try {
      await flow(page, context, { shot, requests, consoleErrors });
    } catch (error) {
      console.error(`page errors: ${consoleErrors.join(" | ") || "none"}`);
      console.error(`requests: ${requests.slice(-15).join(" ")}`);
      await shot(`${name}-failure.png`).catch(() => {});
      throw error;
    }
    check(requests.length > 0, `${name}: ${requests.length} requests recorded`);
    check(foreign.length === 0,
      `${name}: zero requests outside ${origin}${foreign.length ? `; got ${[...new Set(foreign)].join(", ")}` : ""}`);
    const pageErrors = consoleErrors.filter((e) => !/Failed to load resource.*40[134]/.test(e));
    check(pageErrors.length === 0, `${name}: no page errors${pageErrors.length ? `: ${pageErrors.join(" | ")}` : ""}`);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Wait until the map has drawn everything it has asked for (tiles and sources loaded). */
export async function mapIdle(page, timeout = 30000) {
  await page.waitForFunction(() => window.rcMap && window.rcMap.loaded() && window.rcMap.areTilesLoaded(),
    null, { timeout });
  await page.evaluate(() => new Promise((resolve) => {
    const map = window.rcMap;
    map.once("idle", resolve);
    map.triggerRepaint();
  }));
}

/** Counts of rendered features per layer id (what the user actually sees). */
export async function rendered(page, layers) {
  return page.evaluate((ids) => {
    const map = window.rcMap;
    const out = {};
    for (const id of ids) out[id] = map.getLayer(id) ? map.queryRenderedFeatures({ layers: [id] }).length : -1;
    return out;
  }, layers);
}

export function args() {
  const [, , base, artifacts, json] = process.argv;
  if (!base || !artifacts) fail("usage: node FLOW.mjs BASE_URL ARTIFACTS_DIR [JSON]");
  return { base: base.replace(/\/$/, ""), artifacts, spec: json ? JSON.parse(json) : {} };
}

/**
 * Run `flow({contexts, pages}, tools)` with several browser contexts of one browser, each as
 * isolated as another device (a dispatcher's desk and volunteers' phones on one incident):
 * `specs` maps a name to Playwright context options. Every request of every context is
 * recorded, and anything leaving `base`'s origin is blocked and fails the run, as in run().
 * `tools.shot(name, file)` screenshots that context's page.
 */
export async function runMany(name, base, artifacts, specs, flow) {
  mkdirSync(artifacts, { recursive: true });
  const origin = new URL(base).origin;
  const isLocal = (url) => url.startsWith(`${origin}/`) || url === origin
    || url.startsWith("data:") || url.startsWith("blob:");
  const requests = [];
  const foreign = [];
  const consoleErrors = [];
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS,
    ignoreDefaultArgs: ["--headless=new"] });
  const contexts = {};
  const pages = {};
  try {
    for (const [key, options] of Object.entries(specs)) {
      const context = await browser.newContext({ locale: "en-US", ...options });
      context.on("request", (request) => {
        requests.push(`${key} ${request.url()}`);
        if (!isLocal(request.url())) foreign.push(request.url());
      });
      await context.route("**/*", (route) => {
        const url = route.request().url();
        if (isLocal(url)) return route.continue();
        foreign.push(url);
        return route.abort("blockedbyclient");
      });
      const page = await context.newPage();
      page.on("console", (msg) => { if (msg.type() === "error") consoleErrors.push(`${key}: ${msg.text()}`); });
      page.on("pageerror", (error) => consoleErrors.push(`${key}: ${error}`));
      contexts[key] = context;
      pages[key] = page;
    }
    const shot = async (key, file) => {
      const path = join(artifacts, file);
      await pages[key].screenshot({ path, fullPage: false });
      console.log(`screenshot: ${path}`);
    };
    try {
      await flow({ contexts, pages }, { shot, requests, consoleErrors });
    } catch (error) {
      console.error(`page errors: ${consoleErrors.join(" | ") || "none"}`);
      console.error(`requests: ${requests.slice(-20).join(" ")}`);
      for (const key of Object.keys(pages)) await shot(key, `${name}-${key}-failure.png`).catch(() => {});
      throw error;
    }
    check(requests.length > 0, `${name}: ${requests.length} requests recorded`);
    check(foreign.length === 0,
      `${name}: zero requests outside ${origin}${foreign.length ? `; got ${[...new Set(foreign)].join(", ")}` : ""}`);
    // 40x are replies the flow checks; a request while a context is offline fails by design
    const pageErrors = consoleErrors.filter((e) => !/Failed to load resource.*40[134]/.test(e)
      && !/ERR_INTERNET_DISCONNECTED/.test(e));
    check(pageErrors.length === 0, `${name}: no page errors${pageErrors.length ? `: ${pageErrors.join(" | ")}` : ""}`);
  } finally {
    await browser.close();
  }
}

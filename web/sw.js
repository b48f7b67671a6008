// The AED finder's service worker: the page, its scripts and the last nearby-AED lists are
// cached, so the list still shows (marked offline) when the network is gone. API answers are
// always fetched fresh first: availability changes, and a stale "available" must never win
// over a live answer.
const CACHE = "rc-finder-v4";
// every module and file the finder loads (common.js imports loop-strings.js; the favicon; the
// proposals' community.js, .css and propose.js): one missing and the page cannot start
// offline, or logs an error
const SHELL = ["/finder", "/web/style.css", "/web/common.js", "/web/loop-strings.js",
  "/web/finder.js", "/web/vendor/maplibre-gl.js", "/web/vendor/maplibre-gl.css",
  "/web/favicon.svg", "/web/community.css", "/web/community.js", "/web/propose.js"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin) return;
  if (url.pathname === "/api/aeds/nearest") {
    event.respondWith(nearest(event.request));
  } else if (SHELL.includes(url.pathname) || url.pathname.startsWith("/tiles/basemap/")) {
    event.respondWith(networkFirst(event.request));
  }
});

async function nearest(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) {
      await cache.put(request, response.clone());
      await cache.put("/api/aeds/nearest?last", response.clone());
    }
    return response;
  } catch (error) {
    const saved = (await cache.match(request)) || (await cache.match("/api/aeds/nearest?last"));
    if (!saved) throw error;
    const headers = new Headers(saved.headers);
    headers.set("X-RC-Offline", "1");
    return new Response(await saved.blob(), { status: 200, headers });
  }
}

async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    const saved = await cache.match(request, { ignoreSearch: true });
    if (saved) return saved;
    throw error;
  }
}

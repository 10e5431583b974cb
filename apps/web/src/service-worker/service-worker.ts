/**
 * The board's service worker: caches every file of the built app at install,
 * then serves them from the cache — the app loads with no network at all
 * after a first visit. Navigations inside its scope get the cached
 * `index.html` (whatever the query: `?board=` and `?relay=` are read by the
 * page). Anything else, the relay included, goes to the network untouched.
 *
 * @remarks
 * A new build has a new manifest version: the browser installs it next to
 * the old one at the next visit, it takes over at once (`skipWaiting`,
 * `clients.claim`) and deletes the old cache. The app has one script and one
 * stylesheet, so a page started by the old version never asks for a file
 * only the deleted cache held.
 */
declare const self: ServiceWorkerGlobalScope;

/** Replaced by the build (vite.config.ts) with `{ version, files }`. */
const MANIFEST = '__SOFTADASTRA_PRECACHE_MANIFEST__';
const { version, files } = JSON.parse(MANIFEST) as { version: string; files: string[] };
const PREFIX = 'softadastra-web-';
const CACHE = `${PREFIX}${version}`;
const urlOf = (file: string): string => new URL(file, self.registration.scope).href;
const INDEX = urlOf('index.html');
const PRECACHED = new Set(files.map(urlOf));

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // Past the HTTP cache: the files of this version, not older ones.
      await cache.addAll([...PRECACHED].map((url) => new Request(url, { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  const key = request.mode === 'navigate' && url.href.startsWith(self.registration.scope) ? INDEX : url.origin + url.pathname;
  if (!PRECACHED.has(key)) return;
  event.respondWith(
    (async () => {
      const cached = await caches.match(key, { cacheName: CACHE });
      return cached ?? fetch(request);
    })(),
  );
});

export {};

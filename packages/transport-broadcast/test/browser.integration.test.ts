import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { CaseResult } from './browser/vitest-shim.js';
import type { BrowserTab, TabReport } from './browser/tab.js';

// This transport in real Chromium: the conformance suite on the page's BroadcastChannel, and two
// tabs of one origin syncing engines through it. Page scripts are bundled by esbuild for the
// browser (through the `@softadastra/source` condition, as an app's bundler would pick the package).
//
// Chromium: Debian's `chromium` at /usr/bin/chromium, or CHROMIUM_PATH. Without it the tests are
// skipped with the reason in their name, except in CI (CI=true), where they fail.

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inCI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';
const missing = existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;
const skip = missing !== undefined && !inCI;
if (skip) console.warn(`browser tests skipped: ${missing}`);

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const SUITE = fileURLToPath(new URL('../../testing/src/conformance/transport-conformance.ts', import.meta.url));
/** Cases the suite registers (`it(` and the reconnect case, registered through `it` or `it.skip`). */
const EXPECTED_CASES = readFileSync(SUITE, 'utf8').match(/^\s+(?:it|reconnect)\(/gm)?.length ?? 0;
const LIVENESS = { heartbeatMs: 200, timeoutMs: 600 };

/** Bundles a page script; fails on anything a browser cannot load. */
async function bundle(entry: string, alias: Record<string, string> = {}): Promise<string> {
  const result = await build({
    absWorkingDir: PACKAGE_DIR,
    entryPoints: [entry],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    conditions: ['@softadastra/source'],
    alias,
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  expect(inputs.some((input) => input.endsWith('src/broadcast-hub.ts')), 'the package source is in the bundle').toBe(true);
  expect(inputs.filter((input) => /(^|\/)node_modules\/|node:/.test(input)), 'nothing from node_modules or node:*').toEqual([]);
  return result.outputFiles[0]!.text;
}

const page = (script: string): string => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/${script}"></script>`;

describe.skipIf(skip)(skip ? `in Chromium (skipped: ${missing})` : 'in Chromium', () => {
  let browser: Browser | undefined;
  let http: Server | undefined;
  let origin = '';
  const problems: string[] = [];

  // Set up inside the tests, not in beforeAll: a failed hook would count the tests as skipped.
  async function start(): Promise<void> {
    if (browser !== undefined) return;
    if (missing !== undefined) throw new Error(`CI=true and ${missing}. The browser tests must not be skipped in CI.`);
    const scripts: Record<string, string> = {
      '/conformance.js': await bundle('test/browser/conformance-page.ts', { vitest: fileURLToPath(new URL('./browser/vitest-shim.ts', import.meta.url)) }),
      '/tab.js': await bundle('test/browser/tab.ts'),
    };
    const pages: Record<string, string> = { '/conformance': page('conformance.js'), '/tab': page('tab.js') };
    http = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (scripts[path] !== undefined) response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(scripts[path]);
      else if (pages[path] !== undefined) response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(pages[path]);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => http!.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
      timeout: 60_000,
    });
  }

  async function openPage(context: BrowserContext, path: string, global: string): Promise<Page> {
    const p = await context.newPage();
    p.on('pageerror', (error) => problems.push(`${path}: page error: ${error.message}`));
    p.on('console', (message) => {
      if (message.type() === 'error') problems.push(`${path}: console error: ${message.text()}`);
    });
    p.on('crash', () => problems.push(`${path}: the page crashed`));
    await p.goto(`${origin}${path}`, { timeout: 30_000 });
    await until(() => p.evaluate((name) => name in globalThis, global), `${path} has loaded`);
    return p;
  }

  async function until(check: () => Promise<boolean>, what: string, detail: () => Promise<string> = () => Promise.resolve(''), timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (problems.length > 0) throw new Error(`the pages reported:\n${problems.join('\n')}`);
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${await detail()}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  afterAll(async () => {
    await browser?.close();
    if (http?.listening) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http!.close(() => resolve()));
    }
  }, 30_000);

  it('passes the transport conformance suite on the page BroadcastChannel, every case', async () => {
    await start();
    expect(EXPECTED_CASES, 'cases found in the suite source').toBeGreaterThanOrEqual(12);
    const context = await browser!.newContext();
    const p = await openPage(context, '/conformance', 'runConformance');
    const results: CaseResult[] = await p.evaluate(() => (globalThis as unknown as { runConformance: () => Promise<CaseResult[]> }).runConformance());
    const failed = results.filter((r) => r.status === 'failed');
    expect(failed.map((r) => `${r.name}: ${r.error}`), 'failed cases').toEqual([]);
    expect(results).toHaveLength(EXPECTED_CASES);
    // Only the reconnect case may be skipped: this transport does not reconnect by itself.
    expect(results.filter((r) => r.status === 'skipped').map((r) => r.name)).toEqual([expect.stringMatching(/comes back after the link drops/) as string]);
    expect(results.filter((r) => r.status === 'passed')).toHaveLength(EXPECTED_CASES - 1);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);

  it('syncs two tabs of one origin through the leader, and the follower sees the leader tab vanish within the heartbeat timeout', async () => {
    await start();
    const context = await browser!.newContext();
    const [leader, follower] = [await openPage(context, '/tab', 'softadastraTab'), await openPage(context, '/tab', 'softadastraTab')];
    const call = <M extends keyof BrowserTab>(p: Page, method: M, ...args: Parameters<BrowserTab[M]>): Promise<Awaited<ReturnType<BrowserTab[M]>>> =>
      p.evaluate(
        ([name, values]) => (globalThis as unknown as { softadastraTab: Record<string, (...a: unknown[]) => unknown> }).softadastraTab[name]!(...values),
        [method, args] as [string, unknown[]],
      ) as Promise<Awaited<ReturnType<BrowserTab[M]>>>;
    const report = (p: Page): Promise<TabReport> => call(p, 'report');

    await call(leader, 'open', 'tab-leader', 'space-1', LIVENESS);
    await call(follower, 'open', 'tab-follower', 'space-1', LIVENESS);
    await call(leader, 'put', 'notes', 'by-leader', { text: 'written in the leader tab' });
    await call(follower, 'put', 'notes', 'by-follower', { text: 'written in the follower tab before connecting' });
    await call(leader, 'lead');
    await call(follower, 'follow', 'tab-leader');

    let l = await report(leader);
    let f = await report(follower);
    const converged = async (): Promise<boolean> => {
      [l, f] = [await report(leader), await report(follower)];
      return l.root === f.root && f.status === 'synced' && l.status === 'synced' && (f.entries.notes ?? []).length === 2;
    };
    const state = (): Promise<string> => Promise.resolve(`; leader: ${JSON.stringify(l)}; follower: ${JSON.stringify(f)}`);
    await until(converged, 'the two tabs converge', state);
    expect(Object.fromEntries(f.entries.notes!)).toEqual({ 'by-leader': { text: 'written in the leader tab' }, 'by-follower': { text: 'written in the follower tab before connecting' } });
    expect(f.vv).toEqual(l.vv);

    // Live writes on both sides, the same key included.
    await Promise.all([
      ...Array.from({ length: 20 }, (_, i) => call(leader, 'put', 'items', `l${i}`, i)),
      ...Array.from({ length: 20 }, (_, i) => call(follower, 'put', 'items', `f${i}`, i)),
      call(leader, 'put', 'items', 'shared', 'leader'),
      call(follower, 'put', 'items', 'shared', 'follower'),
    ]);
    await until(async () => (await converged()) && (f.entries.items ?? []).length === 41, 'live writes converge', state);
    expect(f.entries).toEqual(l.entries);
    expect([l.opens, f.opens]).toEqual([1, 1]);
    expect([...l.errors, ...f.errors]).toEqual([]);

    // The leader tab closes (no pagehide handler: nothing is sent, as when a tab crashes).
    const closedAt = await call(follower, 'now');
    await leader.close();
    await until(async () => (f = await report(follower)).closes.length > 0, 'the follower sees its connection close', state, 10_000);
    const close = f.closes[0]!;
    const took = close.at - closedAt;
    expect(close).toMatchObject({ code: 1006, final: true });
    // Detected after timeoutMs of silence plus an unanswered ping (≤ 2 heartbeats), with slack for timers.
    expect(took).toBeGreaterThanOrEqual(LIVENESS.timeoutMs - 50);
    expect(took).toBeLessThan(LIVENESS.timeoutMs + 3 * LIVENESS.heartbeatMs + 500);
    expect(f.errors.filter((line) => line.startsWith('connection: '))).toEqual([expect.stringMatching(/^connection: E_TRANSPORT nothing from tab tab-leader/) as string]);
    expect(f.connections).toEqual(['closed']);
    expect(problems).toEqual([]);
    await context.close();
  }, 120_000);
});

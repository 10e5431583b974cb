import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import type { DurabilityProbe } from './browser/conformance-page.js';
import type { TabOpen, WalTab } from './browser/tab.js';
import type { CaseResult } from './browser/vitest-shim.js';

// This WAL in real Chromium, on the page's real IndexedDB: the conformance suite, the durability
// every transaction asks for, and two tabs of one origin opening the same WAL. Page scripts are
// bundled by esbuild for the browser (through the `@softadastra/source` condition, as an app's
// bundler would pick the package).
//
// Chromium: Debian's `chromium` at /usr/bin/chromium, or CHROMIUM_PATH. Without it the tests are
// skipped with the reason in their name, except in CI (CI=true), where they fail.

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inCI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';
const missing = existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;
const skip = missing !== undefined && !inCI;
if (skip) console.warn(`browser tests skipped: ${missing}`);

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));
const SUITE = fileURLToPath(new URL('../../testing/src/conformance/wal-conformance.ts', import.meta.url));

/**
 * The cases the suite registers, counted in its source: each `it(` at the start of a line, plus,
 * for a table-driven `for (const [...] of [rows] as const) { it(`, one case per further row.
 */
function countSuiteCases(source: string): number {
  let count = source.match(/^\s+it\(/gm)?.length ?? 0;
  for (const table of source.matchAll(/for \(const \[[^\]]*\] of \[([\s\S]*?)\] as const\)\s*\{\s*it\(/g)) {
    count += (table[1]!.match(/^\s*\[/gm)?.length ?? 1) - 1;
  }
  return count;
}
const EXPECTED_CASES = countSuiteCases(readFileSync(SUITE, 'utf8'));
/** The cases skipped on IndexedDB, and why (the same as on fake-indexeddb in Node). */
const EXPECTED_SKIPS: RegExp[] = [/needs the harness hook tearTail\(\)/, /detectsCorruptTail is true/, /needs the harness hook crashProcess\(\)/, /capabilities\.compaction is true/];

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
  expect(inputs.some((input) => input.endsWith('src/indexeddb-wal.ts')), 'the package source is in the bundle').toBe(true);
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

  async function until(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (problems.length > 0) throw new Error(`the pages reported:\n${problems.join('\n')}`);
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}`);
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

  it('passes the WAL conformance suite on the page IndexedDB, every case', async () => {
    await start();
    // The suite as of this writing registers 24 cases; fewer found means the count broke, not the suite.
    expect(EXPECTED_CASES, 'cases found in the suite source').toBeGreaterThanOrEqual(24);
    const context = await browser!.newContext();
    const p = await openPage(context, '/conformance', 'runConformance');
    const results: CaseResult[] = await p.evaluate(() => (globalThis as unknown as { runConformance: () => Promise<CaseResult[]> }).runConformance());
    const failed = results.filter((r) => r.status === 'failed');
    expect(failed.map((r) => `${r.name}: ${r.note}`), 'failed cases').toEqual([]);
    expect(results, 'cases run in the page (as many as the suite source registers)').toHaveLength(EXPECTED_CASES);
    expect(new Set(results.map((r) => r.name)).size, 'distinct case names').toBe(EXPECTED_CASES);
    // Exactly the skips the harness and the capabilities explain, each for its stated reason.
    const skipped = results.filter((r) => r.status === 'skipped');
    expect(skipped.map((r) => EXPECTED_SKIPS.findIndex((reason) => reason.test(r.note ?? ''))).sort(), `skips: ${JSON.stringify(skipped)}`).toEqual([0, 1, 2, 3]);
    expect(results.filter((r) => r.status === 'passed')).toHaveLength(EXPECTED_CASES - EXPECTED_SKIPS.length);
    expect(problems).toEqual([]);
    await context.close();
  }, 180_000);

  it("opens every write transaction with durability 'strict', and Chromium reports it so", async () => {
    await start();
    const context = await browser!.newContext();
    const p = await openPage(context, '/conformance', 'probeDurability');
    const probe: DurabilityProbe = await p.evaluate(() => (globalThis as unknown as { probeDurability: () => Promise<DurabilityProbe> }).probeDurability());
    const writes = probe.calls.filter((call) => call.mode === 'readwrite');
    // One per append tick (three) and one compaction.
    expect(writes).toHaveLength(4);
    expect(writes.map((call) => [call.requested, call.actual])).toEqual(Array.from({ length: 4 }, () => ['strict', 'strict']));
    // The rest are the two replays on open: read-only.
    expect(probe.calls.filter((call) => call.mode !== 'readwrite').map((call) => call.mode)).toEqual(['readonly', 'readonly']);
    expect(probe).toMatchObject({ replayed: ['5'], snapshot: true });
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);

  it('refuses a second tab of the origin with E_WAL_LOCKED while the first holds the WAL; once the first tab is gone, the second opens and sees its data', async () => {
    await start();
    const context = await browser!.newContext();
    const call = <M extends keyof WalTab>(p: Page, method: M, ...args: Parameters<WalTab[M]>): Promise<Awaited<ReturnType<WalTab[M]>>> =>
      p.evaluate(
        ([name, values]) => (globalThis as unknown as { walTab: Record<string, (...a: unknown[]) => unknown> }).walTab[name]!(...values),
        [method, args] as [string, unknown[]],
      ) as Promise<Awaited<ReturnType<WalTab[M]>>>;
    const [first, second] = [await openPage(context, '/tab', 'walTab'), await openPage(context, '/tab', 'walTab')];
    const name = 'softadastra-two-tabs';

    expect(await call(first, 'open', name)).toEqual({ ok: true, records: [], snapshot: false });
    await call(first, 'append', 1);
    await call(first, 'append', 2, 3, 4);
    expect(await call(second, 'locks')).toEqual({ api: true, held: [`softadastra-wal-indexeddb:${name}`] });

    const refused = await call(second, 'open', name);
    expect(refused).toMatchObject({ ok: false, code: 'E_WAL_LOCKED' });
    expect((refused as Extract<TabOpen, { ok: false }>).message).toMatch(/another tab or worker of this site \(its Web Lock is held\)/);
    // The first tab is unaffected by the refusal.
    await call(first, 'append', 5);

    // The first tab goes away without closing its WAL, as a tab closed by the user or killed.
    await first.close();
    let last: TabOpen | undefined;
    await until(async () => (last = await call(second, 'open', name)).ok, 'the second tab can open the WAL the closed tab held', 10_000).catch((error: unknown) => {
      throw new Error(`${String(error)}; last open: ${JSON.stringify(last)}`);
    });
    expect(last).toEqual({ ok: true, records: ['1', '2', '3', '4', '5'], snapshot: false });
    expect(await call(second, 'locks')).toEqual({ api: true, held: [`softadastra-wal-indexeddb:${name}`] });
    // And the log goes on in the second tab.
    await call(second, 'append', 6);
    await call(second, 'close');
    expect(await call(second, 'open', name)).toEqual({ ok: true, records: ['1', '2', '3', '4', '5', '6'], snapshot: false });
    await call(second, 'close');
    expect(problems).toEqual([]);
    await context.close();
  }, 60_000);
});

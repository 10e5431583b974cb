import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { VersionVector, type JsonValue } from '@softadastra/sync-core';
import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { createMemoryWal } from '@softadastra/wal-memory';
import { build } from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { createWebSocketServer, readBearerToken, type WebSocketServer, type WebSocketServerConnection } from '../src/index.js';
import type { BrowserPeer, PeerReport } from './browser/peer.js';
import { sleep } from './helpers.js';

// The real client in a real browser: test/browser/peer.ts is bundled for the browser (through the
// `@softadastra/source` and `browser` export conditions, as an app's bundler would pick the package)
// and runs a sync engine in Chromium against a Node engine behind this package's server.
//
// Chromium: Debian's `chromium` package at /usr/bin/chromium, or CHROMIUM_PATH. Without it the test
// is skipped with the reason in its name, except in CI (CI=true), where it fails.

const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inCI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';
const missing = existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;
const skip = missing !== undefined && !inCI;
if (skip) console.warn(`browser test skipped: ${missing}`);

const TOKEN = 'browser-secret';
/** The only errors the browser peer may report: losing the link when the server drops it. */
const EXPECTED_ERROR = /^(connection|engine): E_TRANSPORT /;
const timing = { resendMs: 200, gapMs: 300, maxBackoffMs: 1_000, coveredDelayMs: 20 };

/** Bundles the page script for the browser; fails on anything a browser cannot load (node:* modules, `ws`). */
async function bundlePage(): Promise<string> {
  const result = await build({
    absWorkingDir: fileURLToPath(new URL('..', import.meta.url)),
    entryPoints: ['test/browser/peer.ts'],
    bundle: true,
    write: false,
    metafile: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    conditions: ['@softadastra/source'],
    logLevel: 'silent',
  });
  const inputs = Object.keys(result.metafile.inputs);
  // The browser build of the package was picked, and nothing of the Node side came along.
  expect(inputs).toContain('src/browser.ts');
  expect(inputs.filter((input) => /(^|\/)node_modules\/|^src\/(index|websocket-transport|websocket-server|server-connection|upgrade-rejection|bearer-token)\.ts$/.test(input))).toEqual([]);
  return result.outputFiles[0]!.text;
}

const PAGE = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>softadastra browser peer</title><script type="module" src="/peer.js"></script>';

function sameVv(report: PeerReport, engine: SyncEngine): boolean {
  return VersionVector.fromJSON(report.vv).equals(engine.versionVector());
}

function entriesOf(engine: SyncEngine): Record<string, Array<[string, JsonValue]>> {
  const entries: Record<string, Array<[string, JsonValue]>> = {};
  for (const name of engine.collections().sort()) entries[name] = engine.entries(name).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return entries;
}

describe.skipIf(skip)(skip ? `the client in Chromium (skipped: ${missing})` : 'the client in Chromium', () => {
  let browser: Browser | undefined;
  let page: Page;
  let http: Server;
  let server: WebSocketServer;
  let node: SyncEngine;
  let url: string;
  /** Page errors and console errors, as they came: any of them fails the test. */
  const pageProblems: string[] = [];
  const nodeErrors: string[] = [];
  const accepted: WebSocketServerConnection[] = [];

  // Set up inside the test, not in beforeAll: a failed hook leaves the test counted as skipped in
  // the JSON report that .ci/run sums, and this must count as a failure.
  async function start(): Promise<void> {
    if (missing !== undefined) throw new Error(`CI=true and ${missing}. The browser test must not be skipped in CI.`);
    const script = await bundlePage();

    node = await createSyncEngine({ wal: createMemoryWal(), peerId: 'node-peer', timing, compaction: false });
    node.on('error', (error) => nodeErrors.push(`${error.code} ${error.message}`));

    // One port for the page and the WebSocket endpoint, as a relay serves both.
    http = createServer((request, response) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (path === '/') response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE);
      else if (path === '/peer.js') response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8' }).end(script);
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    const port = (http.address() as AddressInfo).port;
    url = `ws://127.0.0.1:${port}/sync`;
    server = createWebSocketServer({
      server: http,
      path: '/sync',
      heartbeatMs: 2_000,
      // Browsers cannot set headers: the client sends the token as `access_token`.
      authenticate: (request) => (readBearerToken(request) === TOKEN ? { ok: true } : { ok: false, status: 401, reason: 'wrong token' }),
    });
    server.on('connection', (connection) => {
      accepted.push(connection);
      node.connect(connection, { trustCovered: 'own-origin' });
    });

    browser = await chromium.launch({
      executablePath: chromiumPath,
      headless: true,
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
      timeout: 60_000,
    });
    page = await browser.newPage();
    page.on('pageerror', (error) => pageProblems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') pageProblems.push(`console error: ${message.text()}`);
    });
    page.on('crash', () => pageProblems.push('the page crashed'));
    await page.goto(`http://127.0.0.1:${port}/`, { timeout: 30_000 });
    await until(() => page.evaluate(() => 'softadastraPeer' in globalThis), 'the page script has loaded');
  }

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    await node?.close();
    if (http?.listening) {
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    }
  }, 30_000);

  /** Calls `method` of the page's peer (`globalThis.softadastraPeer`) with `args`. */
  function call<M extends keyof BrowserPeer>(method: M, ...args: Parameters<BrowserPeer[M]>): Promise<Awaited<ReturnType<BrowserPeer[M]>>> {
    return page.evaluate(
      ([name, values]) => {
        const peer = (globalThis as unknown as { softadastraPeer: Record<string, (...a: unknown[]) => unknown> }).softadastraPeer;
        return peer[name]!(...values);
      },
      [method, args] as [string, unknown[]],
    ) as Promise<Awaited<ReturnType<BrowserPeer[M]>>>;
  }

  const report = (): Promise<PeerReport> => call('report');

  function failOnPageProblems(): void {
    if (pageProblems.length > 0) throw new Error(`the page reported:\n${pageProblems.join('\n')}`);
  }

  /** Polls until `check` holds; fails at once on a page or console error. */
  async function until(check: () => Promise<boolean>, what: string, detail: () => Promise<string> = () => Promise.resolve(''), timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      failOnPageProblems();
      if (await check()) return;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${await detail()}`);
      await sleep(20);
    }
  }

  /** Polls the page until `predicate` holds of its report; fails at once on a page or console error. */
  async function untilReport(predicate: (r: PeerReport) => boolean, what: string): Promise<PeerReport> {
    let current = await report();
    await until(
      async () => {
        current = await report();
        const unexpected = current.errors.filter((line) => !EXPECTED_ERROR.test(line));
        if (unexpected.length > 0) throw new Error(`the browser peer reported errors:\n${unexpected.join('\n')}`);
        return predicate(current);
      },
      what,
      () => Promise.resolve(`; the browser peer: ${JSON.stringify(current)}; the Node peer: ${JSON.stringify({ root: node.digest().root, vv: node.versionVector().toJSON() })}`),
    );
    return current;
  }

  const converged = (r: PeerReport): boolean => r.root === node.digest().root && sameVv(r, node);

  it('runs a sync engine that converges with a Node engine, and again after the server drops the socket', async () => {
    await start();
    // Writes on both sides before the browser connects.
    await node.put('notes', 'from-node', { text: 'written in Node before the browser came' });
    await call('open', 'browser-peer');
    await call('put', 'notes', 'from-browser', { text: 'written in the browser, offline' });
    await call('connect', url, TOKEN);
    let r = await untilReport((now) => converged(now) && now.opens === 1 && now.status === 'synced', 'the browser converges with Node');
    expect(Object.fromEntries(r.entries.notes!)).toEqual({
      'from-node': { text: 'written in Node before the browser came' },
      'from-browser': { text: 'written in the browser, offline' },
    });
    expect(node.get('notes', 'from-browser')).toEqual({ text: 'written in the browser, offline' });

    // Live writes on both sides at once, and both sides writing the same key.
    await Promise.all([
      ...Array.from({ length: 30 }, (_, i) => node.put('items', `n${i}`, i)),
      call('putAll', 'items', Array.from({ length: 30 }, (_, i): [string, JsonValue] => [`b${i}`, i])),
      node.put('items', 'shared', 'node'),
      call('put', 'items', 'shared', 'browser'),
    ]);
    r = await untilReport((now) => converged(now) && (now.entries.items ?? []).length === 61, 'live writes converge');
    expect(r.entries).toEqual(entriesOf(node));
    expect(r.count).toBe(node.digest().count);
    expect(Object.fromEntries(r.entries.items!)).toMatchObject({ n0: 0, n29: 29, b0: 0, b29: 29 });
    expect(Object.fromEntries(r.entries.items!).shared).toEqual(node.get('items', 'shared'));
    expect(r.errors).toEqual([]);
    expect(accepted).toHaveLength(1);

    // The server drops the socket without a closing handshake; the client must come back by itself.
    for (const connection of server.connections()) connection.terminate('the test drops the link');
    await untilReport((now) => now.closes.length === 1, 'the browser sees the link drop');
    await node.put('notes', 'after-drop-node', 1);
    await node.delete('items', 'b0');
    await call('put', 'notes', 'after-drop-browser', 2);
    await call('remove', 'items', 'n0');
    r = await untilReport(
      (now) => converged(now) && now.opens >= 2 && now.status === 'synced' && node.has('notes', 'after-drop-browser') && 'after-drop-node' in Object.fromEntries(now.entries.notes ?? []),
      'the browser reconnects and converges again',
    );
    expect(r.closes[0]).toMatchObject({ code: 1006, final: false });
    expect(r.connection).toBe('open');
    expect(accepted.length).toBeGreaterThanOrEqual(2);
    expect(r.entries).toEqual(entriesOf(node));
    expect(Object.keys(Object.fromEntries(r.entries.items!))).not.toContain('b0');
    expect(node.has('items', 'n0')).toBe(false);
    expect(node.sessions()).toHaveLength(1);
    // Losing the link is the only error either side may report.
    expect(r.errors.filter((line) => !EXPECTED_ERROR.test(line))).toEqual([]);
    expect(nodeErrors.filter((line) => !/^E_TRANSPORT /.test(line))).toEqual([]);
    failOnPageProblems();
  }, 90_000);
});

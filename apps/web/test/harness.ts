import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createRelay, type Relay } from '@softadastra/relay';
import { createPeer, type Collection, type Peer } from '@softadastra/sdk';
import { inject } from 'vitest';
import type { Task, WriteState } from '../src/board.ts';
import { createWebHandlers } from '../server/web-server.ts';

// The board in real Chromium: Debian's `chromium` at /usr/bin/chromium, or CHROMIUM_PATH. Without
// it the tests are skipped with the reason in their name, except in CI (CI=true), where they fail.
export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const inCI = process.env.CI !== undefined && process.env.CI !== '' && process.env.CI !== 'false' && process.env.CI !== '0';
export const missing = existsSync(chromiumPath) ? undefined : `no Chromium at ${chromiumPath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`;
export const skip = missing !== undefined && !inCI;
if (skip) console.warn(`browser tests skipped: ${missing}`);
export const chromiumArgs = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'];
export const suiteName = skip ? `the board in Chromium (skipped: ${missing})` : 'the board in Chromium';

/** A task as the page shows it. */
export interface ShownTask {
  readonly key: string;
  readonly title: string;
  readonly done: boolean;
  readonly state: WriteState | '';
}

/** What a page shows: its tasks, status line and errors. */
export interface Shown {
  readonly ready: boolean;
  readonly tasks: ShownTask[];
  readonly connection: string;
  readonly pending: number;
  readonly role: string;
  readonly offlineReady: boolean;
  /** The error banner's codes. */
  readonly errors: string[];
  /** The error banner's lines, code and message. */
  readonly errorText: string[];
}

/** A relay on a real port, the built app on another, and one Chromium. */
export interface Harness {
  readonly relay: Relay;
  readonly browser: Browser;
  /** `http://127.0.0.1:port`, serving the Vite build and forwarding `/v1/…` to the relay. */
  readonly origin: string;
  /** While true, the web server refuses every file (the relay's paths still pass): a page can only load from its service worker. */
  filesDown: boolean;
  /** Problems the pages reported (uncaught errors, crashes not asked for). */
  readonly problems: string[];
  /** The board's URL: `?board=` and `?relay=` (the relay's own port); `relay: 'origin'` leaves the relay to the page's origin. */
  url(board: string, relay?: 'direct' | 'origin'): string;
  /** Opens the board in a new page of `context` and waits until it has rendered what is stored. */
  open(context: BrowserContext, url: string): Promise<Page>;
  /** Relay metrics, e.g. `relay_connections`. */
  metric(name: string): Promise<number>;
  close(): Promise<void>;
}

export async function startHarness(): Promise<Harness> {
  if (missing !== undefined) throw new Error(`CI=true and ${missing}. The browser tests must not be skipped in CI.`);
  const dataDir = await mkdtemp(join(tmpdir(), 'softadastra-web-relay-'));
  const relay = await createRelay({ dataDir, port: 0, storage: 'file', logger: false, processMetrics: false });
  const handlers = createWebHandlers({ dir: inject('webDist'), relay: { host: '127.0.0.1', port: relay.port } });
  const problems: string[] = [];
  const harness = {
    filesDown: false,
  } as { filesDown: boolean };
  const http: Server = createServer((request, response) => {
    if (harness.filesDown && !/^\/(v1\/|metrics$|healthz$)/.test(request.url ?? '/')) response.writeHead(503).end('down');
    else handlers.request(request, response);
  });
  http.on('upgrade', handlers.upgrade);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const browser = await chromium.launch({
    executablePath: chromiumPath,
    headless: true,
    args: chromiumArgs,
    timeout: 60_000,
  });
  return Object.assign(harness, {
    relay,
    browser,
    origin,
    problems,
    url(board: string, via: 'direct' | 'origin' = 'direct') {
      const url = new URL(`${origin}/`);
      url.searchParams.set('board', board);
      if (via === 'direct') url.searchParams.set('relay', relay.url);
      return url.href;
    },
    async open(context: BrowserContext, url: string) {
      const page = await context.newPage();
      watch(page, problems);
      await page.goto(url, { timeout: 30_000 });
      await until(async () => (await shown(page)).ready, 'the board has rendered', problems, () => describe(page));
      return page;
    },
    async metric(name: string) {
      const text = await (await fetch(`http://127.0.0.1:${relay.port}/metrics`)).text();
      const line = text.split('\n').find((l) => l.startsWith(`${name} `));
      if (line === undefined) throw new Error(`the relay has no metric ${name}`);
      return Number(line.slice(name.length + 1));
    },
    async close() {
      await browser.close();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      await relay.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  });
}

/** Records what a page reports that no test asked for. */
export function watch(page: Page, problems: string[]): void {
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
}

/** Reads the page: what a person sees (values, labels, data attributes the page sets for each). */
export function shown(page: Page): Promise<Shown> {
  return page.evaluate(() => {
    const byId = (id: string): HTMLElement => document.getElementById(id)!;
    const tasks = [...document.querySelectorAll<HTMLLIElement>('#tasks li')].map((item) => ({
      key: item.dataset['key'] ?? '',
      title: item.querySelector<HTMLInputElement>('input.title')!.value,
      done: item.querySelector<HTMLInputElement>('input[type=checkbox]')!.checked,
      state: (item.querySelector<HTMLElement>('.write-state')!.dataset['state'] ?? '') as WriteState | '',
    }));
    return {
      ready: byId('tasks').dataset['ready'] === 'true',
      tasks,
      connection: byId('connection').dataset['status'] ?? '',
      pending: Number(byId('pending').dataset['count']),
      role: byId('role').dataset['role'] ?? '',
      offlineReady: byId('offline-ready').dataset['ready'] === 'true',
      errors: [...document.querySelectorAll<HTMLElement>('#error-list li')].map((item) => item.dataset['code'] ?? ''),
      errorText: [...document.querySelectorAll<HTMLElement>('#error-list li')].map((item) => item.textContent),
    };
  });
}

async function describe(page: Page): Promise<string> {
  try {
    const s = await shown(page);
    const workers = await page.evaluate(async () =>
      JSON.stringify((await navigator.serviceWorker.getRegistrations()).map((r) => ({ scope: r.scope, installing: r.installing?.state, waiting: r.waiting?.state, active: r.active?.state }))),
    );
    return `; service workers: ${workers}; the page shows ${JSON.stringify({ ...s, tasks: s.tasks.length > 6 ? `${s.tasks.length} tasks, first: ${JSON.stringify(s.tasks.slice(0, 3))}` : s.tasks })}`;
  } catch (error) {
    return `; the page could not be read: ${String(error)}`;
  }
}

/** Waits until `check` holds (polling), failing with what the page shows. Never a fixed sleep. */
export async function until(check: () => Promise<boolean> | boolean, what: string, problems: readonly string[], detail: () => Promise<string> = () => Promise.resolve(''), timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (problems.length > 0) throw new Error(`the pages reported:\n${problems.join('\n')}`);
    if (await check()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting until ${what}${await detail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the page shows what `check` wants of it. */
export function untilShown(page: Page, check: (s: Shown) => boolean, what: string, problems: readonly string[], timeoutMs?: number): Promise<void> {
  return until(async () => check(await shown(page)), what, problems, () => describe(page), timeoutMs);
}

/** Adds a task the way a person does: types its title into "New task", presses Enter. */
export async function addTask(page: Page, title: string): Promise<void> {
  const input = page.getByLabel('New task');
  await input.fill(title);
  await input.press('Enter');
}

/**
 * Adds many tasks as a person typing fast: "New task" keeps the focus after
 * each Enter, so the titles go straight to the keyboard (no per-task lookup).
 */
export async function addTasks(page: Page, titles: readonly string[]): Promise<void> {
  await page.getByLabel('New task').focus();
  for (const title of titles) {
    await page.keyboard.insertText(title);
    await page.keyboard.press('Enter');
  }
}

/** A Node peer on the board (the SDK's Node entry, memory storage). */
export async function nodePeer(relayUrl: string, board: string): Promise<{ peer: Peer; tasks: Collection<Task> }> {
  const peer = await createPeer({ storage: ':memory:', relay: relayUrl });
  const space = await peer.space(board);
  return { peer, tasks: space.collection<Task>('tasks') };
}

/** A board name no other test uses. */
export function freshBoard(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Titles and done flags, in the order shown. */
export const summary = (tasks: readonly ShownTask[]): Array<[string, boolean]> => tasks.map((t) => [t.title, t.done]);

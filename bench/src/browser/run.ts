/**
 * The browser benchmark (issue 14): our engine and SDK on IndexedDB beside
 * Yjs + y-indexeddb, in real Chromium.
 *
 * `pnpm --filter @softadastra/bench browser [--quick] [--runs N] [--only w1,reopen,writes] [--tab-storage own|shared]`
 * (from the root: `pnpm bench:browser`).
 *
 * @remarks
 * The page script (`page.ts`) is bundled by esbuild for `platform:
 * 'browser'` (through the `@softadastra/source` condition, as an app's
 * bundler would pick the packages, so the SDK's browser entry point is the
 * one bundled) and served by a small `node:http` server on 127.0.0.1.
 * Chromium is Debian's `/usr/bin/chromium` (or CHROMIUM_PATH) driven by
 * playwright-core, launched with a **persistent profile in a temporary
 * directory on disk**: an ordinary (incognito-like) browser context keeps
 * IndexedDB in memory, and nothing durable would be measured.
 *
 * Each scenario runs in a fresh page; every database name carries the run's
 * tag, so nothing is reused. Medians of the runs are reported, with ratios
 * to Yjs + y-indexeddb measured in the same run. The full run writes
 * `results/browser.json`; `--quick` (small sizes, one run) writes
 * `results/quick/browser.json` (not kept in git). It exits non-zero if a
 * row failed (a wrong state, a page error, a timeout).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import type { BrowserBench, TabStorage, WritesResult } from './page.ts';

type Scenario = 'w1' | 'reopen' | 'writes' | 'syncs';
const SCENARIOS: readonly Scenario[] = ['w1', 'reopen', 'writes', 'syncs'];

interface Options {
  readonly quick: boolean;
  readonly runs: number | undefined;
  readonly only: readonly Scenario[];
  readonly tabStorage: TabStorage;
}

function parseOptions(argv: readonly string[]): Options {
  let quick = false;
  let runs: number | undefined;
  let only: Scenario[] = [...SCENARIOS];
  let tabStorage: TabStorage = 'own';
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--') continue;
    else if (arg === '--quick') quick = true;
    else if (arg === '--runs') runs = Number.parseInt(value(), 10);
    else if (arg === '--only') {
      only = value().split(',') as Scenario[];
      for (const s of only) if (!SCENARIOS.includes(s)) throw new Error(`unknown scenario ${s}: one of ${SCENARIOS.join(', ')}`);
    } else if (arg === '--tab-storage') {
      const v = value();
      if (v !== 'own' && v !== 'shared') throw new Error('--tab-storage own|shared');
      tabStorage = v;
    } else throw new Error(`unknown option ${arg}`);
  }
  if (runs !== undefined && !(runs >= 1)) throw new Error('--runs needs a positive number');
  return { quick, runs, only, tabStorage };
}

const options = parseOptions(process.argv.slice(2));
const plan = options.quick
  ? { w1: { ops: 10_000, keys: 1_000, batch: 1_000 }, reopen: { keys: 10_000, batch: 1_000 }, writes: { durationMs: 1_000, keys: 1_000 }, runs: 1 }
  : { w1: { ops: 100_000, keys: 10_000, batch: 1_000 }, reopen: { keys: 100_000, batch: 1_000 }, writes: { durationMs: 5_000, keys: 1_000 }, runs: 3 };
const runs = options.runs ?? plan.runs;

const BENCH_DIR = fileURLToPath(new URL('../..', import.meta.url));
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

// ── page script and server ──────────────────────────────────────────────────

async function bundlePage(): Promise<string> {
  const result = await build({
    absWorkingDir: BENCH_DIR,
    entryPoints: ['src/browser/page.ts'],
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
  const need = ['packages/sdk/src/browser.ts', 'packages/wal-indexeddb/src/indexeddb-wal.ts', 'packages/transport-broadcast/src/broadcast-hub.ts', 'node_modules/y-indexeddb/'];
  for (const part of need) if (!inputs.some((input) => input.includes(part))) throw new Error(`the page bundle lacks ${part}`);
  const wrong = inputs.filter((input) => input.startsWith('node:') || input.includes('packages/sdk/src/node-peer.ts'));
  if (wrong.length > 0) throw new Error(`the page bundle holds Node code: ${wrong.join(', ')}`);
  if (inputs.filter((input) => /node_modules\/yjs\/dist\/yjs\.mjs$/.test(input)).length !== 1) throw new Error('the page bundle must hold exactly one copy of yjs');
  return result.outputFiles[0]!.text;
}

function serve(script: string): Promise<{ server: Server; origin: string }> {
  const html = '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>bench</title><script type="module" src="/page.js"></script>';
  const server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    // Cross-origin isolated, so that performance.now() has its fine resolution (5 µs, not 100 µs).
    const isolated = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    if (path === '/page.js') response.writeHead(200, { 'Content-Type': 'text/javascript; charset=utf-8', ...isolated }).end(script);
    else if (path === '/') response.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', ...isolated }).end(html);
    else response.writeHead(404).end();
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })));
}

// ── driving pages ───────────────────────────────────────────────────────────

type Method = keyof BrowserBench;
type Params<M extends Method> = Parameters<BrowserBench[M]>;
type Result<M extends Method> = Awaited<ReturnType<BrowserBench[M]>>;

class Pages {
  readonly problems: string[] = [];
  constructor(
    private readonly context: BrowserContext,
    private readonly origin: string,
  ) {}

  async open(): Promise<Page> {
    const page = await this.context.newPage();
    page.on('pageerror', (error) => this.problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') this.problems.push(`console error: ${message.text()}`);
    });
    page.on('crash', () => this.problems.push('the page crashed'));
    await page.goto(`${this.origin}/`, { timeout: 60_000 });
    await page.waitForFunction(() => 'softadastraBench' in globalThis, undefined, { timeout: 60_000 });
    return page;
  }

  async call<M extends Method>(page: Page, method: M, ...args: Params<M>): Promise<Result<M>> {
    const result = (await page.evaluate(
      ([name, values]) => (globalThis as unknown as { softadastraBench: Record<string, (...a: unknown[]) => unknown> }).softadastraBench[name]!(...values),
      [method, args] as [string, unknown[]],
    )) as Result<M>;
    if (this.problems.length > 0) throw new Error(`the page reported: ${this.problems.splice(0).join('; ')}`);
    return result;
  }

  /** Opens a fresh page, calls `method`, closes the page. */
  async once<M extends Method>(method: M, ...args: Params<M>): Promise<Result<M>> {
    const page = await this.open();
    try {
      return await this.call(page, method, ...args);
    } finally {
      await page.close();
    }
  }
}

// ── results ─────────────────────────────────────────────────────────────────

interface Row {
  readonly scenario: Scenario;
  readonly id: string;
  readonly label: string;
  readonly notes: string;
  readonly samples: Array<Record<string, number>>;
  median: Record<string, number>;
  error?: string;
}

const rows: Row[] = [];

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function medians(samples: ReadonlyArray<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  const first = samples[0];
  if (first === undefined) return out;
  for (const key of Object.keys(first)) out[key] = median(samples.map((s) => s[key]!));
  return out;
}

function row(scenario: Scenario, id: string, label: string, notes: string): Row {
  const r: Row = { scenario, id, label, notes, samples: [], median: {} };
  rows.push(r);
  return r;
}

async function sample(target: Row, measure: () => Promise<Record<string, number>>): Promise<void> {
  if (target.error !== undefined) return;
  try {
    const metrics = await measure();
    target.samples.push(metrics);
    target.median = medians(target.samples);
    console.log(`  ${target.scenario} ${target.id}: ${Object.entries(metrics).map(([k, v]) => `${k}=${format(v)}`).join(' ')}`);
  } catch (error) {
    target.error = firstLine(error);
    console.log(`  ${target.scenario} ${target.id}: FAILED ${target.error}`);
  }
}

/** An error's message without the page's stack (playwright appends it), for the table. */
function firstLine(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (text.split('\n')[0] ?? text).replace(/^page\.evaluate: /, '').replaceAll('|', '/');
}

function format(value: number): string {
  if (!Number.isFinite(value)) return '—';
  if (Number.isInteger(value)) return value.toLocaleString('en-US');
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}

const ratio = (ours: number | undefined, theirs: number | undefined): string =>
  ours === undefined || theirs === undefined || !(theirs > 0) ? '—' : `${(ours / theirs).toFixed(ours / theirs < 0.1 ? 3 : 2)}×`;

// ── scenarios ───────────────────────────────────────────────────────────────

const runTag = Date.now().toString(36);
let tagCount = 0;
const tag = (): string => `${runTag}-${tagCount++}`;

async function runW1(pages: Pages): Promise<void> {
  const { ops, keys, batch } = plan.w1;
  console.log(`W1: ${ops.toLocaleString('en-US')} sets over ${keys.toLocaleString('en-US')} keys, a commit every ${batch}, then a full sync to a fresh peer (${runs} run(s))`);
  const ours = row('w1', 'ours', 'Softadastra engine + wal-indexeddb, sync over transport-broadcast', 'createSyncEngine + createIndexedDbWal (strict durability per group commit, default compaction); puts awaited per commit of 1,000; sync to a fresh engine on its own empty database over createBroadcastHub (both hubs in one page, one BroadcastChannel name), until B\'s durable version vector covers A\'s.');
  const yjs = row('w1', 'yjs', 'Yjs 13.6.33 + y-indexeddb 9.0.12, sync over BroadcastChannel', 'Y.Map sets, one transact() per 1,000 (one y-indexeddb transaction each); the write phase ends when a strict fence transaction queued after them completes. Sync: B\'s state vector → A\'s encodeStateAsUpdate → B\'s applyUpdate (y-indexeddb stores it), each over a BroadcastChannel in the same page; ends when B\'s strict fence completes.');
  for (let run = 0; run < runs; run++) {
    // Alternate who goes first, so a drift in the machine's load does not favour one side.
    const order = run % 2 === 0 ? [ours, yjs] : [yjs, ours];
    for (const target of order) {
      await sample(target, async () => ({ ...(await pages.once(target === ours ? 'bulkOurs' : 'bulkYjs', { ops, keys, batch, tag: tag() })) }));
    }
  }
}

async function runReopen(pages: Pages): Promise<void> {
  const { keys, batch } = plan.reopen;
  console.log(`Reopen: a peer holding ${keys.toLocaleString('en-US')} keys (written in commits of ${batch}), reopened in a fresh page (${runs} run(s))`);
  const ours = row('reopen', 'ours', 'Softadastra engine + wal-indexeddb', 'createSyncEngine({ wal: createIndexedDbWal({ name }) }) until it resolves: the WAL read (snapshot + records) and the engine\'s replay (state, version vector, clock, next seq).');
  const yjs = row('reopen', 'yjs', 'Yjs 13.6.33 + y-indexeddb 9.0.12', 'new Y.Doc() + new IndexeddbPersistence(name, doc) until whenSynced: every stored update read and applied.');
  const names = { ours: `reopen-ours-${tag()}`, yjs: `reopen-yjs-${tag()}` };
  const setup: Record<string, number> = {};
  try {
    setup.oursWriteMs = (await pages.once('reopenSetupOurs', { keys, batch, name: names.ours })).writeMs;
    setup.yjsWriteMs = (await pages.once('reopenSetupYjs', { keys, batch, name: names.yjs })).writeMs;
    console.log(`  setup: ours ${format(setup.oursWriteMs)} ms, yjs ${format(setup.yjsWriteMs)} ms to write`);
  } catch (error) {
    ours.error = yjs.error = `setup failed: ${firstLine(error)}`;
    return;
  }
  for (let run = 0; run < runs; run++) {
    const order = run % 2 === 0 ? [ours, yjs] : [yjs, ours];
    for (const target of order) {
      await sample(target, async () => ({ ...(await pages.once(target === ours ? 'reopenOurs' : 'reopenYjs', { keys, batch, name: target === ours ? names.ours : names.yjs })) }));
    }
  }
}

/** Runs `tabs` tabs at once, each writing for the duration; sums their writes. */
async function writesInTabs(pages: Pages, tabs: number, method: 'writesOurs' | 'writesYjs', extra: { storage: TabStorage } | { fence: 'strict' | 'default' }): Promise<Record<string, number>> {
  const { durationMs, keys } = plan.writes;
  const opened = await Promise.all(Array.from({ length: tabs }, () => pages.open()));
  try {
    const t = tag();
    const startAt = Date.now() + 1_500;
    const results: WritesResult[] = await Promise.all(
      opened.map((page, tab) => (method === 'writesOurs' ? pages.call(page, method, { tab, startAt, durationMs, keys, tag: t, ...(extra as { storage: TabStorage }) }) : pages.call(page, method, { tab, startAt, durationMs, keys, tag: t, ...(extra as { fence: 'strict' | 'default' }) }))),
    );
    const writes = results.reduce((sum, r) => sum + r.writes, 0);
    const started = Math.min(...results.map((r) => r.startedAt));
    const ended = Math.max(...results.map((r) => r.endedAt));
    const out: Record<string, number> = {
      writes,
      writesPerSecond: (writes / (ended - started)) * 1000,
      p50Ms: median(results.map((r) => r.p50Ms)),
      p99Ms: Math.max(...results.map((r) => r.p99Ms)),
      startSpreadMs: Math.max(...results.map((r) => r.startedAt)) - started,
    };
    results.forEach((r, i) => (out[`tab${i}WritesPerSecond`] = (r.writes / r.ms) * 1000));
    return out;
  } finally {
    await Promise.all(opened.map((page) => page.close()));
  }
}

async function runWrites(pages: Pages): Promise<void> {
  const { durationMs, keys } = plan.writes;
  const own = {
    id: 'ours',
    label: 'Softadastra SDK, each tab its own peer and database',
    notes: 'createPeer({ storage: { indexeddb: one name per tab } }) (each tab leads its own peer); await items.put(key, value) — one strict IndexedDB transaction per write (nothing else in flight to share a group commit with).',
    method: 'writesOurs' as const,
    extra: { storage: 'own' as TabStorage },
    tabs: [1, 3],
  };
  const shared = {
    id: 'ours-shared',
    label: 'Softadastra SDK, the tabs share one peer (same indexeddb name)',
    notes: 'createPeer({ storage: { indexeddb: SAME } }) in every tab: one leads (WAL, engine), the others write through it over BroadcastChannel; each put resolves once durable in the leader\'s strict transaction and seen by the writing tab.',
    method: 'writesOurs' as const,
    extra: { storage: 'shared' as TabStorage },
    tabs: [3],
  };
  console.log(`Durable writes: each awaited before the next, for ${durationMs} ms, over ${keys} keys, from 1 tab and from 3 tabs at once (${runs} run(s))`);
  const contestants = [
    ...(options.tabStorage === 'shared' ? [{ ...shared, tabs: [1, 3] }] : [own, shared]),
    {
      id: 'yjs-strict',
      label: 'Yjs + y-indexeddb, each write flushed (strict fence)',
      notes: 'map.set(key, value) (one y-indexeddb transaction), then a strict fence transaction queued after it, awaited; each tab its own doc and database.',
      method: 'writesYjs' as const,
      extra: { fence: 'strict' as const },
      tabs: [1, 3],
    },
    {
      id: 'yjs-default',
      label: 'Yjs + y-indexeddb as shipped (committed, relaxed: not flushed)',
      notes: 'As the strict row, with a fence of default durability (relaxed in Chromium ≥ 121): the write is committed to the browser\'s store, not flushed to disk. Not durable against an OS crash or power cut: shown for what y-indexeddb does by default.',
      method: 'writesYjs' as const,
      extra: { fence: 'default' as const },
      tabs: [1, 3],
    },
  ];
  for (const tabs of [1, 3]) {
    const targets = contestants.filter((c) => c.tabs.includes(tabs)).map((c) => ({ c, row: row('writes', `${c.id}-${tabs}tab`, `${c.label}, ${tabs} tab${tabs > 1 ? 's' : ''}`, c.notes) }));
    for (let run = 0; run < runs; run++) {
      const order = run % 2 === 0 ? targets : [...targets].reverse();
      for (const { c, row: target } of order) await sample(target, () => writesInTabs(pages, tabs, c.method, c.extra));
    }
  }
}

// ── counting the browser's disk flushes (a verification pass, not timed) ───────

/** Every process below `root` (Chromium and its helpers, started by playwright). */
function descendants(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // The process ended meanwhile.
    }
  }
  const out: number[] = [];
  const queue = [...(children.get(root) ?? [])];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    out.push(pid);
    queue.push(...(children.get(pid) ?? []));
  }
  return out;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Counts the fsync/fdatasync calls every Chromium process makes while `work` runs (strace attached to all of them). */
async function countFlushes<T>(work: () => Promise<T>): Promise<{ result: T; flushes: number }> {
  const pids = descendants(process.pid);
  const dir = mkdtempSync(join(tmpdir(), 'softadastra-bench-strace-'));
  const out = join(dir, 'trace.txt');
  const strace = spawn('strace', ['-f', '-qq', '-e', 'trace=fsync,fdatasync', '-o', out, ...pids.flatMap((pid) => ['-p', String(pid)])], { stdio: 'ignore' });
  try {
    await sleep(1_500); // attached to every thread
    const result = await work();
    await sleep(300);
    strace.kill('SIGINT');
    await once(strace, 'exit');
    const flushes = readFileSync(out, 'utf8').split('\n').filter((line) => /\b(fsync|fdatasync)\(/.test(line)).length;
    return { result, flushes };
  } finally {
    if (strace.exitCode === null) strace.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}

interface FlushCheck {
  readonly id: string;
  readonly label: string;
  readonly writes: number;
  readonly flushes: number;
  error?: string;
}

const flushChecks: FlushCheck[] = [];

/**
 * How we know the awaited writes reached the disk: strace counts the
 * browser's fsync/fdatasync calls while one tab writes for 2 s, for each
 * contestant of the writes scenario, and with nothing written (the
 * baseline). Under strace the browser is slower: these counts are not
 * throughput numbers.
 */
async function runFlushCheck(pages: Pages): Promise<void> {
  if (versionOf('strace') === undefined) {
    console.log('Flush check: skipped (no strace)');
    return;
  }
  console.log('Flush check: fsync/fdatasync calls of every Chromium process (strace) while one tab writes for 2 s');
  const durationMs = 2_000;
  const idle = await countFlushes(() => sleep(durationMs));
  flushChecks.push({ id: 'idle', label: 'nothing written (baseline, 2 s)', writes: 0, flushes: idle.flushes });
  const cases = [
    { id: 'ours', label: 'Softadastra SDK, await put', method: 'writesOurs' as const, extra: { storage: 'own' as const } },
    { id: 'yjs-strict', label: 'Yjs + y-indexeddb, strict fence after each set', method: 'writesYjs' as const, extra: { fence: 'strict' as const } },
    { id: 'yjs-default', label: 'Yjs + y-indexeddb as shipped (default-durability fence)', method: 'writesYjs' as const, extra: { fence: 'default' as const } },
  ];
  for (const c of cases) {
    const page = await pages.open();
    try {
      const params = { tab: 0, startAt: 0, durationMs, keys: plan.writes.keys, tag: tag() };
      const { result, flushes } = await countFlushes(() => (c.method === 'writesOurs' ? pages.call(page, c.method, { ...params, ...c.extra }) : pages.call(page, c.method, { ...params, ...c.extra })));
      flushChecks.push({ id: c.id, label: c.label, writes: result.writes, flushes });
      console.log(`  ${c.id}: ${result.writes} writes, ${flushes} flushes`);
    } catch (error) {
      flushChecks.push({ id: c.id, label: c.label, writes: 0, flushes: 0, error: firstLine(error) });
      console.log(`  ${c.id}: FAILED ${flushChecks.at(-1)?.error}`);
    } finally {
      await page.close();
    }
  }
}

// ── the report ──────────────────────────────────────────────────────────────

function find(scenario: Scenario, id: string): Row | undefined {
  return rows.find((r) => r.scenario === scenario && r.id === id);
}

function cell(r: Row | undefined, key: string): string {
  if (r === undefined) return '—';
  if (r.error !== undefined) return 'failed';
  return format(r.median[key] ?? Number.NaN);
}

function markdown(): string {
  const lines: string[] = [];
  const w1 = [find('w1', 'ours'), find('w1', 'yjs')];
  if (w1[0] !== undefined) {
    lines.push(`W1: ${plan.w1.ops.toLocaleString('en-US')} sets over ${plan.w1.keys.toLocaleString('en-US')} keys, then a full sync to a fresh peer (medians of ${runs}; "×" is ours ÷ Yjs + y-indexeddb, lower is better for us)`, '');
    lines.push('| contestant | write ms | sync ms | end to end ms | write × | sync × | end to end × |', '|---|---:|---:|---:|---:|---:|---:|');
    for (const r of w1) {
      if (r === undefined) continue;
      const y = w1[1];
      const rt = (key: string): string => (r.error !== undefined || y?.error !== undefined ? '—' : ratio(r.median[key], y?.median[key]));
      lines.push(`| ${r.label} | ${cell(r, 'writeMs')} | ${cell(r, 'syncMs')} | ${cell(r, 'totalMs')} | ${rt('writeMs')} | ${rt('syncMs')} | ${rt('totalMs')} |${r.error ? ` ${r.error} |` : ''}`);
    }
    lines.push('');
  }
  const reopen = [find('reopen', 'ours'), find('reopen', 'yjs')];
  if (reopen[0] !== undefined) {
    lines.push(`Reopen a peer holding ${plan.reopen.keys.toLocaleString('en-US')} keys (medians of ${runs})`, '');
    lines.push('| contestant | reopen ms | × | rows in the store |', '|---|---:|---:|---:|');
    for (const r of reopen) {
      if (r === undefined) continue;
      const y = reopen[1];
      lines.push(`| ${r.label} | ${cell(r, 'reopenMs')} | ${r.error !== undefined || y?.error !== undefined ? '—' : ratio(r.median.reopenMs, y?.median.reopenMs)} | ${cell(r, 'rows')} |${r.error ? ` ${r.error} |` : ''}`);
    }
    lines.push('');
  }
  const writeRows = rows.filter((r) => r.scenario === 'writes');
  if (writeRows.length > 0) {
    lines.push(`Durable writes per second, each awaited before the next (${plan.writes.durationMs / 1000} s, medians of ${runs}; "×" is ours ÷ the strict Yjs row, higher is better for us)`, '');
    lines.push('| contestant | writes/s | × | p50 ms | p99 ms |', '|---|---:|---:|---:|---:|');
    for (const r of writeRows) {
      const tabs = r.id.endsWith('3tab') ? '3tab' : '1tab';
      const y = find('writes', `yjs-strict-${tabs}`);
      const x = r.error !== undefined || y?.error !== undefined ? '—' : ratio(r.median.writesPerSecond, y?.median.writesPerSecond);
      const perTab = tabs === '3tab' && r.error === undefined ? ` (per tab ${[0, 1, 2].map((i) => format(r.median[`tab${i}WritesPerSecond`] ?? Number.NaN)).join(' / ')})` : '';
      lines.push(`| ${r.label} | ${cell(r, 'writesPerSecond')}${perTab} | ${x} | ${cell(r, 'p50Ms')} | ${cell(r, 'p99Ms')} |${r.error ? ` ${r.error} |` : ''}`);
    }
    lines.push('');
  }
  if (flushChecks.length > 0) {
    lines.push('Flush check: fsync/fdatasync calls of all Chromium processes (strace, not timed) while one tab writes for 2 s', '');
    lines.push('| case | writes | flushes | flushes per write |', '|---|---:|---:|---:|');
    for (const c of flushChecks) lines.push(`| ${c.label} | ${c.error ? 'failed' : format(c.writes)} | ${c.error ? c.error : format(c.flushes)} | ${c.writes > 0 ? format(c.flushes / c.writes) : '—'} |`);
    lines.push('');
  }
  return lines.join('\n');
}

function versionOf(executable: string): string | undefined {
  try {
    return execFileSync(executable, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

// ── main ────────────────────────────────────────────────────────────────────

async function main(): Promise<number> {
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: install it (apt-get install -y chromium) or set CHROMIUM_PATH`);
  const started = performance.now();
  const loadBefore = loadavg();
  const script = await bundlePage();
  const { server, origin } = await serve(script);
  const profile = mkdtempSync(join(tmpdir(), 'softadastra-bench-browser-'));
  let context: BrowserContext | undefined;
  let userAgent: string;
  let isolated: boolean;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
      timeout: 60_000,
    });
    const pages = new Pages(context, origin);
    const probe = await pages.open();
    const environment = await pages.call(probe, 'environment');
    await probe.close();
    userAgent = environment.userAgent;
    isolated = environment.crossOriginIsolated;
    console.log(`${userAgent} (cross-origin isolated: ${isolated})\nprofile on disk: ${profile}`);
    if (options.only.includes('w1')) await runW1(pages);
    if (options.only.includes('reopen')) await runReopen(pages);
    if (options.only.includes('writes')) await runWrites(pages);
    if (options.only.includes('syncs')) await runFlushCheck(pages);
  } finally {
    await context?.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(profile, { recursive: true, force: true });
  }
  const table = markdown();
  console.log(`\n${table}`);
  const chromiumVersion = versionOf(chromiumPath) ?? userAgent;
  const report = {
    command: `pnpm --filter @softadastra/bench browser${process.argv.slice(2).length > 0 ? ` ${process.argv.slice(2).join(' ')}` : ''}`,
    date: new Date().toISOString(),
    machine: `${cpus()[0]?.model ?? 'unknown CPU'}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Linux ${release()}`,
    loadAverage: { before: loadBefore, after: loadavg() },
    node: process.version,
    chromium: chromiumVersion,
    userAgent,
    crossOriginIsolated: isolated,
    plan: { ...plan, runs, tabStorage: options.tabStorage, quick: options.quick },
    seconds: (performance.now() - started) / 1000,
    rows,
    flushChecks,
    markdown: table,
  };
  const dir = options.quick ? join(BENCH_DIR, 'results', 'quick') : join(BENCH_DIR, 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'browser.json');
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`wrote ${file} (${format(report.seconds)} s)`);
  const failed = [...rows, ...flushChecks.map((c) => ({ ...c, scenario: 'syncs' }))].filter((r) => r.error !== undefined);
  if (failed.length > 0) {
    console.error(`${failed.length} row(s) failed: ${failed.map((r) => `${r.scenario} ${r.id}`).join(', ')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

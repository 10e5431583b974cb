/**
 * Relay benchmark (issue 6): one relay process (the default SQLite storage,
 * `synchronous=FULL`, so its fsyncs are real) and client engines (in-memory
 * WAL, one WebSocket each): for the throughput phase in client-host processes
 * (BENCH_RELAY_CLIENT_PROCS, default 1: on 2 cores a second one only competes
 * for them; 0 runs them here), for the other phases in this process. Measures
 *
 * 1. sustained throughput with 1, 10 and 100 writing clients: each client
 *    keeps WINDOW puts that the relay has not acknowledged yet in flight; after
 *    a warm-up, counts the operations the relay acknowledged per second, and
 *    the operations every other client holds per second;
 * 2. fan-out latency, p50 / p99, from a put to the moment every listening
 *    client (10, then 100) has it, at 20 writes/s (light load);
 * 3. the relay's memory per idle connection: RSS (/proc/PID/status) and JS
 *    heap (after a full GC) before and after 1,000 idle clients connect.
 *
 * For each phase it also reads how busy the relay and client processes were
 * (CPU time, event-loop utilisation, time waiting for a core), to tell which
 * one limits.
 * Prints a markdown table.
 *
 * Run: `pnpm --filter @softadastra/bench relay`
 * Environment: BENCH_RELAY_CLIENTS (1,10,100), BENCH_RELAY_WINDOW (100),
 * BENCH_RELAY_WARMUP_MS (2000), BENCH_RELAY_MS (8000), BENCH_RELAY_LISTENERS
 * (10,100), BENCH_RELAY_LATENCY_MS (12000), BENCH_RELAY_IDLE (1000),
 * BENCH_RELAY_ONLY (throughput,latency,memory), BENCH_RELAY_CPU_PROF (a
 * directory: the relay and client processes run with --cpu-prof and write
 * their profiles there), BENCH_RELAY_CLIENT_PROCS (1). The relay's
 * per-connection limits are raised (see relay/server.ts).
 */
import { availableParallelism, cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import type { SyncEngine } from '@softadastra/sync-engine';
import { closeAll, eventually, openClients, peerIds, processDelta, readProcess, sleep, type Busy } from './relay/clients.js';
import { hostGroup, localGroup, split, type Group } from './relay/groups.js';
import { relayDelta, startRelayProcess, type RelayDelta, type RelayProcess } from './relay/relay-process.js';
import type { GroupSample } from './relay/writers.js';

const list = (name: string, fallback: string): number[] => (process.env[name] ?? fallback).split(',').map(Number);
const CLIENTS = list('BENCH_RELAY_CLIENTS', '1,10,100');
const WINDOW = Number(process.env['BENCH_RELAY_WINDOW'] ?? 100);
const WARMUP_MS = Number(process.env['BENCH_RELAY_WARMUP_MS'] ?? 2_000);
const MEASURE_MS = Number(process.env['BENCH_RELAY_MS'] ?? 8_000);
const LISTENERS = list('BENCH_RELAY_LISTENERS', '10,100');
const LATENCY_MS = Number(process.env['BENCH_RELAY_LATENCY_MS'] ?? 12_000);
const WRITES_PER_SECOND = 20;
const IDLE = Number(process.env['BENCH_RELAY_IDLE'] ?? 1_000);
const ONLY = new Set((process.env['BENCH_RELAY_ONLY'] ?? 'throughput,latency,memory').split(','));
const CPU_PROF = process.env['BENCH_RELAY_CPU_PROF'];
/** Client-host processes for the throughput phase; 0 runs the clients in this process. */
const PROCS = Number(process.env['BENCH_RELAY_CLIENT_PROCS'] ?? 1);

/** A row of the table. */
interface Row {
  readonly measure: string;
  readonly result: string;
  readonly relay: string;
  readonly clients: string;
}
const rows: Row[] = [];

const fmt = (n: number): string => Math.round(n).toLocaleString('en');
const pct = (n: number): string => `${Math.round(n * 100)} %`;
const busy = ({ cpu, elu, wait }: Busy): string => `CPU ${pct(cpu)}, loop busy ${pct(elu)}, waiting for a core ${pct(wait)}`;
const log = (line: string): void => console.error(line);

async function withRelay<T>(run: (relay: RelayProcess) => Promise<T>): Promise<T> {
  const relay = await startRelayProcess({ cpuProfDir: CPU_PROF });
  try {
    return await run(relay);
  } finally {
    await relay.stop();
  }
}

/** CPU time / wall time and event-loop utilisation of a process between two group samples. */
function hostDelta(a: GroupSample, b: GroupSample): Busy {
  const seconds = (b.at - a.at) / 1000;
  const active = b.elu.active - a.elu.active;
  const idle = b.elu.idle - a.elu.idle;
  return { cpu: (b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system) / 1e6 / seconds, elu: active / (active + idle), wait: (b.sched.wait - a.sched.wait) / 1000 / seconds };
}

/**
 * Rates over the measured interval, each client process's over its own
 * interval (a busy process answers a sample request late: its timestamps,
 * not the request's, count). Delivered to all: for each writer, the slowest
 * process's rate of its operations reaching every client of that process.
 */
function rates(hosts0: readonly GroupSample[], hosts1: readonly GroupSample[]): { acked: number; deliveredToAll: number; deliveries: number; wire: number; resent: number } {
  const perHost = (field: 'acked' | 'deliveries' | 'wireOps' | 'resentOps'): number =>
    hosts0.reduce((total, a, h) => total + (hosts1[h]![field] - a[field]) / ((hosts1[h]!.at - a.at) / 1000), 0);
  const writers = hosts0[0]!.least.length;
  let deliveredToAll = 0;
  for (let w = 0; writers > 1 && w < writers; w++) {
    deliveredToAll += Math.min(...hosts0.map((a, h) => (hosts1[h]!.least[w]! - a.least[w]!) / ((hosts1[h]!.at - a.at) / 1000)));
  }
  return { acked: perHost('acked'), deliveredToAll, deliveries: perHost('deliveries'), wire: perHost('wireOps'), resent: perHost('resentOps') };
}

/** 1. Sustained throughput with `count` writing clients, spread over `procs` client-host processes (0: in this process). */
async function throughput(count: number, procs: number): Promise<void> {
  await withRelay(async (relay) => {
    const everyone = peerIds('w', count);
    const options = { url: relay.url, space: `throughput-${count}`, everyone, window: WINDOW };
    const groups: Group[] =
      procs === 0 ? [await localGroup({ ...options, peers: everyone })] : await Promise.all(split(everyone, procs).map((peers) => hostGroup({ ...options, peers }, CPU_PROF)));
    const rssAtStart = await relay.procStatus();
    for (const group of groups) group.start();
    await sleep(WARMUP_MS);
    const [relay0, hosts0] = await Promise.all([relay.sample(), Promise.all(groups.map((g) => g.sample()))]);
    await sleep(MEASURE_MS);
    const asked = performance.timeOrigin + performance.now();
    const [relay1, hosts1, rssAtEnd] = await Promise.all([relay.sample(), Promise.all(groups.map((g) => g.sample())), relay.procStatus()]);
    for (const group of groups) group.stop();
    const lags = hosts1.map((h) => (h.at - asked) / 1000);
    const r = relayDelta(relay0, relay1);
    const used = hosts0.map((a, i) => hostDelta(a, hosts1[i]!));
    const clients = used.map(busy).join('; ');
    const rate = rates(hosts0, hosts1);
    const [ackedRate, allRate, deliveryRate] = [rate.acked, rate.deliveredToAll, rate.deliveries];
    const issued = hosts1.reduce((total, h) => total + h.issued, 0);
    const acked = hosts1.reduce((total, h) => total + h.acked, 0);
    const everywhere = hosts1[0]!.least.reduce((total, _, w) => total + Math.min(...hosts1.map((h) => h.least[w]!)), 0);
    const where = procs === 0 ? 'in the benchmark process' : `in ${groups.length} client process${groups.length > 1 ? 'es' : ''}`;
    log(
      `${count} client(s) ${where}: acked ${fmt(ackedRate)} ops/s, delivered to all ${fmt(allRate)} ops/s, ` +
        `deliveries (op × receiver) ${fmt(deliveryRate)}/s, ops received over the wire ${fmt(rate.wire)}/s of which resent ${fmt(rate.resent)}/s; relay: ops in ${fmt(r.opsIn / r.seconds)}/s, out ${fmt(r.opsOut / r.seconds)}/s, ` +
        `${fmt(r.bytesOut / r.seconds / 1024)} KiB/s out, ${fmt(r.appends / r.seconds)} WAL appends/s of ${r.appendMs.toFixed(2)} ms mean, ` +
        `${fmt(ackedRate / Math.max(1, r.appends / r.seconds))} acked ops per append, RSS ${fmt(rssAtStart.rss / 2 ** 20)} → ${fmt(rssAtEnd.rss / 2 ** 20)} MiB; relay ${busy(r)}; clients ${clients}; ` +
        `at the end: ${fmt(issued - acked)} unacked, ${fmt(count > 1 ? acked - everywhere : 0)} acked but not yet at every client, ` +
        `client processes answered ${lags.map((lag) => lag.toFixed(1)).join(', ')} s late`,
    );
    const label = `${count} client${count > 1 ? 's' : ''}`;
    rows.push({ measure: `ops/s acknowledged by the relay, ${label}`, result: fmt(ackedRate), relay: busy(r), clients: `${clients} (${where})` });
    if (count > 1) {
      rows.push({ measure: `ops/s delivered to all ${count - 1} other clients, ${label} (deliveries/s)`, result: `${fmt(allRate)} (${fmt(deliveryRate)})`, relay: '″', clients: '″' });
    }
    await Promise.all(groups.map((g) => g.close()));
  });
}

function describeBusy(r: RelayDelta, c: Busy): string {
  return `relay ${busy(r)}, clients' process ${busy(c)}`;
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

/** 2. Fan-out latency to `count` listening clients at 20 writes/s. */
async function latency(count: number): Promise<void> {
  await withRelay(async (relay) => {
    const space = `latency-${count}`;
    const [writer] = await openClients(relay.url, space, ['writer']);
    const listeners = await openClients(relay.url, space, peerIds('l', count));
    const waiting = new Map<number, { sent: number; remaining: number; first: number }>();
    const all: number[] = [];
    const first: number[] = [];
    const warmup = WRITES_PER_SECOND; // the first second's writes are not counted
    for (const listener of listeners) {
      listener.on('change', (changes) => {
        const now = performance.now();
        for (const change of changes) {
          if (change.source !== 'remote' || change.collection !== 'latency') continue;
          const n = (change.value as { n: number }).n;
          const entry = waiting.get(n);
          if (entry === undefined) continue;
          if (entry.remaining === count) entry.first = now - entry.sent;
          if (--entry.remaining === 0) {
            waiting.delete(n);
            if (n >= warmup) {
              all.push(now - entry.sent);
              first.push(entry.first);
            }
          }
        }
      });
    }
    const total = Math.round((LATENCY_MS / 1000) * WRITES_PER_SECOND);
    const relay0 = await relay.sample();
    const process0 = readProcess();
    const started = performance.now();
    for (let n = 0; n < total; n++) {
      // On a fixed schedule (no drift): write n at started + n × 50 ms.
      await sleep(Math.max(0, started + (n * 1000) / WRITES_PER_SECOND - performance.now()));
      const sent = performance.now();
      waiting.set(n, { sent, remaining: count, first: NaN });
      writer!.put('latency', `m${n}`, { n, sentAt: sent }).catch(() => undefined);
    }
    await eventually(() => waiting.size === 0, 'every write reached every listener', 10_000).catch(() => undefined);
    const r = relayDelta(relay0, await relay.sample());
    const c = processDelta(process0, readProcess());
    all.sort((a, b) => a - b);
    first.sort((a, b) => a - b);
    log(
      `${count} listeners: ${all.length} writes measured (${waiting.size} never reached everyone); to all: p50 ${percentile(all, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(all, 99).toFixed(2)} ms, max ${(all.at(-1) ?? NaN).toFixed(2)} ms; to the first listener: p50 ${percentile(first, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(first, 99).toFixed(2)} ms; relay WAL append ${r.appendMs.toFixed(2)} ms mean; ${describeBusy(r, c)}`,
    );
    rows.push({
      measure: `fan-out latency to all of ${count} listening clients, p50 / p99 (to the first: p50 / p99)`,
      result: `${percentile(all, 50).toFixed(1)} / ${percentile(all, 99).toFixed(1)} ms (${percentile(first, 50).toFixed(1)} / ${percentile(first, 99).toFixed(1)} ms)`,
      relay: busy(r),
      clients: busy(c),
    });
    await closeAll([writer!, ...listeners]);
  });
}

/** 3. The relay's memory per idle connection. */
async function memory(): Promise<void> {
  await withRelay(async (relay) => {
    const space = 'idle';
    // The space is open (its engine and SQLite database loaded) before the baseline.
    const first = await openClients(relay.url, space, ['first']);
    await sleep(500);
    const before = await relay.sample({ gc: true });
    const rssBefore = await relay.procStatus();
    const opened = performance.now();
    const idle: SyncEngine[] = await openClients(relay.url, space, peerIds('idle', IDLE));
    const openSeconds = (performance.now() - opened) / 1000;
    await sleep(2_000);
    const after = await relay.sample({ gc: true });
    const rssAfter = await relay.procStatus();
    const per = (a: number, b: number): number => (b - a) / IDLE / 1024;
    const rss = per(rssBefore.rss, rssAfter.rss);
    const heap = per(before.stats.memory.heapUsed, after.stats.memory.heapUsed);
    const external = per(before.stats.memory.external, after.stats.memory.external);
    log(
      `${IDLE} idle clients connected in ${openSeconds.toFixed(1)} s; relay RSS ${fmt(rssBefore.rss / 2 ** 20)} → ${fmt(rssAfter.rss / 2 ** 20)} MiB, ` +
        `heap used ${(before.stats.memory.heapUsed / 2 ** 20).toFixed(1)} → ${(after.stats.memory.heapUsed / 2 ** 20).toFixed(1)} MiB, ` +
        `external ${(before.stats.memory.external / 2 ** 20).toFixed(1)} → ${(after.stats.memory.external / 2 ** 20).toFixed(1)} MiB; ` +
        `per connection: RSS ${rss.toFixed(1)} KiB, heap ${heap.toFixed(1)} KiB, external ${external.toFixed(1)} KiB`,
    );
    rows.push({
      measure: `relay memory per idle connection (${fmt(IDLE)} clients): RSS / JS heap`,
      result: `${rss.toFixed(1)} / ${heap.toFixed(1)} KiB`,
      relay: `RSS ${fmt(rssBefore.rss / 2 ** 20)} → ${fmt(rssAfter.rss / 2 ** 20)} MiB`,
      clients: '—',
    });
    await closeAll([...first, ...idle]);
  });
}

const started = performance.now();
const command = 'pnpm --filter @softadastra/bench relay';
log(`$ ${command}`);
log(`machine: ${availableParallelism()} cores (${cpus()[0]?.model.trim() ?? 'unknown CPU'}), Node ${process.version}, ${process.platform} ${process.arch}`);
log(`window ${WINDOW} unacknowledged puts per client, warm-up ${WARMUP_MS} ms, measured ${MEASURE_MS} ms; latency at ${WRITES_PER_SECOND} writes/s for ${LATENCY_MS} ms`);
if (ONLY.has('throughput')) for (const count of CLIENTS) await throughput(count, PROCS);
if (ONLY.has('latency')) for (const count of LISTENERS) await latency(count);
if (ONLY.has('memory')) await memory();

console.log(`Machine: ${availableParallelism()} cores, Node ${process.version}. Command: \`${command}\`. Relay: its own process, SQLite storage (synchronous=FULL); clients: engines with in-memory WALs, one WebSocket each, writers in ${PROCS === 0 ? 'the benchmark process' : `${PROCS} client process(es)`}, listeners and idle clients in the benchmark process.\n`);
console.log('| measure | result | relay process | clients\' process |');
console.log('|---|---:|---|---|');
for (const row of rows) console.log(`| ${row.measure} | ${row.result} | ${row.relay} | ${row.clients} |`);
log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s in all)`);

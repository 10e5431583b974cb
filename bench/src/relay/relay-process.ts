/**
 * Starts the relay under test as a child process (`server.ts`) and reads its
 * resources: memory and CPU from `/proc/<pid>` and over IPC, counters from
 * its `/metrics` endpoint.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { schedstat } from './clients.js';
import type { RelayStats, ToRelay } from './protocol.js';

const SERVER = fileURLToPath(new URL('./server.ts', import.meta.url));

/** A point-in-time reading of the relay process. */
export interface RelaySample {
  /** When the relay took it (`performance.timeOrigin + performance.now()`, ms). */
  readonly at: number;
  readonly stats: RelayStats;
  /** The relay's counters and the WAL append histogram, from `/metrics`. */
  readonly metrics: ReadonlyMap<string, number>;
  /** The relay's main thread: ms on a CPU, ms waiting for one (cumulative, /proc/PID/schedstat). */
  readonly sched: { readonly run: number; readonly wait: number };
}

/** The relay process. */
export interface RelayProcess {
  readonly pid: number;
  /** `ws://127.0.0.1:PORT` */
  readonly url: string;
  /** Memory (after a full GC when `gc`), CPU time, event-loop time and counters. */
  sample(options?: { gc?: boolean }): Promise<RelaySample>;
  /** VmRSS and VmHWM of `/proc/<pid>/status`, in bytes. */
  procStatus(): Promise<{ rss: number; hwm: number }>;
  /** Graceful shutdown; removes the data directory. */
  stop(): Promise<void>;
}

/**
 * Spawns `node --expose-gc --import tsx server.ts DIR` with a fresh data
 * directory; resolves once it listens. `cpuProfDir` adds `--cpu-prof`.
 */
export async function startRelayProcess(options: { cpuProfDir?: string | undefined } = {}): Promise<RelayProcess> {
  const dataDir = await mkdtemp(join(tmpdir(), 'bench-relay-'));
  const args = ['--expose-gc', ...(options.cpuProfDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : []), '--import', 'tsx', '--conditions=@softadastra/source', SERVER, dataDir];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit', 'ipc'] });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /relay listening on (ws:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    child.once('exit', (code) => reject(new Error(`the relay exited with ${String(code)} before listening: ${out}`)));
  });
  const pid = child.pid!;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const waiting = new Map<number, (stats: RelayStats) => void>();
  child.on('message', (message: RelayStats) => {
    waiting.get(message.id)?.(message);
    waiting.delete(message.id);
  });
  let nextId = 1;
  const send = (message: ToRelay): void => void child.send(message);
  const httpUrl = url.replace(/^ws:/, 'http:');

  return {
    pid,
    url,
    async sample({ gc = false } = {}) {
      const id = nextId++;
      const [stats, metrics] = await Promise.all([
        new Promise<RelayStats>((resolve) => {
          waiting.set(id, resolve);
          send({ type: 'stats', id, gc });
        }),
        fetch(`${httpUrl}/metrics`).then((response) => response.text()).then(parseMetrics),
      ]);
      return { at: stats.at, stats, metrics, sched: schedstat(pid) };
    },
    async procStatus() {
      const status = await readFile(`/proc/${pid}/status`, 'utf8');
      const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
      return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
    },
    async stop() {
      send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** `name{labels} value` lines of the Prometheus text format (labels summed away). */
function parseMetrics(text: string): Map<string, number> {
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
    if (!match || match[2]?.includes('le=')) continue;
    values.set(match[1]!, (values.get(match[1]!) ?? 0) + Number(match[3]));
  }
  return values;
}

/** What the relay did between two samples. */
export interface RelayDelta {
  readonly seconds: number;
  /** CPU time / wall time (1 = one core busy). */
  readonly cpu: number;
  /** Event-loop utilisation: the share of time the loop was not idle (JS, and the synchronous SQLite commits). */
  readonly elu: number;
  /** Share of the time the main thread waited for a CPU (runnable, not running). */
  readonly wait: number;
  readonly opsIn: number;
  readonly opsOut: number;
  readonly bytesOut: number;
  /** WAL appends (one SQLite transaction and sync each) and their mean duration, ms. */
  readonly appends: number;
  readonly appendMs: number;
}

export function relayDelta(a: RelaySample, b: RelaySample): RelayDelta {
  const seconds = (b.at - a.at) / 1000;
  const cpuUs = b.stats.cpu.user + b.stats.cpu.system - a.stats.cpu.user - a.stats.cpu.system;
  const active = b.stats.elu.active - a.stats.elu.active;
  const idle = b.stats.elu.idle - a.stats.elu.idle;
  const d = (name: string): number => (b.metrics.get(name) ?? 0) - (a.metrics.get(name) ?? 0);
  const appends = d('relay_wal_append_seconds_count');
  return {
    seconds,
    cpu: cpuUs / 1e6 / seconds,
    elu: active / (active + idle),
    wait: (b.sched.wait - a.sched.wait) / 1000 / seconds,
    opsIn: d('relay_ops_in_total'),
    opsOut: d('relay_ops_out_total'),
    bytesOut: d('relay_bytes_out_total'),
    appends,
    appendMs: appends > 0 ? (d('relay_wal_append_seconds_sum') * 1000) / appends : 0,
  };
}

/**
 * Client peers of the relay benchmark, in the benchmark process: engines
 * with an in-memory WAL, each over its own WebSocket.
 */
import { readFileSync } from 'node:fs';
import { performance, type EventLoopUtilization } from 'node:perf_hooks';
import { readOpsHeader, type PeerId, type VersionVector } from '@softadastra/sync-core';
import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { createWebSocketTransport } from '@softadastra/transport-websocket';
import { createMemoryWal } from '@softadastra/wal-memory';

/** What the clients of this process received over the wire: `ops` messages and the operations in them, duplicates included. */
export const wire = { messages: 0, ops: 0, resentOps: 0 };

/** A client: an engine with an in-memory WAL, dialing `url` for `space`. */
export async function openClient(url: string, space: string, peerId: PeerId): Promise<SyncEngine> {
  const engine = await createSyncEngine({ wal: createMemoryWal(), space, peerId });
  const connection = createWebSocketTransport({ url: `${url}/v1/spaces/${space}`, reconnect: { baseMs: 100, maxMs: 1_000 }, heartbeatMs: 15_000 });
  /** `epoch:n` of the ops messages received: one seen again is a resend. */
  const seen = new Set<string>();
  connection.on('message', (bytes) => {
    const header = readOpsHeader(bytes);
    if (header === undefined) return;
    const { epoch, n, ops } = header;
    wire.messages++;
    wire.ops += ops;
    const id = `${epoch}:${n}`;
    if (seen.has(id)) wire.resentOps += ops;
    else seen.add(id);
  });
  engine.connect(connection);
  return engine;
}

/** Opens a client per peer id, `parallel` at a time, and waits until each is synced. */
export async function openClients(url: string, space: string, peers: readonly PeerId[], parallel = 50): Promise<SyncEngine[]> {
  const engines: SyncEngine[] = [];
  for (let from = 0; from < peers.length; from += parallel) {
    const batch = await Promise.all(peers.slice(from, from + parallel).map((peer) => openClient(url, space, peer)));
    engines.push(...batch);
    await eventually(() => batch.every((engine) => engine.status === 'synced'), `clients ${peers[from]!}… synced`);
  }
  return engines;
}

/** `count` peer ids `${prefix}0` … */
export function peerIds(prefix: string, count: number): PeerId[] {
  return Array.from({ length: count }, (_, i) => `${prefix}${i}`);
}

/** The relay's peer id, as a connected client learnt it from the relay's hello. */
export function relayPeer(engine: SyncEngine): PeerId {
  const peer = engine.sessions()[0]?.remotePeer;
  if (peer === undefined) throw new Error('the client has no session with the relay');
  return peer;
}

/** Closes every client. */
export async function closeAll(engines: readonly SyncEngine[]): Promise<void> {
  await Promise.all(engines.map((engine) => engine.close()));
}

/** Waits until `check` holds, polling every 10 ms. */
export async function eventually(check: () => boolean, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** How many of `origin`'s operations `vv` holds. */
export function heldOf(vv: VersionVector, origin: PeerId): number {
  let count = 0;
  for (const [from, to] of vv.ranges(origin)) count += to - from + 1;
  return count;
}

/** CPU and event-loop use of this (the clients') process between two readings. */
export interface ProcessReading {
  readonly at: number;
  readonly cpu: NodeJS.CpuUsage;
  readonly elu: EventLoopUtilization;
  readonly sched: { readonly run: number; readonly wait: number };
}

export function readProcess(): ProcessReading {
  return { at: performance.now(), cpu: process.cpuUsage(), elu: performance.eventLoopUtilization(), sched: schedstat() };
}

/** Time the main thread of process `pid` ran on a CPU and waited for one (run queue), ms, from /proc/PID/schedstat. */
export function schedstat(pid: number | 'self' = 'self'): { run: number; wait: number } {
  try {
    const [run = 0, wait = 0] = readFileSync(`/proc/${pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { run: run / 1e6, wait: wait / 1e6 };
  } catch {
    return { run: NaN, wait: NaN };
  }
}

/** CPU time / wall time, event-loop utilisation and the share of time spent waiting for a CPU, between two readings. */
export interface Busy {
  readonly cpu: number;
  readonly elu: number;
  readonly wait: number;
}

export function processDelta(a: ProcessReading, b: ProcessReading): Busy {
  const seconds = (b.at - a.at) / 1000;
  const cpuUs = b.cpu.user + b.cpu.system - a.cpu.user - a.cpu.system;
  return { cpu: cpuUs / 1e6 / seconds, elu: performance.eventLoopUtilization(b.elu, a.elu).utilization, wait: (b.sched.wait - a.sched.wait) / 1000 / seconds };
}

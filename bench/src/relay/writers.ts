/**
 * A group of writing clients for the throughput phase, run in the benchmark
 * process or in a client-host process (`client-host.ts`): each client keeps
 * `window` puts that the relay has not acknowledged in flight, refilled on
 * every acknowledgement from the relay.
 */
import { performance } from 'node:perf_hooks';
import type { PeerId } from '@softadastra/sync-core';
import type { SyncEngine } from '@softadastra/sync-engine';
import { closeAll, heldOf, openClients, relayPeer, schedstat, wire } from './clients.js';

/** What a group reports at a sample. */
export interface GroupSample {
  /** Puts acknowledged by the relay, summed over the group's clients. */
  readonly acked: number;
  /** Puts issued, summed. */
  readonly issued: number;
  /** For each writer of the whole run (by index): the fewest of its operations any other client of this group holds. */
  readonly least: readonly number[];
  /** Operations of other writers held, summed over the group's clients (op × receiver). */
  readonly deliveries: number;
  /** This process: CPU time (µs) and event-loop time (ms), cumulative. */
  readonly cpu: NodeJS.CpuUsage;
  readonly elu: { readonly idle: number; readonly active: number };
  /** This process's main thread: ms on a CPU, ms waiting for one (cumulative). */
  readonly sched: { readonly run: number; readonly wait: number };
  /** Operations received in `ops` messages by this process's clients, duplicates included (cumulative). */
  readonly wireOps: number;
  /** Of those, operations in messages received a second time (resent by the relay). */
  readonly resentOps: number;
  readonly at: number;
}

/** Options of a group: `peers` are its own clients; `everyone` the writers of the whole run. */
export interface GroupOptions {
  readonly url: string;
  readonly space: string;
  readonly peers: readonly PeerId[];
  readonly everyone: readonly PeerId[];
  readonly window: number;
}

/** The writer index of a peer id `w<i>`. */
const indexOf = (peer: PeerId): number => Number(peer.slice(1));

/** The value written by client `i` as its `n`-th put (small JSON, like the engine benchmark's). */
function valueOf(i: number, n: number): { name: string; n: number; by: number; done: boolean } {
  return { name: `item ${n}`, n, by: i, done: n % 3 === 0 };
}

export class WriterGroup {
  readonly #options: GroupOptions;
  readonly #engines: SyncEngine[];
  readonly #issued: number[];
  readonly #acked: number[];
  #writing = false;

  private constructor(options: GroupOptions, engines: SyncEngine[]) {
    this.#options = options;
    this.#engines = engines;
    this.#issued = engines.map(() => 0);
    this.#acked = engines.map(() => 0);
    const relayId = relayPeer(engines[0]!);
    engines.forEach((engine, i) =>
      engine.on('ack', ({ peer, vv }) => {
        if (peer !== relayId) return;
        this.#acked[i] = Math.max(this.#acked[i]!, heldOf(vv, engine.peerId));
        this.#top(i);
      }),
    );
  }

  /** Opens the group's clients (named `w<i>`) and waits until each is synced. */
  static async open(options: GroupOptions): Promise<WriterGroup> {
    const engines = await openClients(options.url, options.space, options.peers);
    return new WriterGroup(options, engines);
  }

  start(): void {
    this.#writing = true;
    for (let i = 0; i < this.#engines.length; i++) this.#top(i);
  }

  stop(): void {
    this.#writing = false;
  }

  sample(): GroupSample {
    const everyone = this.#options.everyone;
    const least = everyone.map(() => Infinity);
    let deliveries = 0;
    for (const engine of this.#engines) {
      const vv = engine.versionVector();
      everyone.forEach((writer, w) => {
        if (writer === engine.peerId) return;
        const held = heldOf(vv, writer);
        least[w] = Math.min(least[w]!, held);
        deliveries += held;
      });
    }
    const elu = performance.eventLoopUtilization();
    return {
      acked: sum(this.#acked),
      issued: sum(this.#issued),
      least,
      deliveries,
      cpu: process.cpuUsage(),
      elu: { idle: elu.idle, active: elu.active },
      sched: schedstat(),
      wireOps: wire.ops,
      resentOps: wire.resentOps,
      at: performance.timeOrigin + performance.now(),
    };
  }

  async close(): Promise<void> {
    this.#writing = false;
    await closeAll(this.#engines);
  }

  #top(i: number): void {
    const engine = this.#engines[i]!;
    const writer = indexOf(engine.peerId);
    while (this.#writing && this.#issued[i]! - this.#acked[i]! < this.#options.window) {
      const n = ++this.#issued[i]!;
      engine.put('items', `w${writer}-${n % 1000}`, valueOf(writer, n)).catch(() => undefined);
    }
  }
}

function sum(values: readonly number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

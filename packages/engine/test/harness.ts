import { setImmediate as nextMacrotask } from 'node:timers/promises';
import {
  createManualClock,
  createSeededRandom,
  decodeMessage,
  encodeMessage,
  type Clock,
  type Connection,
  type ManualClock,
  type SyncMessage,
  type Wal,
  type WalRecord,
} from '@softadastra/sync-core';
import { createMemoryNetwork, type MemoryNetwork, type NetworkFaults } from '@softadastra/transport-memory';
import { createMemoryWal, createMemoryWalStorage, type MemoryWalStorage } from '@softadastra/wal-memory';
import { expect } from 'vitest';
import { createSyncEngine, type ConnectOptions, type SyncEngine, type SyncEngineOptions, type Timing } from '../src/index.js';

/** A peer of a test world: its engine, its disk, and a clock that dies with it. */
export interface TestPeer {
  readonly name: string;
  engine: SyncEngine;
  readonly storage: MemoryWalStorage;
  clock: PeerClock;
  readonly links: Set<Connection>;
}

/** A per-peer view of the world clock: a crash kills its timers, and it can be skewed. */
export interface PeerClock extends Clock {
  dead: boolean;
  skewMs: number;
}

function peerClock(world: ManualClock): PeerClock {
  const clock: PeerClock = {
    dead: false,
    skewMs: 0,
    now: () => world.now() + clock.skewMs,
    setTimeout: (callback, ms) =>
      world.setTimeout(() => {
        if (!clock.dead) callback();
      }, ms),
    clearTimeout: (handle) => world.clearTimeout(handle),
    random: () => world.random(),
  };
  return clock;
}

export const fastTiming: Partial<Timing> = { resendMs: 200, gapMs: 300, maxBackoffMs: 2_000, coveredDelayMs: 20 };

/** A deterministic world of peers on virtual time and a seeded memory network. */
export class World {
  readonly clock: ManualClock;
  readonly network: MemoryNetwork;
  readonly peers = new Map<string, TestPeer>();
  readonly errors: Array<{ peer: string; code: string; message: string }> = [];

  constructor(options: { seed?: number; faults?: NetworkFaults } = {}) {
    const random = createSeededRandom(options.seed ?? 1);
    this.clock = createManualClock({ random: () => random.next() });
    this.network = createMemoryNetwork({ seed: options.seed ?? 1, clock: this.clock, ...options.faults });
  }

  async add(name: string, options: Partial<SyncEngineOptions> = {}): Promise<TestPeer> {
    const storage = createMemoryWalStorage();
    const clock = peerClock(this.clock);
    const engine = await this.#open(name, storage, clock, options);
    const peer: TestPeer = { name, engine, storage, clock, links: new Set() };
    this.peers.set(name, peer);
    return peer;
  }

  async #open(name: string, storage: MemoryWalStorage, clock: PeerClock, options: Partial<SyncEngineOptions>): Promise<SyncEngine> {
    const engine = await createSyncEngine({ wal: createMemoryWal({ storage }), peerId: name, clock, timing: fastTiming, compaction: false, ...options });
    engine.on('error', (error) => this.errors.push({ peer: name, code: error.code, message: error.message }));
    return engine;
  }

  peer(name: string): TestPeer {
    const peer = this.peers.get(name);
    if (peer === undefined) throw new Error(`no peer ${name}`);
    return peer;
  }

  engine(name: string): SyncEngine {
    return this.peer(name).engine;
  }

  link(a: string, b: string): void {
    const [ca, cb] = this.network.connect(a, b);
    this.peer(a).links.add(ca);
    this.peer(b).links.add(cb);
    this.engine(a).connect(ca);
    this.engine(b).connect(cb);
  }

  /** Kills a peer as a crash would: nothing it had not made durable survives, its links drop. */
  crash(name: string): void {
    const peer = this.peer(name);
    peer.clock.dead = true;
    peer.storage.crash();
    for (const link of peer.links) link.close(1006, 'peer crashed');
    peer.links.clear();
  }

  /** Starts a crashed peer again from its storage. */
  async restart(name: string, options: Partial<SyncEngineOptions> = {}): Promise<SyncEngine> {
    const peer = this.peer(name);
    peer.clock = peerClock(this.clock);
    peer.engine = await this.#open(name, peer.storage, peer.clock, options);
    return peer.engine;
  }

  /** Runs timers and microtasks until nothing is left to do (or `maxSteps`). */
  async settle(maxSteps = 100_000): Promise<number> {
    for (let step = 0; step < maxSteps; step++) {
      await nextMacrotask();
      if (!this.clock.runNext()) {
        await nextMacrotask();
        if (!this.clock.runNext()) return step;
      }
    }
    throw new Error(`the world did not settle within ${maxSteps} steps`);
  }

  /** Runs for `ms` of virtual time. */
  async run(ms: number): Promise<void> {
    const until = this.clock.now() + ms;
    for (;;) {
      await nextMacrotask();
      const next = this.clock.nextAt();
      if (next === undefined || next > until) break;
      this.clock.runNext();
    }
    this.clock.advance(until - this.clock.now());
    await nextMacrotask();
  }
}

/** Asserts that every engine holds the same state and vector, and nothing is outstanding. */
export function expectConverged(engines: readonly SyncEngine[]): void {
  const [first, ...rest] = engines;
  if (first === undefined) return;
  const digest = first.digest();
  const vv = first.versionVector();
  for (const engine of rest) {
    expect(engine.digest().root, `digest of ${engine.peerId} vs ${first.peerId}`).toBe(digest.root);
    expect(engine.versionVector().toJSON(), `vector of ${engine.peerId} vs ${first.peerId}`).toEqual(vv.toJSON());
  }
  for (const engine of engines) {
    for (const session of engine.sessions()) expect(session.pendingOps, `pending of ${engine.peerId}`).toBe(0);
  }
}

/** A hand-driven peer speaking the raw protocol to one engine, to play a faulty or hostile peer. */
export class RawPeer {
  readonly connection: Connection;
  readonly messages: SyncMessage[] = [];
  readonly undecodable: Uint8Array[] = [];

  constructor(world: World, name: string, target: string, options?: ConnectOptions) {
    const [mine, theirs] = world.network.connect(name, target);
    this.connection = mine;
    world.engine(target).connect(theirs, options);
    mine.on('message', (bytes) => {
      try {
        this.messages.push(decodeMessage(bytes));
      } catch {
        this.undecodable.push(bytes);
      }
    });
  }

  /** The epoch of the target's latest hello: ops sent to it must carry it. */
  get epoch(): number {
    const hellos = this.messages.filter((m) => m.type === 'hello');
    const last = hellos[hellos.length - 1];
    if (last === undefined) throw new Error('no hello received yet');
    return last.epoch;
  }

  errors(): Array<{ code: string; message: string; opIds?: readonly { origin: string; seq: number }[] }> {
    return this.messages.flatMap((m) => (m.type === 'error' ? [m] : []));
  }

  send(message: SyncMessage): void {
    this.connection.send(encodeMessage(message));
  }
}

/** A memory WAL over `storage` that lists every record appended through it. */
export function listedWal(storage: MemoryWalStorage): { wal: Wal; records: WalRecord[] } {
  const inner = createMemoryWal({ storage });
  const records: WalRecord[] = [];
  const wal: Wal = {
    capabilities: inner.capabilities,
    open: () => inner.open(),
    append: (record) => {
      records.push(record);
      return inner.append(record);
    },
    compact: (snapshot) => inner.compact(snapshot),
    close: () => inner.close(),
  };
  return { wal, records };
}

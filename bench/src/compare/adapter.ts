/**
 * The one interface every contestant of the side-by-side benchmark (issue 8)
 * implements: our engine, the peer libraries and the floors.
 *
 * @remarks
 * A workload only ever talks to an {@link Adapter} and its {@link BenchPeer}s,
 * so every contestant does the same work: the same seeded writes, grouped in
 * the same commits, synced in the same direction, verified the same way.
 * How a contestant turns that into bytes (one update, a conversation of
 * requests and responses, a live session over a transport) is its own
 * business, but every byte it puts on the wire goes through a {@link Meter}.
 */
import type { Meter } from './meter.ts';

/** The value written by every workload: a small JSON object. */
export type Item = { name: string; n: number; done: boolean };

/** A replica's visible state as plain data: key → value. */
export type State = Record<string, Item>;

/**
 * Who a contestant is, for the ratios: `peer` rows are the libraries we
 * compare against (the "best peer" is the best of them), `ours` is our engine,
 * `floor` rows show the cost of the work with no (or minimal) semantics.
 */
export type AdapterFamily = 'ours' | 'peer' | 'floor';

/** One replica under test. */
export interface BenchPeer {
  /** The replica's name, also its peer / actor / client id where the library takes one. */
  readonly name: string;
  /** Writes `value` under `key` as part of the current commit. */
  set(key: string, value: Item): void;
  /**
   * Ends the current commit (a transaction, an Automerge change, a Loro
   * commit, a group of engine puts). Resolves once the writes are applied
   * and, for contestants that have durability, durable.
   */
  commit(): Promise<void>;
  /** Everything the replica holds, as plain objects (for verification only: never timed). */
  readAll(): State;
  /** Releases the replica (files, timers). */
  close(): Promise<void>;
  /** Background errors the replica reported, if it reports any; a row with one is marked failed. */
  readonly errors?: readonly string[];
}

/** A live link from one replica to another (workload W4). */
export interface LiveLink {
  /** Resolves once the receiver has applied `count` commits of the sender since the link opened. */
  whenApplied(count: number): Promise<void>;
  /** Ends the link. */
  close(): Promise<void>;
}

/** A contestant. */
export interface Adapter<P extends BenchPeer = BenchPeer> {
  /** Stable id used on the command line and in results, e.g. `yjs-v1`. */
  readonly id: string;
  /** Human name with the version, for tables. */
  readonly label: string;
  readonly family: AdapterFamily;
  /** How the contestant is driven, and its fairness caveats (printed in RESULTS.md). */
  readonly notes: string;
  /** Makes an empty replica; `index` is unique per replica within a run. */
  createPeer(name: string, index: number): Promise<P>;
  /**
   * Brings `to` up to date with everything `from` holds, over a fresh
   * connection, counting every byte both ways on `meter` (direction
   * `forward` = from → to). Resolves once `to` holds it (durably, where the
   * contestant has durability).
   */
  pull(from: P, to: P, meter: Meter): Promise<void>;
  /** Brings `a` and `b` up to date with each other (workload W3). */
  exchange(a: P, b: P, meter: Meter): Promise<void>;
  /**
   * Opens a live link: from now on each commit of `from` travels to `to` as
   * its own message(s), the way the contestant's live protocol sends it.
   * The bytes of opening the link are counted too; reset the meter after.
   */
  openLive(from: P, to: P, meter: Meter): Promise<LiveLink>;
}

/** `exchange` for contestants whose sync is one-directional: a pull each way. */
export async function pullBothWays<P extends BenchPeer>(adapter: Adapter<P>, a: P, b: P, meter: Meter): Promise<void> {
  await adapter.pull(a, b, meter);
  await adapter.pull(b, a, meter);
}

/** A {@link LiveLink} for contestants that apply each commit synchronously inside `commit()`. */
export function countingLink(close: () => void): LiveLink & { applied(): void } {
  let applied = 0;
  return {
    applied: () => {
      applied++;
    },
    whenApplied: (count) => (applied >= count ? Promise.resolve() : Promise.reject(new Error(`the receiver applied ${applied} commits, expected ${count}`))),
    close: () => {
      close();
      return Promise.resolve();
    },
  };
}

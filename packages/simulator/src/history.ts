import { VersionVector, encodeOperations, opIdKey, type Operation } from '@softadastra/sync-core';
import { expectedState } from './oracle.js';
import { isTypedOp } from './policy-specs.js';
import type { TypedWrite } from './scenario.js';

/** A broken invariant, with what was seen. */
export interface Violation {
  readonly kind:
    | 'equivocation'
    | 'duplicate-append'
    | 'causal'
    | 'vv-backwards'
    | 'wrong-winner'
    | 'liveness'
    | 'unbounded-queue'
    | 'engine-error'
    | 'corruption-accepted'
    | 'hostile-accepted'
    | 'seq-gap'
    | 'wal-lost-record'
    /** A typed key's value is not its policy's specification applied to the operations that survived. */
    | 'wrong-value'
    /** A peer's version vector names an operation no storage ever held durably. */
    | 'phantom-op';
  readonly message: string;
}

/**
 * What the simulation observed, Jepsen-style: every operation that became
 * durable anywhere, every acknowledged write, the version vector each storage
 * reached, and every invariant broken on the way.
 */
export class History {
  /** Every operation durable at some peer, by id. */
  readonly durable = new Map<string, Operation>();
  /** Per operation id, the storages it became durable at and that were not destroyed since. */
  readonly #holders = new Map<string, Set<string>>();
  /** Storages destroyed (a disk that rotted and was replaced). */
  readonly destroyed = new Set<string>();
  /** The encoding of each durable operation, to detect another content under the same id. */
  readonly #contents = new Map<string, string>();
  /** Writes whose put()/delete() resolved, i.e. acknowledged to the application. */
  readonly acked: Operation[] = [];
  /** What each acknowledged typed write meant (by op id): a counter's amount, a set's add or remove… */
  readonly intents = new Map<string, TypedWrite>();
  readonly violations: Violation[] = [];
  /** Places (`collection/key`) of writes that had to be refused, with what was written: nothing may ever appear there. */
  readonly refused = new Map<string, string>();
  /** Per storage, the ids appended durably (to catch an operation written twice). */
  readonly #appended = new Map<string, Set<string>>();
  /** Per storage, everything its WAL acknowledged (appends and compactions that resolved). */
  readonly #walAcked = new Map<string, VersionVector>();
  /** Per storage, the last durable version vector seen (it must never go back). */
  readonly #vectors = new Map<string, VersionVector>();
  writesIssued = 0;

  violate(kind: Violation['kind'], message: string): void {
    if (this.violations.length < 100) this.violations.push({ kind, message });
  }

  /** An operation became durable at `storage` (appended, or found on replay). */
  durableAt(storage: string, op: Operation, replayed: boolean): void {
    const id = opIdKey(op);
    const content = contentOf(op);
    const known = this.#contents.get(id);
    if (known === undefined) {
      this.#contents.set(id, content);
      this.durable.set(id, op);
    } else if (known !== content) {
      this.violate('equivocation', `op id ${id} exists with two contents (seen at ${storage}): a seq was reused`);
    }
    let holders = this.#holders.get(id);
    if (holders === undefined) {
      holders = new Set();
      this.#holders.set(id, holders);
    }
    holders.add(storage);
    let appended = this.#appended.get(storage);
    if (appended === undefined) {
      appended = new Set();
      this.#appended.set(storage, appended);
    }
    if (!replayed && appended.has(id)) this.violate('duplicate-append', `${storage} wrote op ${id} to its WAL twice: an operation was applied twice`);
    appended.add(id);
  }

  /** A WAL acknowledged an append (its operations and covered vector) or a compaction (its vector). */
  walAcknowledged(storage: string, ops: readonly Operation[], covered: VersionVector | undefined): void {
    let acked = this.#walAcked.get(storage);
    if (acked === undefined) {
      acked = new VersionVector();
      this.#walAcked.set(storage, acked);
    }
    for (const op of ops) acked.add(op);
    if (covered !== undefined) acked.merge(covered);
  }

  /** A WAL was opened and gave back `recovered`: it must hold everything the WAL ever acknowledged. */
  walRecovered(storage: string, recovered: VersionVector): void {
    const acked = this.#walAcked.get(storage);
    if (acked === undefined || recovered.dominates(acked)) return;
    const lost = acked.missingFrom(recovered)[0]!;
    this.violate('wal-lost-record', `${storage}'s WAL, reopened, no longer holds ${lost.origin}:${lost.from}..${lost.to}, which it had acknowledged as durable`);
  }

  /** The durable vector of `storage` now; it must hold everything it held before. */
  vector(storage: string, vv: VersionVector): void {
    const previous = this.#vectors.get(storage);
    if (previous !== undefined && !vv.dominates(previous)) {
      const lost = previous.missingFrom(vv)[0]!;
      this.violate('vv-backwards', `${storage}'s version vector went back: it no longer holds ${lost.origin}:${lost.from}..${lost.to}`);
    }
    this.#vectors.set(storage, vv);
  }

  /** Resets from a collection authority seen (each a snapshot taken by a peer away past the GC horizon). */
  resets = 0;

  /**
   * A storage is gone for good (its disk rotted and the peer was replaced by
   * a fresh one): what only it held is lost with it, honestly — it leaves the
   * expectations.
   * @returns how many operations only it held
   */
  destroy(storage: string): number {
    this.destroyed.add(storage);
    let only = 0;
    for (const holders of this.#holders.values()) {
      if (holders.delete(storage) && holders.size === 0) only++;
    }
    return only;
  }

  /** Whether the operation is durable at some storage not destroyed since. */
  survives(op: Operation): boolean {
    return (this.#holders.get(opIdKey(op))?.size ?? 0) > 0;
  }

  /** Every operation some surviving storage accepted durably. */
  *accepted(): IterableIterator<Operation> {
    for (const [id, op] of this.durable) if ((this.#holders.get(id)?.size ?? 0) > 0) yield op;
  }

  /** The winner every peer must hold for each LWW key, from the reference model (oracle.ts); typed keys are checked by typed-check.ts. */
  expectedWinners(): Map<string, Operation> {
    return expectedState([...this.accepted()].filter((op) => !isTypedOp(op)));
  }
}

/** The canonical bytes of an operation, as a string key. @internal */
export function contentOf(op: Operation): string {
  // The canonical bytes of the operation, as a string key.
  return Buffer.from(encodeOperations([op])).toString('base64');
}

import { encodeOperations, opIdKey, type Operation, type VersionVector } from '@softadastra/sync-core';
import { compareOperations } from '@softadastra/sync-reconciler';

/** A broken invariant, with what was seen. */
export interface Violation {
  readonly kind:
    | 'equivocation'
    | 'duplicate-append'
    | 'vv-backwards'
    | 'wrong-winner'
    | 'liveness'
    | 'unbounded-queue'
    | 'engine-error';
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
  /** The encoding of each durable operation, to detect another content under the same id. */
  readonly #contents = new Map<string, string>();
  /** Writes whose put()/delete() resolved, i.e. acknowledged to the application. */
  readonly acked: Operation[] = [];
  readonly violations: Violation[] = [];
  /** Per storage, the ids appended durably (to catch an operation written twice). */
  readonly #appended = new Map<string, Set<string>>();
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
    let appended = this.#appended.get(storage);
    if (appended === undefined) {
      appended = new Set();
      this.#appended.set(storage, appended);
    }
    if (!replayed && appended.has(id)) this.violate('duplicate-append', `${storage} wrote op ${id} to its WAL twice: an operation was applied twice`);
    appended.add(id);
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

  /** The winner every peer must hold for each key: the LWW maximum of every durable operation. */
  expectedWinners(): Map<string, Operation> {
    const winners = new Map<string, Operation>();
    for (const op of this.durable.values()) {
      const place = `${op.collection}/${op.key}`;
      const current = winners.get(place);
      if (current === undefined || compareOperations(op, current) > 0) winners.set(place, op);
    }
    return winners;
  }
}

function contentOf(op: Operation): string {
  // The canonical bytes of the operation, as a string key.
  return Buffer.from(encodeOperations([op])).toString('base64');
}

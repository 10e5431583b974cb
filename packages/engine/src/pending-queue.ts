import { VersionVector, type OpId, type Operation } from '@softadastra/sync-core';

interface PendingMessage {
  readonly n: number;
  ops: readonly Operation[];
  /** ops[0..acked) are acknowledged. */
  acked: number;
}

/**
 * What one session has sent and the remote has not acknowledged yet: the
 * `ops` messages by number, and the last `covered`.
 *
 * @remarks
 * Messages are resent with their original number (so a receiver waiting for
 * message n gets exactly that), until an `ack` vector holds all their
 * operations. Nothing is dropped because of a retry count: only an ack, or an
 * explicit rejection by the remote, removes an operation. Superseded entries
 * need not be resent individually: the receiver accepts them and acks them
 * like any other.
 * @internal
 */
export class PendingQueue {
  readonly #messages = new Map<number, PendingMessage>();
  #covered: { readonly n: number; readonly vv: VersionVector } | undefined;
  #count = 0;
  /** Resend attempts since the last progress (for backoff). */
  attempt = 0;

  /** Operations sent and not yet acknowledged. */
  get size(): number {
    return this.#count;
  }

  /** Whether nothing is waiting for an acknowledgement. */
  get isEmpty(): boolean {
    return this.#count === 0 && this.#covered === undefined;
  }

  /** The operations sent and not yet acknowledged, as a vector (they are resent by number if lost). */
  inFlight(): VersionVector {
    const vv = new VersionVector();
    for (const message of this.#messages.values()) for (let i = message.acked; i < message.ops.length; i++) vv.add(message.ops[i]!);
    return vv;
  }

  /** Records an `ops` message just sent. */
  addMessage(n: number, ops: readonly Operation[]): void {
    if (ops.length === 0) return;
    this.#messages.set(n, { n, ops, acked: 0 });
    this.#count += ops.length;
  }

  /** Records a `covered` just sent (replacing the previous one). */
  setCovered(n: number, vv: VersionVector): void {
    this.#covered = { n, vv };
  }

  /**
   * Takes an acknowledgement into account.
   *
   * @returns whether anything was acknowledged that was not before
   */
  ack(vv: VersionVector): boolean {
    let progress = false;
    for (const message of this.#messages.values()) {
      const ops = message.ops;
      let acked = message.acked;
      while (acked < ops.length && vv.has(ops[acked]!)) acked++;
      if (acked !== message.acked) {
        progress = true;
        this.#count -= acked - message.acked;
        message.acked = acked;
        if (acked === ops.length) this.#messages.delete(message.n);
      }
    }
    if (this.#covered !== undefined && vv.dominates(this.#covered.vv)) {
      this.#covered = undefined;
      progress = true;
    }
    if (progress) this.attempt = 0;
    return progress;
  }

  /** Drops operations the remote refused: they will never be acknowledged. */
  reject(ids: readonly OpId[]): void {
    if (ids.length === 0) return;
    const refused = new Set(ids.map((id) => `${id.origin}:${id.seq}`));
    for (const message of [...this.#messages.values()]) {
      const rest = message.ops.slice(message.acked).filter((op) => !refused.has(`${op.origin}:${op.seq}`));
      this.#count -= message.ops.length - message.acked - rest.length;
      if (rest.length === 0) this.#messages.delete(message.n);
      else {
        message.ops = rest;
        message.acked = 0;
      }
    }
  }

  /** The unacknowledged part of every pending message, in number order. */
  unacked(): Array<{ readonly n: number; readonly ops: readonly Operation[] }> {
    return [...this.#messages.values()]
      .sort((a, b) => a.n - b.n)
      .map((message) => ({ n: message.n, ops: message.acked === 0 ? message.ops : message.ops.slice(message.acked) }));
  }

  /** The last `covered` sent, while not acknowledged. */
  get covered(): { readonly n: number; readonly vv: VersionVector } | undefined {
    return this.#covered;
  }

  /** Forgets everything (a new hello re-plans from scratch). */
  clear(): void {
    this.#messages.clear();
    this.#covered = undefined;
    this.#count = 0;
    this.attempt = 0;
  }
}

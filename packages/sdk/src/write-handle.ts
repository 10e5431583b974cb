import type { Operation } from '@softadastra/sync-core';

/**
 * A write on its way: `await` it (or `durable`) for the moment it survives a
 * crash of this peer, `acked` for the moment the relay holds it durably too.
 */
export interface WriteHandle extends PromiseLike<Operation> {
  /** Resolves with the operation once it is in this peer's WAL. */
  readonly durable: Promise<Operation>;
  /**
   * Resolves once a peer (the relay, with the presets) acknowledged holding it durably.
   *
   * @remarks
   * While it is awaited, the process stays alive, relay down or not: offline
   * writes wait for a connection forever. A handle whose `acked` is never
   * read holds nothing.
   */
  readonly acked: Promise<Operation>;
}

/** @internal */
export function writeHandle(durable: Promise<Operation>, ackOf: (op: Operation) => Promise<void>): WriteHandle {
  // Nobody has to listen: a write that is not awaited must not be an unhandled rejection.
  durable.catch(() => undefined);
  // Asked for on first read only: waiting for an ack holds the process (engine.whenAcked), which a
  // write nobody waits on must not do — a script that wrote and is done would never exit.
  let acked: Promise<Operation> | undefined;
  return {
    durable,
    get acked() {
      if (acked === undefined) {
        acked = durable.then(async (op) => {
          await ackOf(op);
          return op;
        });
        acked.catch(() => undefined);
      }
      return acked;
    },
    then: (onFulfilled, onRejected) => durable.then(onFulfilled, onRejected),
  };
}

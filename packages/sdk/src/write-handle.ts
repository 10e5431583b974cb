import type { Operation } from '@softadastra/sync-core';

/**
 * A write on its way: `await` it (or `durable`) for the moment it survives a
 * crash of this peer, `acked` for the moment the relay holds it durably too.
 */
export interface WriteHandle extends PromiseLike<Operation> {
  /** Resolves with the operation once it is in this peer's WAL. */
  readonly durable: Promise<Operation>;
  /** Resolves once a peer (the relay, with the presets) acknowledged holding it durably. */
  readonly acked: Promise<Operation>;
}

/** @internal */
export function writeHandle(durable: Promise<Operation>, ackOf: (op: Operation) => Promise<void>): WriteHandle {
  const acked = durable.then(async (op) => {
    await ackOf(op);
    return op;
  });
  // Nobody has to listen: a write whose acknowledgement is never awaited must not be an unhandled rejection.
  durable.catch(() => undefined);
  acked.catch(() => undefined);
  return {
    durable,
    acked,
    then: (onFulfilled, onRejected) => durable.then(onFulfilled, onRejected),
  };
}

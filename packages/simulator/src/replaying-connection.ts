import { wrapConnection, type Clock, type Connection, type SeededRandom } from '@softadastra/sync-core';

/**
 * Wraps a connection so that, with probability `rate`, a message sent now is
 * sent *again* later — possibly long after, in another session epoch: the
 * "replay of old messages" fault.
 * @internal
 */
export function replayingConnection(inner: Connection, rate: number, clock: Clock, random: SeededRandom): Connection {
  if (rate <= 0) return inner;
  const history: Uint8Array[] = [];
  return wrapConnection(inner, {
    send(bytes, forward) {
      forward(bytes);
      history.push(bytes.slice());
      if (history.length > 64) history.shift();
      if (random.chance(rate)) {
        const old = random.pick(history);
        clock.setTimeout(() => {
          if (inner.state === 'open') forward(old);
        }, random.int(0, 3_000));
      }
    },
  });
}

import type { Clock, Connection, ConnectionEvents, SeededRandom } from '@softadastra/sync-core';

/**
 * Wraps a connection so that, with probability `rate`, a message sent now is
 * sent *again* later — possibly long after, in another session epoch: the
 * "replay of old messages" fault.
 * @internal
 */
export function replayingConnection(inner: Connection, rate: number, clock: Clock, random: SeededRandom): Connection {
  if (rate <= 0) return inner;
  const history: Uint8Array[] = [];
  return {
    get capabilities() {
      return inner.capabilities;
    },
    get state() {
      return inner.state;
    },
    get bufferedAmount() {
      return inner.bufferedAmount;
    },
    send(bytes: Uint8Array): void {
      inner.send(bytes);
      history.push(bytes.slice());
      if (history.length > 64) history.shift();
      if (random.chance(rate)) {
        const old = random.pick(history);
        clock.setTimeout(() => {
          if (inner.state === 'open') inner.send(old);
        }, random.int(0, 3_000));
      }
    },
    on<E extends keyof ConnectionEvents>(event: E, listener: ConnectionEvents[E]): () => void {
      return inner.on(event, listener);
    },
    close(code?: number, reason?: string): void {
      inner.close(code, reason);
    },
  };
}

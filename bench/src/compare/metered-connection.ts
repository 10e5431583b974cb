/**
 * A `Connection` that delegates to another and tells a {@link Meter} about
 * every message sent (by its type byte: hello, ops, covered, ack, error) and
 * the time its peer spends handling each message received.
 */
import { wrapConnection, type Connection } from '@softadastra/sync-core';
import type { Direction, Meter, MessageKind, Role } from './meter.ts';

/** Type byte of a binary message (docs/protocol.md): magic, version, type. */
const HELLO = 1;
const OPS = 2;

/**
 * @param inner - the connection held by this peer
 * @param side - `sender`: the peer holding the data (its sends go `forward`);
 * `receiver`: the peer asking (its sends go `back`, its hellos are the handshake)
 */
export function meteredConnection(inner: Connection, meter: Meter, side: Role): Connection {
  const direction: Direction = side === 'sender' ? 'forward' : 'back';
  return wrapConnection(inner, {
    send(bytes, forward) {
      const type = bytes[2];
      const kind: MessageKind = type === OPS ? 'data' : type === HELLO && side === 'receiver' ? 'handshake' : 'control';
      meter.send(direction, kind, bytes.byteLength);
      forward(bytes);
    },
    receive: (bytes, deliver) => meter.time(side, () => deliver(bytes)),
  });
}

import { wrapConnection, type Connection } from '@softadastra/sync-core';
import { runTransportConformance } from '@softadastra/sync-testing';
import { createMemoryNetwork, type MemoryNetwork } from '../src/index.js';

/** The network of each pair, found from its first end. */
const networks = new WeakMap<Connection, MemoryNetwork>();

// On core's systemClock (real timers), without faults: ordered and reliable.
runTransportConformance('memory', {
  pair: () => {
    const network = createMemoryNetwork();
    const [a, b] = network.connect('a', 'b');
    networks.set(a, network);
    return { a, b };
  },
  interrupt: ({ a }) => {
    // A cut, then a heal: both ends see the link drop, then come back.
    const network = networks.get(a)!;
    network.cut('a', 'b');
    network.heal('a', 'b');
  },
  timeoutMs: 2_000,
});

// The same suite through core's wrapConnection, with taps that scramble what
// each end sends and unscramble what it receives: a wrapper keeps the
// contract (state, events, errors, backpressure, close), and a tap that did
// not run on either side would damage every message.
runTransportConformance('memory, wrapped by wrapConnection', {
  pair: () => {
    const network = createMemoryNetwork();
    const [rawA, rawB] = network.connect('a', 'b');
    const scramble = (bytes: Uint8Array): Uint8Array => bytes.map((byte) => byte ^ 0x5a);
    const tap = (inner: Connection): Connection =>
      wrapConnection(inner, {
        // Anything but bytes goes through as is: the inner connection refuses it.
        send: (bytes, forward) => forward(bytes instanceof Uint8Array ? scramble(bytes) : bytes),
        receive: (bytes, deliver) => deliver(scramble(bytes)),
      });
    const a = tap(rawA);
    networks.set(a, network);
    return { a, b: tap(rawB) };
  },
  interrupt: ({ a }) => {
    const network = networks.get(a)!;
    network.cut('a', 'b');
    network.heal('a', 'b');
  },
  timeoutMs: 2_000,
});

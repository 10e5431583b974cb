import type { Connection } from '@softadastra/sync-core';
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

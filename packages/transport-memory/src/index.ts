/**
 * A seeded in-memory network for tests, demos and the deterministic simulator
 * of Softadastra Sync.
 *
 * @remarks
 * {@link createMemoryNetwork} hands out pairs of core `Connection`s between
 * named nodes. The network can drop, duplicate, reorder, delay and corrupt
 * messages, cut and heal links, partition groups of nodes and block one
 * direction — all drawn from one seed and timed on an injected `Clock`, so a
 * run replays exactly, message for message, at the same virtual times.
 *
 * @packageDocumentation
 */
export { createMemoryNetwork } from './memory-network.js';
export type { MemoryNetwork, MemoryNetworkOptions, NetworkStats } from './memory-network.js';
export type { NetworkFaults } from './network-faults.js';

import type { SimStorage } from './sim-disk.js';

/**
 * Seeds that failed during development, each for a defect since fixed, with
 * the storage they failed on. They run on every commit
 * (test/simulator.test.ts) so the defects stay fixed.
 *
 * - 1: after a WAL failure the engine restarted its sessions' sending side,
 *   which then waited for a hello the remote had no reason to send (liveness).
 * - 6: an operation that arrived already superseded never triggered a fresh
 *   `covered`, so the remote's version vector stayed short of it (divergence).
 * - 20: a replayed old hello made the sender restart its numbering under an
 *   epoch the receiver had left (liveness).
 * - the other memory seeds failed in the same runs, from the same three defects.
 * - 8190 (file): a failed directory fsync left a new segment's entry unsynced;
 *   the reopened file WAL appended to it and a crash lost acknowledged records.
 * - 972 (file): a process killed with its page cache intact, then a power
 *   loss; without open() fsyncing what it read, a peer's vector went back
 *   (it had acked ops a later power loss took away).
 * - 18 (file, causal space): a partial `covered` (a catch-up settles origin
 *   after origin) released an operation whose dependencies were still to
 *   come: a peer showed it before its cause.
 * - 19 (memory, causal space): an operation's dependencies were encoded in
 *   the key order of whichever object the "same as the previous" flag
 *   rebuilt them from: one operation, two encodings (equivocation).
 */
export const REGRESSION_SEEDS: ReadonlyArray<{ readonly seed: number; readonly storage: SimStorage }> = [
  ...[1, 2, 4, 6, 9, 10, 11, 15, 20, 21, 24, 27, 34, 37, 40, 41, 43, 45, 47, 49, 50, 59, 65, 88].map((seed) => ({ seed, storage: 'memory' as const })),
  { seed: 8190, storage: 'file' },
  { seed: 972, storage: 'file' },
  { seed: 18, storage: 'file' },
  { seed: 19, storage: 'memory' },
];

/**
 * Seeds that failed during development, each for a defect since fixed. They
 * run on every commit (test/simulator.test.ts) so the defects stay fixed.
 *
 * - 1: after a WAL failure the engine restarted its sessions' sending side,
 *   which then waited for a hello the remote had no reason to send (liveness).
 * - 6: an operation that arrived already superseded never triggered a fresh
 *   `covered`, so the remote's version vector stayed short of it (divergence).
 * - 20: a replayed old hello made the sender restart its numbering under an
 *   epoch the receiver had left (liveness).
 * - the others failed in the same runs, from the same three defects.
 */
export const REGRESSION_SEEDS: readonly number[] = [1, 2, 4, 6, 9, 10, 11, 15, 20, 21, 24, 27, 34, 37, 40, 41, 43, 45, 47, 49, 50, 59, 65, 88];

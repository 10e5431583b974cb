/**
 * The SIGKILL harness alone (`@softadastra/sync-testing/kill`): light enough
 * to import in a child process that starts a hundred times.
 *
 * @packageDocumentation
 */
export { runKillTest } from './kill-test.js';
export type { KillTestOptions, KillTestReport } from './kill-test.js';
export { runKillChild } from './kill-child.js';
export type { KillChildOptions, KillEngine, KillEngineOptions } from './kill-child.js';
export type { KillAck, KillChildState } from './kill-protocol.js';

/**
 * The relay as a library, for tests and apps that embed it.
 *
 * @packageDocumentation
 */
export { createRelay } from './relay.js';
export type { Relay, RelayLimits, RelayOptions } from './relay.js';
export { signToken, verifyToken } from './token.js';
export type { TokenClaims } from './token.js';
export { runRelayCli, UsageError } from './cli.js';
export { createLogger } from './log.js';
export type { Logger } from './log.js';

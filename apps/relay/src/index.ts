/**
 * The relay as a library, for tests and apps that embed it.
 *
 * @packageDocumentation
 */
export { createRelay } from './relay.js';
export type { Relay, RelayLimits, RelayOptions } from './relay.js';
export type { Authenticate, AuthenticateContext } from './admission.js';
export { JWKS_ALGORITHMS, createTokenVerifier, signToken, verifyToken } from './token.js';
export type { Grant, TokenClaims, TokenRefusal, TokenVerifier, TokenVerifierOptions } from './token.js';
export { callerPath, runRelayCli, UsageError } from './cli.js';
export { REDACTED_PATHS, createLogger, fromPino } from './log.js';
export type { LogLevel, Logger, LoggerOptions } from './log.js';

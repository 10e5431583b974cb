/**
 * The transport's own control messages, carried as WebSocket **text** frames.
 *
 * @remarks
 * Protocol messages always travel as binary frames, so a text frame can never
 * be mistaken for one. Browsers cannot send WebSocket ping frames, hence a
 * heartbeat of our own: each side sends {@link PING} every `heartbeatMs` and
 * answers a {@link PING} with a {@link PONG}. Any other text frame is ignored
 * (it still proves the link is alive), so later versions may add control
 * messages without breaking older peers.
 *
 * @internal
 */

/** Asks the other side to prove it is alive. */
export const PING = 'ping';

/** The answer to {@link PING}. */
export const PONG = 'pong';

/**
 * The `Connection` contract of Softadastra Sync over `BroadcastChannel`:
 * point-to-point connections between tabs (or workers) of one origin.
 *
 * @remarks
 * A {@link createBroadcastHub} joins a channel under a tab id; `listen()`
 * accepts connections, `connect(targetId)` dials one. Frames name both tabs
 * and the connection, so each tab ignores what is not for it; a heartbeat
 * closes a connection whose other tab vanished.
 *
 * @packageDocumentation
 */
export { createBroadcastHub } from './broadcast-hub.js';
export type {
  BroadcastHub,
  BroadcastHubOptions,
  BroadcastHubEvents,
  BroadcastConnection,
  BroadcastChannelLike,
  BroadcastChannelConstructor,
  ChannelMessageEvent,
} from './broadcast-hub.js';

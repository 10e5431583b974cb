import { SyncError, createConnectionListeners, systemClock, wrapConnection, type ClientConnection, type Clock, type Connection, type TokenOption } from '@softadastra/sync-core';
import { createHttpTransport } from '@softadastra/transport-http';
import { createWebSocketTransport } from '@softadastra/transport-websocket';

/** How a peer reaches its relay. */
export type RelayTransport = 'auto' | 'websocket' | 'http';

/** A relay URL, or several tried in turn (a failed connection attempt moves to the next). */
export type RelayOption = string | readonly string[];

/** @internal */
export interface RelayConnectionOptions {
  readonly relay: RelayOption;
  readonly space: string;
  readonly transport: RelayTransport;
  readonly token?: TokenOption;
  readonly clock?: Clock;
  /** With `auto`: switch to HTTP when the WebSocket has not opened after this long. */
  readonly fallbackAfterMs: number;
}

/** The connection to the relay of one space, which can be pointed at another relay while it runs. @internal */
export interface RelayConnection extends Connection {
  /**
   * Points the connection at other relay(s): the current session closes
   * cleanly and a new one starts on the first new relay at once (fresh
   * `hello`: what the new relay lacks is sent, pending writes included).
   *
   * @throws SyncError `E_INVALID_ARGUMENT` for a relay that is not a URL
   */
  setRelay(relay: RelayOption): void;
}

/** The relay's base URLs for a space: WebSocket and HTTP. @internal */
export function relayUrls(relay: string, space: string): { ws: string; http: string } {
  let url: URL;
  try {
    url = new URL(relay);
  } catch (error) {
    throw new SyncError('E_INVALID_ARGUMENT', `relay must be a URL such as ws://localhost:8787, got ${JSON.stringify(relay)}`, { cause: error });
  }
  const secure = url.protocol === 'wss:' || url.protocol === 'https:';
  const base = `${url.host}${url.pathname.replace(/\/+$/, '')}/v1/spaces/${encodeURIComponent(space)}`;
  return { ws: `${secure ? 'wss' : 'ws'}://${base}`, http: `${secure ? 'https' : 'http'}://${base}/http` };
}

/**
 * The WebSocket and HTTP URLs of a space on each relay of `relay`, in order.
 *
 * @throws SyncError `E_INVALID_ARGUMENT` for an empty list or a relay that is not a URL
 * @internal
 */
export function relayUrlLists(relay: RelayOption, space: string): { ws: string[]; http: string[] } {
  const relays: readonly unknown[] = typeof relay === 'string' ? [relay] : Array.isArray(relay) ? relay : [relay];
  if (relays.length === 0) throw new SyncError('E_INVALID_ARGUMENT', 'relay must name at least one relay: got an empty list');
  const urls = relays.map((one) => relayUrls(one as string, space));
  return { ws: urls.map((u) => u.ws), http: urls.map((u) => u.http) };
}

/**
 * The connection to the relay for one space: WebSocket, HTTP long polling, or
 * (`auto`) WebSocket falling back to HTTP when it cannot open (proxies that
 * block upgrades). Once a transport has opened, it is kept.
 * @internal
 */
export function createRelayConnection(options: RelayConnectionOptions): RelayConnection {
  let urls = relayUrlLists(options.relay, options.space);
  const common = { ...(options.token !== undefined ? { token: options.token } : {}), ...(options.clock !== undefined ? { clock: options.clock } : {}) };
  const ws = () => createWebSocketTransport({ url: urls.ws, ...common });
  const http = () => createHttpTransport({ url: urls.http, ...common });
  if (options.transport === 'websocket' || options.transport === 'http') {
    const inner = options.transport === 'websocket' ? ws() : http();
    return Object.assign(wrapConnection(inner, {}), {
      setRelay(relay: RelayOption) {
        urls = relayUrlLists(relay, options.space);
        inner.setUrl(options.transport === 'websocket' ? urls.ws : urls.http);
      },
    });
  }
  return fallbackConnection(ws, http, options.fallbackAfterMs, options.clock, (relay) => {
    urls = relayUrlLists(relay, options.space);
    return urls;
  });
}

/** Forwards a primary connection, replaced by a fallback when the primary never opens in time. */
function fallbackConnection(
  primary: () => ClientConnection,
  fallback: () => ClientConnection,
  afterMs: number,
  clock: Clock | undefined,
  resolve: (relay: RelayOption) => { ws: string[]; http: string[] },
): RelayConnection {
  const listeners = createConnectionListeners(() => 'the connection to the relay');
  let opened = false;
  let closed = false;
  let onFallback = false;
  let detach: Array<() => void> = [];
  const attach = (connection: ClientConnection): ClientConnection => {
    detach = [
      connection.on('open', () => {
        opened = true;
        listeners.emit('open');
      }),
      connection.on('message', (bytes) => listeners.emit('message', bytes)),
      connection.on('close', (info) => listeners.emit('close', info)),
      connection.on('error', (error) => listeners.emit('error', error)),
      connection.on('drain', () => listeners.emit('drain')),
    ];
    return connection;
  };
  let active = attach(primary());
  const fallBack = (): void => {
    // A refused primary (closed for good) is not retried over HTTP: the relay would refuse that too.
    if (opened || closed || active.state === 'closed') return;
    for (const off of detach) off();
    active.close(1000, 'falling back to HTTP');
    onFallback = true;
    active = attach(fallback());
  };
  // The system clock's timers do not hold a Node process, and run in browsers too (no unref there).
  (clock ?? systemClock).setTimeout(fallBack, afterMs);
  return {
    get capabilities() {
      return active.capabilities;
    },
    get state() {
      return active.state;
    },
    get bufferedAmount() {
      return active.bufferedAmount;
    },
    send: (bytes) => active.send(bytes),
    on: (event, listener) => listeners.on(event, listener),
    close(code, reason) {
      closed = true;
      active.close(code, reason);
    },
    setRelay(relay) {
      const urls = resolve(relay);
      active.setUrl(onFallback ? urls.http : urls.ws);
    },
  };
}

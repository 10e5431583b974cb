import { SyncError, type Clock, type Connection, type ConnectionEvents } from '@softadastra/sync-core';
import { createHttpTransport } from '@softadastra/transport-http';
import { createWebSocketTransport } from '@softadastra/transport-websocket';

/** How a peer reaches its relay. */
export type RelayTransport = 'auto' | 'websocket' | 'http';

/** @internal */
export interface RelayConnectionOptions {
  readonly relay: string;
  readonly space: string;
  readonly transport: RelayTransport;
  readonly token?: string | (() => string | Promise<string>);
  readonly clock?: Clock;
  /** With `auto`: switch to HTTP when the WebSocket has not opened after this long. */
  readonly fallbackAfterMs: number;
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
 * The connection to the relay for one space: WebSocket, HTTP long polling, or
 * (`auto`) WebSocket falling back to HTTP when it cannot open (proxies that
 * block upgrades). Once a transport has opened, it is kept.
 * @internal
 */
export function createRelayConnection(options: RelayConnectionOptions): Connection {
  const urls = relayUrls(options.relay, options.space);
  const common = { ...(options.token !== undefined ? { token: options.token } : {}), ...(options.clock !== undefined ? { clock: options.clock } : {}) };
  const ws = (): Connection => createWebSocketTransport({ url: urls.ws, ...common });
  const http = (): Connection => createHttpTransport({ url: urls.http, ...common });
  if (options.transport === 'websocket') return ws();
  if (options.transport === 'http') return http();
  return fallbackConnection(ws, http, options.fallbackAfterMs, options.clock);
}

type Listeners = { [E in keyof ConnectionEvents]: Set<ConnectionEvents[E]> };

/** Forwards a primary connection, replaced by a fallback when the primary never opens in time. */
function fallbackConnection(primary: () => Connection, fallback: () => Connection, afterMs: number, clock?: Clock): Connection {
  const listeners: Listeners = { open: new Set(), message: new Set(), close: new Set(), error: new Set(), drain: new Set() };
  const emit = <E extends keyof ConnectionEvents>(event: E, ...args: Parameters<ConnectionEvents[E]>): void => {
    for (const listener of [...listeners[event]]) (listener as (...a: Parameters<ConnectionEvents[E]>) => void)(...args);
  };
  let opened = false;
  let closed = false;
  let detach: Array<() => void> = [];
  const attach = (connection: Connection): Connection => {
    detach = [
      connection.on('open', () => {
        opened = true;
        emit('open');
      }),
      connection.on('message', (bytes) => emit('message', bytes)),
      connection.on('close', (info) => emit('close', info)),
      connection.on('error', (error) => emit('error', error)),
      connection.on('drain', () => emit('drain')),
    ];
    return connection;
  };
  let active = attach(primary());
  const fallBack = (): void => {
    // A refused primary (closed for good) is not retried over HTTP: the relay would refuse that too.
    if (opened || closed || active.state === 'closed') return;
    for (const off of detach) off();
    active.close(1000, 'falling back to HTTP');
    active = attach(fallback());
  };
  if (clock !== undefined) clock.setTimeout(fallBack, afterMs);
  else setTimeout(fallBack, afterMs).unref();
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
    on(event, listener) {
      (listeners[event] as Set<typeof listener>).add(listener);
      return () => (listeners[event] as Set<typeof listener>).delete(listener);
    },
    close(code, reason) {
      closed = true;
      active.close(code, reason);
    },
  };
}

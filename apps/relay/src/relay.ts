import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SyncError, decodeMessage, type Connection, type Operation, type Wal } from '@softadastra/sync-core';
import type { SyncEngine } from '@softadastra/sync-engine';
import { createHttpTransportServer, type HttpTransportServer } from '@softadastra/transport-http';
import { createWebSocketServer, readBearerToken, type WebSocketServer } from '@softadastra/transport-websocket';
import { createLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { SPACE_NAME, SpaceRegistry } from './spaces.js';
import { TokenBucket } from './token-bucket.js';
import { isRefusal, verifyToken, type TokenClaims } from './token.js';

/** Limits of a relay; each refusal is a typed, documented error. */
export interface RelayLimits {
  /** Largest message, in bytes (`E_TOO_LARGE`, WebSocket close 1009). @default 1048576 */
  readonly maxMessageBytes: number;
  /** Operations per second per connection, sustained (`E_RATE_LIMIT`). @default 2000 */
  readonly opsPerSecond: number;
  /** Operations a connection may send in a burst. @default 10000 */
  readonly opsBurst: number;
  /** Open connections per client IP address (HTTP 403 at connect). @default 256 */
  readonly connectionsPerIp: number;
  /** Spaces one client (token subject, or IP in open mode) may have open at once (HTTP 403). @default 32 */
  readonly spacesPerClient: number;
  /** Bytes a space's storage may take on disk; writes beyond are refused (`E_QUOTA`). @default 1 GiB */
  readonly spaceQuotaBytes: number;
}

/** Options of {@link createRelay}. */
export interface RelayOptions {
  /** Where spaces are stored, one database (or directory) per space. */
  readonly dataDir: string;
  /** @default 8787 (0 picks a free port) */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** HMAC secret of the bearer tokens. Without it the relay runs in open mode (anyone may read and write). */
  readonly secret?: string;
  /** @default 'sqlite' */
  readonly storage?: 'sqlite' | 'file';
  /** Close a space's engine after this long without connections. @default 60000 */
  readonly idleSpaceMs?: number;
  readonly limits?: Partial<RelayLimits>;
  /** Structured logs (JSON lines); `false` for none. @default JSON lines on stderr */
  readonly logger?: Logger | false;
}

/** A running relay. */
export interface Relay {
  /** The port it listens on. */
  readonly port: number;
  /** `ws://host:port` */
  readonly url: string;
  readonly metrics: Metrics;
  /** Stops accepting, closes sessions cleanly, finishes in-flight WAL appends, closes every space. */
  close(): Promise<void>;
}

const DEFAULT_LIMITS: RelayLimits = {
  maxMessageBytes: 1024 * 1024,
  opsPerSecond: 2_000,
  opsBurst: 10_000,
  connectionsPerIp: 256,
  spacesPerClient: 32,
  spaceQuotaBytes: 1024 ** 3,
};

const ROUTE = /^\/v1\/spaces\/([^/?]+)(\/http(?:\/.*)?)?(?:\?.*)?$/;

interface Admission {
  readonly space: string;
  readonly claims: TokenClaims | undefined;
  readonly client: string;
  readonly ip: string;
}

/**
 * Starts a relay: a peer that serves many spaces to many clients over
 * WebSocket (`/v1/spaces/:space`) and HTTP on one port.
 */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const limits: RelayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = options.logger === false ? createLogger(false) : (options.logger ?? createLogger());
  const secret = options.secret;
  const metrics = new Metrics();
  const countConnections = metrics.counter('relay_connections_total', 'Connections accepted.');
  const countRejected = metrics.counter('relay_rejected_total', 'Requests, messages and operations refused, by reason.');
  const countOpsIn = metrics.counter('relay_ops_in_total', 'Operations received from clients.');
  const countOpsOut = metrics.counter('relay_ops_out_total', 'Operations sent to clients.');
  const countBytesIn = metrics.counter('relay_bytes_in_total', 'Bytes received from clients.');
  const countBytesOut = metrics.counter('relay_bytes_out_total', 'Bytes sent to clients.');
  const walLatency = metrics.histogram('relay_wal_append_seconds', 'WAL append latency.', [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
  let connections = 0;
  metrics.gauge('relay_connections', 'Open connections.', () => connections);

  const spaces = new SpaceRegistry({
    dataDir: options.dataDir,
    storage: options.storage ?? 'sqlite',
    idleMs: options.idleSpaceMs ?? 60_000,
    wrapWal: (wal) => timedWal(wal, walLatency),
    onError: (space, error) => log.warn('engine-error', { space, code: error.code, message: error.message }),
  });
  metrics.gauge('relay_spaces', 'Spaces open.', () => spaces.size);
  const perIp = new Map<string, number>();
  const perClient = new Map<string, Map<string, number>>();

  if (secret === undefined) {
    log.warn('open-mode', { message: 'NO SECRET: the relay runs in OPEN MODE — anyone can read and write every space. For local development only; start it with --secret to require tokens.' });
  }

  /** Decides whether a request may connect, before any upgrade. */
  const admit = (request: IncomingMessage): Admission | { status: 401 | 403 | 404; reason: string } => {
    const match = ROUTE.exec(request.url ?? '');
    const space = match ? decodeURIComponent(match[1]!) : undefined;
    if (space === undefined || !SPACE_NAME.test(space)) return { status: 404, reason: 'unknown route: connect to /v1/spaces/<space> (letters, digits, . _ -)' };
    const ip = request.socket.remoteAddress ?? 'unknown';
    let claims: TokenClaims | undefined;
    if (secret !== undefined) {
      const verdict = verifyToken(readBearerToken(request), secret, space, Date.now());
      if (isRefusal(verdict)) return verdict;
      claims = verdict;
    }
    if ((perIp.get(ip) ?? 0) >= limits.connectionsPerIp) return { status: 403, reason: `too many connections from ${ip} (limit ${limits.connectionsPerIp})` };
    const client = claims?.sub ?? ip;
    const open = perClient.get(client);
    if (open !== undefined && !open.has(space) && open.size >= limits.spacesPerClient) {
      return { status: 403, reason: `client ${client} already has ${open.size} spaces open (limit ${limits.spacesPerClient})` };
    }
    return { space, claims, client, ip };
  };

  /** Serves one accepted connection: joins its space's engine with the client's rights. */
  const serve = async (raw: Connection, admission: Admission): Promise<void> => {
    const { space, claims, client, ip } = admission;
    connections++;
    countConnections();
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    const forClient = perClient.get(client) ?? new Map<string, number>();
    perClient.set(client, forClient);
    forClient.set(space, (forClient.get(space) ?? 0) + 1);
    let ended = false;
    let release = (): void => undefined;
    let expiry: NodeJS.Timeout | undefined;
    const end = (): void => {
      if (ended) return;
      ended = true;
      connections--;
      perIp.set(ip, (perIp.get(ip) ?? 1) - 1);
      const count = (forClient.get(space) ?? 1) - 1;
      if (count <= 0) forClient.delete(space);
      else forClient.set(space, count);
      if (forClient.size === 0) perClient.delete(client);
      if (expiry !== undefined) clearTimeout(expiry);
      release();
      log.info('disconnect', { space, client });
    };
    raw.on('close', (info) => {
      if (info.final) end();
    });
    const connection = meteredConnection(raw, { bytesIn: countBytesIn, bytesOut: countBytesOut, rejected: countRejected, opsOut: countOpsOut });
    let engine: SyncEngine;
    try {
      const joined = await spaces.acquire(space);
      engine = joined.engine;
      release = joined.release;
    } catch (error) {
      log.error('space-open-failed', { space, message: String(error) });
      raw.close(1011, 'the relay could not open this space');
      end();
      return;
    }
    if (ended) {
      release();
      return;
    }
    if (claims !== undefined) {
      // The connection ends when its token does: the client must come back with a fresh one.
      expiry = setTimeout(() => raw.close(4001, 'token expired — refresh it'), Math.max(0, claims.exp * 1000 - Date.now()));
      expiry.unref();
    }
    const bucket = new TokenBucket(limits.opsPerSecond, limits.opsBurst, Date.now());
    engine.connect(connection, {
      trustCovered: 'own-origin',
      acceptOrigins: 'own',
      acceptWrites: claims === undefined || claims.rights === 'write',
      ...(claims !== undefined ? { expectPeer: claims.sub } : {}),
      admit: (ops: readonly Operation[]) => {
        if (!bucket.take(ops.length, Date.now())) {
          countRejected({ reason: 'E_RATE_LIMIT' });
          return new SyncError('E_RATE_LIMIT', `more than ${limits.opsPerSecond} operations per second on this connection: slow down (it is retried)`);
        }
        if (spaces.cachedBytes(space) > limits.spaceQuotaBytes) {
          countRejected({ reason: 'E_QUOTA' });
          return new SyncError('E_QUOTA', `space ${JSON.stringify(space)} is over its storage quota of ${limits.spaceQuotaBytes} bytes`);
        }
        countOpsIn(undefined, ops.length);
        return undefined;
      },
    });
    log.info('connect', { space, client, rights: claims?.rights ?? 'open' });
  };

  const authenticate = (request: IncomingMessage): { ok: true; context: Admission } | { ok: false; status: 401 | 403; reason: string } => {
    const verdict = admit(request);
    if ('status' in verdict) {
      countRejected({ reason: verdict.status === 401 ? 'E_UNAUTHORIZED' : 'E_FORBIDDEN' });
      return { ok: false, status: verdict.status === 404 ? 403 : verdict.status, reason: verdict.reason };
    }
    return { ok: true, context: verdict };
  };
  const http: Server = createServer((request, response) => handleHttp(request, response));
  const ws: WebSocketServer = createWebSocketServer({
    server: http,
    match: (request) => ROUTE.test(request.url ?? '') && !/\/http(\/|\?|$)/.test(request.url ?? ''),
    maxPayload: limits.maxMessageBytes,
    authenticate,
  });
  ws.on('connection', (connection, info) => void serve(connection, info.context as Admission));
  const httpTransport: HttpTransportServer = createHttpTransportServer({ maxMessageBytes: limits.maxMessageBytes, authenticate });
  httpTransport.on('connection', (connection, info) => void serve(connection, info.context as Admission));

  function handleHttp(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    const route = ROUTE.exec(path);
    if (route?.[2] !== undefined && httpTransport.handle(request, response, `/v1/spaces/${route[1]!}/http`)) return;
    if (request.method === 'GET' && path === '/healthz') {
      send(response, 200, 'application/json', JSON.stringify({ status: 'ok', spaces: spaces.size, connections }));
      return;
    }
    if (request.method === 'GET' && path === '/metrics') {
      send(response, 200, 'text/plain; version=0.0.4', metrics.render());
      return;
    }
    send(response, 404, 'application/json', JSON.stringify({ error: 'not found', routes: ['/v1/spaces/<space> (WebSocket)', '/v1/spaces/<space>/http (HTTP long polling)', '/healthz', '/metrics'] }));
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = http.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  log.info('listening', { url: `ws://${host}:${address.port}`, storage: options.storage ?? 'sqlite', mode: secret ? 'tokens' : 'open' });

  let closing: Promise<void> | undefined;
  return {
    port: address.port,
    url: `ws://${host}:${address.port}`,
    metrics,
    close() {
      closing ??= (async () => {
        log.info('shutdown', { connections });
        // Stop accepting, end every session cleanly, then let the engines finish their WAL appends.
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        await Promise.all([ws.close(), httpTransport.close()]);
        http.closeAllConnections();
        await stopped;
        await spaces.closeAll();
        log.info('stopped', {});
      })();
      return closing;
    },
  };
}

function send(response: ServerResponse, status: number, type: string, body: string): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

/**
 * A client connection as the engine sees it: counts bytes, operations and
 * errors sent, and keeps the messages that arrive before the engine listens
 * (while the space is being opened) instead of dropping them — the first of
 * them is the client's hello.
 */
function meteredConnection(
  inner: Connection,
  count: {
    bytesIn: (labels?: Record<string, string>, by?: number) => void;
    bytesOut: (labels?: Record<string, string>, by?: number) => void;
    rejected: (labels?: Record<string, string>, by?: number) => void;
    opsOut: (labels?: Record<string, string>, by?: number) => void;
  },
): Connection {
  let early: Uint8Array[] | undefined = [];
  const listeners = new Set<(bytes: Uint8Array) => void>();
  inner.on('message', (bytes) => {
    count.bytesIn(undefined, bytes.length);
    if (early !== undefined) early.push(bytes);
    else for (const listener of [...listeners]) listener(bytes);
  });
  return {
    get capabilities() {
      return inner.capabilities;
    },
    get state() {
      return inner.state;
    },
    get bufferedAmount() {
      return inner.bufferedAmount;
    },
    send(bytes) {
      inner.send(bytes);
      count.bytesOut(undefined, bytes.length);
      // Protocol type byte: 2 = ops, 5 = error.
      if (bytes[2] === 2) count.opsOut(undefined, opsInMessage(bytes));
      else if (bytes[2] === 5) {
        const message = decodeMessage(bytes);
        if (message.type === 'error') count.rejected({ reason: message.code }, Math.max(1, message.opIds?.length ?? 0));
      }
    },
    on(event, listener) {
      if (event !== 'message') return inner.on(event, listener);
      listeners.add(listener as (bytes: Uint8Array) => void);
      if (early !== undefined) {
        const held = early;
        early = undefined;
        // Delivered asynchronously, as every connection event is.
        queueMicrotask(() => {
          for (const bytes of held) for (const each of [...listeners]) each(bytes);
        });
      }
      return () => listeners.delete(listener as (bytes: Uint8Array) => void);
    },
    close: (code, reason) => inner.close(code, reason),
  };
}

/**
 * The number of operations in an encoded `ops` message, read from its header
 * (docs/protocol.md) without decoding the operations.
 */
export function opsInMessage(bytes: Uint8Array): number {
  let at = 3;
  const varint = (): number => {
    let result = 0;
    let scale = 1;
    for (;;) {
      const byte = bytes[at++] ?? 0;
      result += (byte & 0x7f) * scale;
      if (byte < 0x80) return result;
      scale *= 0x80;
    }
  };
  varint(); // epoch
  varint(); // n
  for (let table = 0; table < 2; table++) {
    // origins, then collections: count, then length-prefixed strings
    for (let i = varint(); i > 0; i--) {
      const length = varint();
      at += length;
    }
  }
  return varint();
}

/** Measures every append of a WAL. */
function timedWal(wal: Wal, observe: (seconds: number) => void): Wal {
  return {
    capabilities: wal.capabilities,
    open: () => wal.open(),
    async append(record) {
      const started = performance.now();
      await wal.append(record);
      observe((performance.now() - started) / 1000);
    },
    compact: (snapshot) => wal.compact(snapshot),
    close: () => wal.close(),
  };
}

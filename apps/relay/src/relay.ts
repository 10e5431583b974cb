import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { SyncError, TokenBucket, setLongTimeout, type Connection, type LongTimeout, type Operation, type Wal } from '@softadastra/sync-core';
import type { SyncEngine } from '@softadastra/sync-engine';
import { createHttpTransportServer, type HttpTransportServer } from '@softadastra/transport-http';
import { createWebSocketServer, type WebSocketServer } from '@softadastra/transport-websocket';
import { admit, isAdmissionRefusal, type Admission, type Authenticate } from './admission.js';
import { OVER_BUDGET_CLOSE_CODE, clientConnection } from './client-connection.js';
import { createLogger, rateLimitedLogger, type Logger } from './log.js';
import { Metrics } from './metrics.js';
import { parseRoute } from './routes.js';
import { SpaceRegistry } from './spaces.js';
import { createTokenVerifier, type TokenVerifierOptions } from './token.js';

/** Limits of a relay; each refusal is a typed, documented error (README, docs/security.md). */
export interface RelayLimits {
  /** Largest message, in bytes (`E_TOO_LARGE`, WebSocket close 1009). @default 1048576 */
  readonly maxMessageBytes: number;
  /** Operations per second per connection, sustained (`E_RATE_LIMIT`). @default 2000 */
  readonly opsPerSecond: number;
  /** Operations a connection may send in a burst. @default 10000 */
  readonly opsBurst: number;
  /** Bytes per second a connection may send, sustained; past it its messages wait (throttled). @default 4194304 (4 MiB) */
  readonly bytesInPerSecond: number;
  /** Bytes a connection may send in a burst. @default 16777216 (16 MiB) */
  readonly bytesInBurst: number;
  /** Messages per second a connection may send, sustained; past it its messages wait. @default 2000 */
  readonly messagesPerSecond: number;
  /** Messages a connection may send in a burst. @default 10000 */
  readonly messagesBurst: number;
  /** Bytes of a throttled connection's messages the relay holds; past it the client is disconnected (close 4029). @default 8388608 (8 MiB) */
  readonly maxHeldBytes: number;
  /** Requests that cost work in proportion to the space (a hello: a full plan; a digest request) per second per connection (`E_RATE_LIMIT`). @default 2 */
  readonly requestsPerSecond: number;
  /** Such requests in a burst. @default 5 */
  readonly requestsBurst: number;
  /** Replies (errors, digests) waiting for a client that does not read; past it the client is disconnected (close 4008). @default 256 */
  readonly maxQueuedReplies: number;
  /** Seq ranges one writer's operations may have in a space's vector; a message fragmenting it further is refused (`E_RATE_LIMIT`, resent later). @default 4096 */
  readonly maxOriginRanges: number;
  /** New operations stamped further ahead of the relay's clock are refused (`E_CLOCK_SKEW`); see docs/protocol.md. @default 300000 (5 min) */
  readonly maxClockAheadMs: number;
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
  /**
   * Shared secret of HS256 bearer tokens (what `signToken` signs) — the simple
   * default. Without it, `jwks` or `authenticate`, the relay runs in open mode
   * (anyone may read and write).
   */
  readonly secret?: string;
  /**
   * An identity provider's public keys, for RS/PS/ES/EdDSA tokens: its JWKS
   * URL, a JWKS object, or a key resolver (`jose`'s `createLocalJWKSet`).
   * Tokens carry the same claims as HS256 ones (`sub`, `spaces`, `rights`,
   * `exp`); see docs/security.md.
   */
  readonly jwks?: TokenVerifierOptions['jwks'];
  /** The `aud` a token must carry. @default not checked */
  readonly audience?: string | readonly string[];
  /** The `iss` a token must carry. @default not checked */
  readonly issuer?: string | readonly string[];
  /** Leeway for a token's `exp` and `nbf`, in seconds. @default 0 */
  readonly clockToleranceSec?: number;
  /** The token `alg`s accepted. @default HS256 with `secret`, RS/PS/ES/EdDSA with `jwks` */
  readonly algorithms?: readonly string[];
  /**
   * Your own auth, instead of tokens: decides who a request is — a
   * `{ peer, spaces, rights, expiresAt? }` grant or a `{ status: 401 | 403, reason }`
   * refusal. It is given the request and `{ space, token }` (the bearer token,
   * if any). A throw is a 401 for the client and a `relay_server_errors_total`
   * for you. With it, `secret` and `jwks` are ignored.
   */
  readonly authenticate?: Authenticate;
  /** @default 'sqlite' */
  readonly storage?: 'sqlite' | 'file';
  /** Close a space's engine after this long without connections. @default 60000 */
  readonly idleSpaceMs?: number;
  /**
   * Collect metadata (set removes every client holds) as each space's
   * collection authority: `horizonMs`, how long a client may stay away and
   * still count (when it comes back later holding what was collected
   * meanwhile, it takes a snapshot instead of a delta); `intervalMs`, how
   * often what is stable is computed and sent @default 10000. The engine's
   * `gc`; docs/protocol.md, "Metadata collection". Every client must run a
   * version that speaks `stable` (this one or later).
   * @default off: nothing is collected
   */
  readonly gc?: { readonly horizonMs: number; readonly intervalMs?: number };
  readonly limits?: Partial<RelayLimits>;
  /**
   * Structured logs (JSON lines, `createLogger()` on `pino`; `fromPino(yours)` to
   * use your own pino logger); `false` for none. Whatever the logger, each
   * event is written at most 10 times a second (bursts of 50): a client's
   * faults are counted in the metrics and never amplified into logs.
   * @default JSON lines on stderr
   */
  readonly logger?: Logger | false;
  /**
   * Serve `prom-client`'s default process metrics (event-loop lag, heap, GC,
   * handles, CPU) on `/metrics` beside the relay's own.
   * @default true
   */
  readonly processMetrics?: boolean;
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
  bytesInPerSecond: 4 * 1024 * 1024,
  bytesInBurst: 16 * 1024 * 1024,
  messagesPerSecond: 2_000,
  messagesBurst: 10_000,
  maxHeldBytes: 8 * 1024 * 1024,
  requestsPerSecond: 2,
  requestsBurst: 5,
  maxQueuedReplies: 256,
  maxOriginRanges: 4096,
  maxClockAheadMs: 5 * 60_000,
  connectionsPerIp: 256,
  spacesPerClient: 32,
  spaceQuotaBytes: 1024 ** 3,
};

/**
 * Starts a relay: a peer that serves many spaces to many clients over
 * WebSocket (`/v1/spaces/:space`) and HTTP on one port.
 *
 * @remarks
 * Nothing a client sends can throw out of a handler: URLs, headers and tokens
 * are parsed into results (a malformed one is a 400), frames are decoded by
 * the engine into typed errors, and every server has an `error` listener that
 * counts and logs. What a client's claims may change is written down in
 * docs/security.md.
 */
export async function createRelay(options: RelayOptions): Promise<Relay> {
  const limits: RelayLimits = { ...DEFAULT_LIMITS, ...options.limits };
  const log = rateLimitedLogger(options.logger === false ? createLogger(false) : (options.logger ?? createLogger()));
  const authenticateClient = clientAuthentication(options);
  const metrics = new Metrics({ processMetrics: options.processMetrics ?? true });
  const countConnections = metrics.counter('relay_connections_total', 'Connections accepted.');
  const countRejected = metrics.counter('relay_rejected_total', 'Requests, messages and operations refused, by reason.', ['reason']);
  const countOpsIn = metrics.counter('relay_ops_in_total', 'Operations received from clients.');
  const countOpsOut = metrics.counter('relay_ops_out_total', 'Operations sent to clients.');
  const countBytesIn = metrics.counter('relay_bytes_in_total', 'Bytes received from clients.');
  const countBytesOut = metrics.counter('relay_bytes_out_total', 'Bytes sent to clients.');
  const countThrottled = metrics.counter('relay_throttled_total', 'Times a connection went over its budget and its messages waited.');
  const countDisconnected = metrics.counter('relay_disconnected_total', 'Connections the relay closed for misbehaving, by reason.', ['reason']);
  const countEngineErrors = metrics.counter('relay_engine_errors_total', 'Errors reported by the spaces’ engines (client faults included), by code.', ['code']);
  const countServerErrors = metrics.counter('relay_server_errors_total', 'Errors of the relay’s own servers (they never stop it).', ['server']);
  const walLatency = metrics.histogram('relay_wal_append_seconds', 'WAL append latency.', [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1]);
  let connections = 0;
  metrics.gauge('relay_connections', 'Open connections.', () => connections);

  const spaces = new SpaceRegistry({
    dataDir: options.dataDir,
    storage: options.storage ?? 'sqlite',
    idleMs: options.idleSpaceMs ?? 60_000,
    ...(options.gc !== undefined ? { gc: options.gc } : {}),
    wrapWal: (wal) => timedWal(wal, walLatency),
    onError: (space, error) => {
      countEngineErrors({ code: error.code });
      log.warn('engine-error', { space, code: error.code, message: error.message.slice(0, 300) });
    },
  });
  metrics.gauge('relay_spaces', 'Spaces open.', () => spaces.size);
  const perIp = new Map<string, number>();
  const perClient = new Map<string, Map<string, number>>();

  if (authenticateClient === undefined) {
    log.warn('open-mode', { message: 'NO SECRET: the relay runs in OPEN MODE — anyone can read and write every space. For local development only; start it with --secret to require tokens.' });
  }

  /** Serves one accepted connection: joins its space's engine with the client's rights. */
  const serve = async (raw: Connection, admission: Admission): Promise<void> => {
    const { space, grant, client, ip } = admission;
    connections++;
    countConnections();
    perIp.set(ip, (perIp.get(ip) ?? 0) + 1);
    const forClient = perClient.get(client) ?? new Map<string, number>();
    perClient.set(client, forClient);
    forClient.set(space, (forClient.get(space) ?? 0) + 1);
    let ended = false;
    let release = (): void => undefined;
    let expiry: LongTimeout | undefined;
    const end = (): void => {
      if (ended) return;
      ended = true;
      connections--;
      const ipCount = (perIp.get(ip) ?? 1) - 1;
      if (ipCount <= 0) perIp.delete(ip);
      else perIp.set(ip, ipCount);
      const count = (forClient.get(space) ?? 1) - 1;
      if (count <= 0) forClient.delete(space);
      else forClient.set(space, count);
      if (forClient.size === 0) perClient.delete(client);
      expiry?.cancel();
      release();
      log.info('disconnect', { space, client });
    };
    raw.on('close', (info) => {
      if (info.final) end();
      if (info.code === OVER_BUDGET_CLOSE_CODE) countDisconnected({ reason: 'over-budget' });
      else if (info.code === 4008) countDisconnected({ reason: 'slow-reader' });
      else if (info.code === 1008) countDisconnected({ reason: 'policy' });
    });
    const connection = clientConnection(
      raw,
      { bytesPerSecond: limits.bytesInPerSecond, bytesBurst: limits.bytesInBurst, messagesPerSecond: limits.messagesPerSecond, messagesBurst: limits.messagesBurst, maxHeldBytes: limits.maxHeldBytes },
      {
        bytesIn: (n) => countBytesIn(undefined, n),
        bytesOut: (n) => countBytesOut(undefined, n),
        opsOut: (n) => countOpsOut(undefined, n),
        refused: (code, n) => countRejected({ reason: code }, n),
        throttled: () => countThrottled(),
        overBudget: (reason) => log.warn('over-budget', { space, client, reason }),
      },
    );
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
    if (grant?.expiresAt !== undefined) {
      // The connection ends when its token does: the client must come back with a fresh one.
      // Any length: a token valid for months is waited for, not expired at once (2^31−1 ms timers).
      expiry = setLongTimeout(() => raw.close(4001, 'token expired — refresh it'), Math.max(0, grant.expiresAt - Date.now()), { unref: true });
    }
    const ops = new TokenBucket(limits.opsPerSecond, limits.opsBurst, Date.now());
    const writes = grant === undefined || grant.rights === 'write';
    engine.connect(connection, {
      // A client's claims are claims (docs/security.md): a writer's about its own seqs only, in
      // the honest shape; a reader's about nothing at all.
      trustCovered: writes ? 'own-origin' : 'none',
      // …and what a client acks never grows the relay's durable state.
      recordAcks: false,
      acceptOrigins: 'own',
      acceptWrites: writes,
      ...(grant !== undefined ? { expectPeer: grant.peer } : {}),
      maxClockAheadMs: limits.maxClockAheadMs,
      maxOriginRanges: limits.maxOriginRanges,
      requestBudget: { perSecond: limits.requestsPerSecond, burst: limits.requestsBurst },
      maxQueuedReplies: limits.maxQueuedReplies,
      admit: (batch: readonly Operation[]) => {
        if (!ops.take(batch.length, Date.now())) {
          return new SyncError('E_RATE_LIMIT', `more than ${limits.opsPerSecond} operations per second on this connection: slow down (it is retried)`);
        }
        if (spaces.cachedBytes(space) > limits.spaceQuotaBytes) {
          return new SyncError('E_QUOTA', `space ${JSON.stringify(space)} is over its storage quota of ${limits.spaceQuotaBytes} bytes`);
        }
        countOpsIn(undefined, batch.length);
        return undefined;
      },
    });
    log.info('connect', { space, client, rights: grant?.rights ?? 'open' });
  };

  const admissionState = {
    authenticate: authenticateClient,
    connectionsPerIp: limits.connectionsPerIp,
    spacesPerClient: limits.spacesPerClient,
    connectionsOf: (ip: string) => perIp.get(ip) ?? 0,
    spacesOf: (client: string) => perClient.get(client),
    onHookError: (error: Error) => serverError('authenticate')(error),
  };
  // The one admission, for both transports (the WebSocket upgrade and the HTTP `POST …/sessions`);
  // both await it, and it never rejects.
  const authenticate = async (request: IncomingMessage): Promise<{ ok: true; context: Admission } | { ok: false; status: 400 | 401 | 403; reason: string }> => {
    const verdict = await admit(request, admissionState);
    if (isAdmissionRefusal(verdict)) {
      countRejected({ reason: verdict.code });
      return { ok: false, status: verdict.status, reason: verdict.reason };
    }
    return { ok: true, context: verdict };
  };
  const serverError = (server: string) => (error: SyncError | Error) => {
    countServerErrors({ server });
    log.error('server-error', { server, message: error.message.slice(0, 300) });
  };
  const accept = (connection: Connection, context: unknown): void => {
    serve(connection, context as Admission).catch((error: unknown) => {
      serverError('relay')(error instanceof Error ? error : new Error(String(error)));
      connection.close(1011, 'the relay failed to serve this connection');
    });
  };

  const http: Server = createServer((request, response) => handleHttp(request, response));
  http.on('clientError', (error: Error, socket: Duplex) => {
    // A malformed HTTP request (bad method, header overflow…): answer it, count it, carry on.
    const code = (error as { code?: string }).code ?? '';
    countRejected({ reason: 'E_BAD_REQUEST' });
    const status = code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable && !code.startsWith('ECONN')) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    socket.destroy();
  });
  http.on('connect', (_request: IncomingMessage, socket: Duplex) => {
    // CONNECT (a proxy tunnel) is not ours: without a listener Node would just drop the socket.
    countRejected({ reason: 'E_BAD_REQUEST' });
    socket.on('error', () => undefined);
    socket.end('HTTP/1.1 405 Method Not Allowed\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  });
  const ws: WebSocketServer = createWebSocketServer({
    server: http,
    match: (request) => {
      const route = parseRoute(request.url);
      // Malformed space names are answered (400) by authenticate, as every refusal.
      return route.ok ? route.kind === 'ws' : route.status !== 404 && route.kind !== 'http';
    },
    maxPayload: limits.maxMessageBytes,
    authenticate,
  });
  ws.on('connection', (connection, info) => accept(connection, info.context));
  ws.on('error', serverError('websocket'));
  const httpTransport: HttpTransportServer = createHttpTransportServer({ maxMessageBytes: limits.maxMessageBytes, authenticate });
  httpTransport.on('connection', (connection, info) => accept(connection, info.context));
  httpTransport.on('error', serverError('http-transport'));

  function handleHttp(request: IncomingMessage, response: ServerResponse): void {
    try {
      const route = parseRoute(request.url);
      if (route.ok && route.kind === 'http' && httpTransport.handle(request, response, `/v1/spaces/${route.segment}/http`)) return;
      if (!route.ok && route.status !== 404) {
        countRejected({ reason: 'E_BAD_REQUEST' });
        request.resume();
        send(response, route.status, 'application/json', JSON.stringify({ error: route.reason }));
        return;
      }
      const path = (request.url ?? '/').split('?')[0] ?? '/';
      request.resume();
      if (request.method === 'GET' && path === '/healthz') {
        send(response, 200, 'application/json', JSON.stringify({ status: 'ok', spaces: spaces.size, connections }));
        return;
      }
      if (request.method === 'GET' && path === '/metrics') {
        metrics.render().then(
          (text) => send(response, 200, metrics.contentType, text),
          (error: unknown) => {
            serverError('metrics')(error instanceof Error ? error : new Error(String(error)));
            if (!response.headersSent) send(response, 500, 'application/json', JSON.stringify({ error: 'internal error' }));
          },
        );
        return;
      }
      send(response, 404, 'application/json', JSON.stringify({ error: 'not found', routes: ['/v1/spaces/<space> (WebSocket)', '/v1/spaces/<space>/http (HTTP long polling)', '/healthz', '/metrics'] }));
    } catch (error) {
      // Nothing from the network may throw out of a handler; if something does, it is a bug to count.
      serverError('http')(error instanceof Error ? error : new Error(String(error)));
      if (!response.headersSent) send(response, 500, 'application/json', JSON.stringify({ error: 'internal error' }));
      else response.destroy();
    }
  }

  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 8787, options.host ?? '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', serverError('http'));
  const address = http.address() as AddressInfo;
  const host = options.host ?? '127.0.0.1';
  log.info('listening', { url: `ws://${host}:${address.port}`, storage: options.storage ?? 'sqlite', mode: options.authenticate !== undefined ? 'hook' : authenticateClient !== undefined ? 'tokens' : 'open' });

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
        log.flush();
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

/** Who a request is, from the options: the user's hook, a token verifier (secret and/or JWKS), or `undefined` (open mode). */
function clientAuthentication(options: RelayOptions): Authenticate | undefined {
  if (options.authenticate !== undefined) return options.authenticate;
  if (options.secret === undefined && options.jwks === undefined) return undefined;
  const verify = createTokenVerifier({
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
    ...(options.jwks !== undefined ? { jwks: options.jwks } : {}),
    ...(options.audience !== undefined ? { audience: options.audience } : {}),
    ...(options.issuer !== undefined ? { issuer: options.issuer } : {}),
    ...(options.clockToleranceSec !== undefined ? { clockToleranceSec: options.clockToleranceSec } : {}),
    ...(options.algorithms !== undefined ? { algorithms: options.algorithms } : {}),
  });
  // The space is checked by admission, for a hook's grant and a token's alike.
  return (_request, { token }) => verify(token);
}

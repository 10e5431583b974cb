import { readFile, stat } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, resolve, sep } from 'node:path';

/** Options of {@link createWebHandlers} and {@link startWebServer}. */
export interface WebServerOptions {
  /** The built app (`dist/`). */
  readonly dir: string;
  /**
   * The relay to forward `/v1/…` (WebSocket upgrades and HTTP long polling),
   * `/healthz` and `/metrics` to, so that the page's own origin is its relay.
   * @default none: those paths get 404
   */
  readonly relay?: { readonly host: string; readonly port: number };
}

/** The request and upgrade handlers of the board's web server. */
export interface WebHandlers {
  readonly request: (request: IncomingMessage, response: ServerResponse) => void;
  readonly upgrade: (request: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.webmanifest': 'application/manifest+json',
};

const RELAY_PATH = /^\/(v1\/|healthz$|metrics$)/;

/**
 * Serves the built app — `index.html` for `/`, the files of `dir`, nothing
 * outside it — and forwards the relay's paths to the relay.
 *
 * @remarks
 * `index.html` and `sw.js` are sent with `no-cache` (the browser checks for a
 * new version at each visit); `assets/` are content-hashed, hence immutable.
 */
export function createWebHandlers(options: WebServerOptions): WebHandlers {
  const root = resolve(options.dir);
  const relay = options.relay;
  return {
    request(request, response) {
      const path = pathOf(request.url);
      if (path === undefined) return void response.writeHead(400).end();
      if (relay !== undefined && RELAY_PATH.test(path)) return forward(request, response, relay);
      if (request.method !== 'GET' && request.method !== 'HEAD') return void response.writeHead(405, { Allow: 'GET, HEAD' }).end();
      const file = resolve(root, `.${path === '/' ? '/index.html' : path}`);
      if (!file.startsWith(root + sep)) return void response.writeHead(404).end();
      sendFile(file, request, response).catch(() => {
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    },
    upgrade(request, socket, head) {
      const path = pathOf(request.url);
      if (relay === undefined || path === undefined || !path.startsWith('/v1/')) return void socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
      tunnel(request, socket, head, relay);
    },
  };
}

/** A running web server. */
export interface WebServer {
  readonly port: number;
  /** `http://host:port/` */
  readonly url: string;
  close(): Promise<void>;
}

/** Starts the web server on `host:port` (`port: 0` picks a free one). */
export async function startWebServer(options: WebServerOptions & { readonly port?: number; readonly host?: string }): Promise<WebServer> {
  const handlers = createWebHandlers(options);
  const server: Server = createServer(handlers.request);
  server.on('upgrade', handlers.upgrade);
  server.on('clientError', (_error, socket) => socket.destroy());
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => resolveListen());
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.closeAllConnections();
        server.close(() => resolveClose());
      }),
  };
}

function pathOf(url: string | undefined): string | undefined {
  try {
    return decodeURIComponent(new URL(url ?? '/', 'http://x').pathname);
  } catch {
    return undefined;
  }
}

async function sendFile(file: string, request: IncomingMessage, response: ServerResponse): Promise<void> {
  const info = await stat(file).catch(() => undefined);
  if (info === undefined || !info.isFile()) return void response.writeHead(404).end();
  const body = await readFile(file);
  const immutable = file.includes(`${sep}assets${sep}`);
  response.writeHead(200, {
    'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': body.length,
    'Cache-Control': immutable ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  response.end(request.method === 'HEAD' ? undefined : body);
}

function forward(request: IncomingMessage, response: ServerResponse, relay: { host: string; port: number }): void {
  const upstream = httpRequest({ host: relay.host, port: relay.port, method: request.method, path: request.url, headers: request.headers }, (reply) => {
    response.writeHead(reply.statusCode ?? 502, reply.headers);
    reply.pipe(response);
  });
  upstream.on('error', () => {
    if (!response.headersSent) response.writeHead(502).end('relay unreachable');
    else response.destroy();
  });
  request.pipe(upstream);
}

/** A WebSocket upgrade, passed through byte for byte: the relay does the handshake. */
function tunnel(request: IncomingMessage, socket: Duplex, head: Buffer, relay: { host: string; port: number }): void {
  const upstream = connect(relay.port, relay.host, () => {
    const lines = [`${request.method ?? 'GET'} ${request.url ?? '/'} HTTP/1.1`];
    for (let i = 0; i < request.rawHeaders.length; i += 2) lines.push(`${request.rawHeaders[i]}: ${request.rawHeaders[i + 1]}`);
    upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
    if (head.length > 0) upstream.write(head);
    upstream.pipe(socket).pipe(upstream);
  });
  const close = (): void => {
    upstream.destroy();
    socket.destroy();
  };
  upstream.on('error', close);
  socket.on('error', close);
  upstream.on('close', close);
  socket.on('close', close);
}

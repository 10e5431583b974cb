import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { recordConnection, type RecordedConnection } from '@softadastra/sync-testing';
import {
  createHttpTransportServer,
  type HttpConnectionInfo,
  type HttpServerConnection,
  type HttpTransportServer,
  type HttpTransportServerOptions,
} from '../src/index.js';

/** Where the tests mount the transport, as the relay does for a space. */
export const BASE = '/v1/spaces/team/http';

/** A node:http server on loopback with the transport mounted under {@link BASE}, next to another route. */
export interface TestServer {
  readonly transport: HttpTransportServer;
  readonly http: Server;
  readonly port: number;
  /** The client's `url`: `http://127.0.0.1:<port>/v1/spaces/team/http`. */
  readonly url: string;
  /** Closes the transport, then the HTTP server and every socket. */
  close(): Promise<void>;
}

/**
 * Starts a node:http server on a free loopback port (or `port`) serving the
 * transport under {@link BASE}, `GET /healthz`, and 404 for anything else.
 */
export async function startServer(options: HttpTransportServerOptions = {}, port = 0): Promise<TestServer> {
  const transport = createHttpTransportServer(options);
  const http = createServer((request, response) => {
    if (transport.handle(request, response, BASE)) return;
    if (request.url === '/healthz') {
      response.writeHead(200, { 'Content-Type': 'text/plain' });
      response.end('ok');
      return;
    }
    response.writeHead(404);
    response.end();
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(port, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  const actual = (http.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    transport,
    http,
    port: actual,
    url: `http://127.0.0.1:${actual}${BASE}`,
    close() {
      closing ??= (async () => {
        await transport.close();
        const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections();
        await stopped;
      })();
      return closing;
    },
  };
}

/** Resolves with the next connection `transport` hands out. */
export function nextConnection(transport: HttpTransportServer): Promise<HttpServerConnection> {
  return nextConnectionWithInfo(transport).then(([connection]) => connection);
}

/** Resolves with the next connection `transport` hands out and what came with it. */
export function nextConnectionWithInfo(transport: HttpTransportServer): Promise<[HttpServerConnection, HttpConnectionInfo]> {
  return new Promise((resolve) => {
    const off = transport.on('connection', (connection, info) => {
      off();
      resolve([connection, info]);
    });
  });
}

/** Everything a connection emitted, in order. */
export type Recorded = RecordedConnection;

/** Records every event of `connection` from now on. */
export const record = recordConnection;

/** A message holding `n` (4 bytes, big-endian) padded to `size` bytes. */
export function numbered(n: number, size = 4): Uint8Array {
  const bytes = new Uint8Array(Math.max(4, size));
  new DataView(bytes.buffer).setUint32(0, n);
  return bytes;
}

/** The number a {@link numbered} message holds. */
export function numberOf(bytes: Uint8Array): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(0);
}

export { sleep, until } from '@softadastra/sync-testing';

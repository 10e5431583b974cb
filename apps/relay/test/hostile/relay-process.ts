import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { connect as tcpConnect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { decodeMessage, encodeMessage, type SyncMessage } from '@softadastra/sync-core';
import { createSyncEngine, type SyncEngine } from '@softadastra/sync-engine';
import { createWebSocketTransport } from '@softadastra/transport-websocket';
import { createMemoryWal } from '@softadastra/wal-memory';
import { afterAll, beforeAll, expect } from 'vitest';
import { signToken } from '../../src/index.js';
import { eventually, fastTiming, tempDir } from '../helpers.js';

/**
 * The hostile-client suite runs against a real relay process (`src/main.ts`,
 * as `pnpm relay` runs it). `HOSTILE_RELAY_MAIN` points it at another build of
 * the relay — e.g. an older checkout, to see a test fail before its fix.
 */
const MAIN = process.env['HOSTILE_RELAY_MAIN'] ?? fileURLToPath(new URL('../../src/main.ts', import.meta.url));

export const SECRET = 'hostile-suite-secret';
export const SPACE = 'team';

/** How much memory the relay may hold at any point of the suite (resident set). */
export const RSS_BOUND_BYTES = 400 * 1024 * 1024;

/** A token for `sub`, signed with the suite's secret. */
export function token(sub: string, rights: 'read' | 'write' = 'write', options: { spaces?: string[]; expInS?: number } = {}): string {
  return signToken({ sub, spaces: options.spaces ?? [SPACE], rights, exp: Math.floor(Date.now() / 1000) + (options.expInS ?? 3600) }, SECRET);
}

/** A relay process, with what the suite needs to watch it. */
export class RelayProcess {
  readonly dataDir: string;
  child!: ChildProcess;
  port = 0;
  /** Everything it wrote on stderr (its logs), in bytes. */
  logBytes = 0;
  logs: string[] = [];
  #exits: Array<{ code: number | null; signal: string | null }> = [];
  readonly #cleanup: () => Promise<void>;
  readonly #args: string[];

  private constructor(dataDir: string, cleanup: () => Promise<void>, args: string[]) {
    this.dataDir = dataDir;
    this.#cleanup = cleanup;
    this.#args = args;
  }

  /** Starts a relay with tokens (the suite's secret) on a fresh data directory. */
  static async start(args: string[] = []): Promise<RelayProcess> {
    const { dir, cleanup } = await tempDir();
    const relay = new RelayProcess(dir, cleanup, args);
    await relay.#spawn();
    return relay;
  }

  get url(): string {
    return `ws://127.0.0.1:${this.port}`;
  }

  /** How it exited, if it did (a crash is what the suite must never see). */
  get exits(): ReadonlyArray<{ code: number | null; signal: string | null }> {
    return this.#exits;
  }

  get alive(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async #spawn(): Promise<void> {
    const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@softadastra/source', MAIN, '--port', String(this.port), '--data', this.dataDir, '--secret', SECRET, ...this.#args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    child.stderr.on('data', (chunk: Buffer) => {
      this.logBytes += chunk.length;
      if (this.logs.length < 2000) this.logs.push(chunk.toString());
    });
    child.once('exit', (code, signal) => this.#exits.push({ code, signal }));
    this.port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /relay listening on ws:\/\/[^:]+:(\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`relay exited with ${String(code)} before listening: ${out}`)));
    });
  }

  /** Stops it (SIGTERM, a graceful shutdown) and starts it again on the same data and port. */
  async restart(): Promise<void> {
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
    this.#exits = [];
    await this.#spawn();
  }

  /** Its resident set size, from /proc. */
  async rss(): Promise<number> {
    const status = await readFile(`/proc/${this.child.pid}/status`, 'utf8');
    const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
    return Number(kb ?? 0) * 1024;
  }

  /** GET /healthz: its status and how long it took. */
  async healthz(timeoutMs = 5_000): Promise<{ status: number; ms: number }> {
    const started = performance.now();
    const status = await new Promise<number>((resolve) => {
      const req = httpRequest({ host: '127.0.0.1', port: this.port, path: '/healthz', agent: false, timeout: timeoutMs }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('timeout', () => req.destroy());
      req.on('error', () => resolve(-1));
      req.end();
    });
    return { status, ms: performance.now() - started };
  }

  /** A metric's value from GET /metrics (summed over labels unless `labels` is given, e.g. `reason="E_DECODE"`). */
  async metric(name: string, labels?: string): Promise<number> {
    const text = await this.httpText('/metrics');
    let total = 0;
    for (const line of text.split('\n')) {
      if (line.startsWith('#')) continue;
      const match = /^([a-z_]+)(\{[^}]*\})? (\S+)$/.exec(line);
      if (match?.[1] !== name) continue;
      if (labels !== undefined && !(match[2] ?? '').includes(labels)) continue;
      total += Number(match[3]);
    }
    return total;
  }

  async httpText(path: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: this.port, path, agent: false }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
  }

  async stop(): Promise<void> {
    if (this.alive) {
      const exited = new Promise((resolve) => this.child.once('exit', resolve));
      this.child.kill('SIGKILL');
      await exited;
    }
    await this.#cleanup();
  }
}

/** An honest client: a real engine over the real WebSocket client, with a write token. */
export async function honestPeer(relay: RelayProcess, name: string): Promise<SyncEngine> {
  const engine = await createSyncEngine({ wal: createMemoryWal(), space: SPACE, peerId: name, timing: fastTiming });
  engine.connect(createWebSocketTransport({ url: `${relay.url}/v1/spaces/${SPACE}`, reconnect: { baseMs: 50, maxMs: 500 }, heartbeatMs: 2_000, token: () => token(name) }));
  return engine;
}

let serial = 0;

/**
 * What every hostile test ends with: the relay is alive (never exited),
 * `/healthz` answers within 1 s, an honest pair in the same space still
 * writes, syncs and is acknowledged by the relay, and the relay's memory stays
 * under {@link RSS_BOUND_BYTES}.
 */
export async function expectRelayServes(relay: RelayProcess, pair: readonly [SyncEngine, SyncEngine]): Promise<void> {
  expect(relay.exits, 'the relay never exited').toEqual([]);
  expect(relay.alive).toBe(true);
  const health = await relay.healthz();
  expect(health.status).toBe(200);
  expect(health.ms, '/healthz within 1 s').toBeLessThan(1_000);
  const [writer, reader] = pair;
  const key = `honest-${++serial}-${Date.now()}`;
  const op = await writer.put('honest', key, serial);
  await eventually(() => reader.get('honest', key) === serial, `the honest pair syncs ${key}`, 20_000);
  const relayId = writer.sessions()[0]?.remotePeer;
  expect(relayId).toBeDefined();
  await Promise.race([writer.whenAcked(op, relayId), new Promise((_, reject) => setTimeout(() => reject(new Error(`the relay did not acknowledge ${key}`)), 20_000))]);
  const rss = await relay.rss();
  expect(rss, `relay RSS ${Math.round(rss / 2 ** 20)} MiB`).toBeLessThan(RSS_BOUND_BYTES);
}

/** A raw WebSocket client: sends what it is told, records what the relay sends. */
/**
 * Registers the test file's hooks: a real relay process and an honest pair
 * (alice and bob) in {@link SPACE}, shown to be served before the first test;
 * both are closed after the last. `ready` receives them, then may prepare
 * more before the check (data to attack, say).
 */
export function withHostileRelay(ready: (relay: RelayProcess, pair: [SyncEngine, SyncEngine]) => void | Promise<void>, timeoutMs = 60_000): void {
  let relay: RelayProcess | undefined;
  let pair: SyncEngine[] = [];
  beforeAll(async () => {
    relay = await RelayProcess.start();
    pair = [await honestPeer(relay, 'alice'), await honestPeer(relay, 'bob')];
    const both: [SyncEngine, SyncEngine] = [pair[0]!, pair[1]!];
    await ready(relay, both);
    await expectRelayServes(relay, both);
  }, timeoutMs);
  afterAll(async () => {
    for (const engine of pair) await engine.close();
    await relay?.stop();
  });
}

export class RawClient {
  readonly ws: WebSocket;
  readonly messages: SyncMessage[] = [];
  readonly closed: Promise<number>;
  undecodable = 0;
  bytesReceived = 0;
  closeCode: number | undefined;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) =>
      ws.on('close', (code) => {
        this.closeCode = code;
        resolve(code);
      }),
    );
    ws.on('error', () => undefined);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      this.bytesReceived += data.length;
      if (!isBinary) return;
      try {
        this.messages.push(decodeMessage(new Uint8Array(data)));
      } catch {
        this.undecodable++;
      }
    });
  }

  /** Connects with a bearer token (or none); resolves once open, or with the HTTP status of the refusal. */
  static async connect(relay: RelayProcess, bearer: string | undefined, path = `/v1/spaces/${SPACE}`): Promise<RawClient> {
    const ws = new WebSocket(`${relay.url}${path}`, { headers: bearer ? { authorization: `Bearer ${bearer}` } : {}, maxPayload: 64 * 1024 * 1024 });
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
      ws.once('error', reject);
    });
    return client;
  }

  /** Connects and says hello as `peer`; resolves once the relay said hello back. */
  static async hello(relay: RelayProcess, peer: string, rights: 'read' | 'write' = 'write'): Promise<RawClient> {
    const client = await RawClient.connect(relay, token(peer, rights));
    client.send({ type: 'hello', protocol: 1, epoch: 7, peer, space: SPACE, vv: new (await import('@softadastra/sync-core')).VersionVector() });
    await eventually(() => client.messages.some((m) => m.type === 'hello'), `the relay says hello to ${peer}`);
    return client;
  }

  /** The epoch of the relay's latest hello (ops sent to it carry it). */
  get epoch(): number {
    const hellos = this.messages.filter((m) => m.type === 'hello');
    const last = hellos[hellos.length - 1];
    return last?.type === 'hello' ? last.epoch : 0;
  }

  errors(code?: string): Array<Extract<SyncMessage, { type: 'error' }>> {
    return this.messages.flatMap((m) => (m.type === 'error' && (code === undefined || m.code === code) ? [m] : []));
  }

  send(message: SyncMessage): void {
    this.ws.send(encodeMessage(message));
  }

  /** Stops reading from the socket: the relay's replies pile up on its side. */
  stopReading(): void {
    (this.ws as unknown as { _socket: { pause(): void } })._socket.pause();
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Sends raw bytes over TCP and returns what came back (until the server closes or `ms` passed). */
export async function rawHttp(relay: RelayProcess, bytes: string | Uint8Array, ms = 2_000): Promise<string> {
  return new Promise((resolve) => {
    const socket = tcpConnect(relay.port, '127.0.0.1');
    let answer = '';
    const done = (): void => {
      socket.destroy();
      resolve(answer);
    };
    const timer = setTimeout(done, ms);
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      // A whole response (an upgrade, or headers plus their Content-Length of body) is enough.
      const end = answer.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(answer.slice(0, end))?.[1] ?? 0);
      if (statusOf(answer) === 101 || answer.length >= end + 4 + length) {
        clearTimeout(timer);
        done();
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(answer);
    });
    socket.write(bytes);
  });
}

/** The status line's code of a raw HTTP answer, or 0. */
export function statusOf(answer: string): number {
  return Number(/^HTTP\/1\.[01] (\d{3})/.exec(answer)?.[1] ?? 0);
}

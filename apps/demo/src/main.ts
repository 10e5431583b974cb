/**
 * `pnpm demo` — the main job, with embedded defaults only (no external service):
 *
 * 1. a relay on a free loopback port, with its own data directory;
 * 2. three peers — alice (file WAL), bob (SQLite WAL), carol (file WAL, in
 *    her own process) — write concurrently to the same keys;
 * 3. bob goes offline and keeps writing;
 * 4. carol is SIGKILLed in the middle of a sync, and restarted from her WAL;
 * 5. everyone reconnects; the demo waits for convergence and prints a table
 *    per peer. The last line is `converged: yes peers=3 keys=K digest=D`
 *    (exit 0) or `converged: no …` (exit 1).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createPeer, type Peer, type Space } from '@softadastra/sdk';
import { createLogger, createRelay } from '@softadastra/relay';

const SPACE = 'demo';
const KEYS = 100;
const started = Date.now();
const elapsed = (): string => `${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s`;
const step = (message: string): void => console.log(`${elapsed()}  ${message}`);

interface ChildReport {
  readonly peer: string;
  readonly keys: number;
  readonly digest: string;
  readonly vv: string;
  readonly pending: number;
  readonly status: string;
  readonly origins: number;
  readonly ops: number;
}

/** Carol: a peer in a child process, so she can be killed for real. */
class ChildPeer {
  readonly #child: ChildProcess;
  readonly #waiters: Array<{ event: string; resolve: (value: Record<string, unknown>) => void }> = [];
  onEvent: (event: Record<string, unknown>) => void = () => undefined;

  constructor(relay: string, data: string) {
    const script = fileURLToPath(new URL('./child-peer.ts', import.meta.url));
    this.#child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@softadastra/source', script, '--relay', relay, '--data', data, '--space', SPACE, '--keys', String(KEYS)], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    createInterface({ input: this.#child.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as Record<string, unknown>;
      this.onEvent(event);
      const index = this.#waiters.findIndex((w) => w.event === event['event']);
      if (index >= 0) this.#waiters.splice(index, 1)[0]!.resolve(event);
    });
  }

  next(event: string): Promise<Record<string, unknown>> {
    return new Promise((resolve) => this.#waiters.push({ event, resolve }));
  }

  send(command: string): void {
    this.#child.stdin!.write(`${command}\n`);
  }

  kill(): Promise<void> {
    this.#child.kill('SIGKILL');
    return new Promise((resolve) => this.#child.once('exit', () => resolve()));
  }

  async exit(): Promise<void> {
    this.send('exit');
    await new Promise((resolve) => this.#child.once('exit', resolve));
  }
}

async function writeBurst(space: Space, name: string, from: number, count: number): Promise<void> {
  const tasks = space.collection<{ by: string; n: number }>('tasks');
  const writes = [];
  for (let n = from; n < from + count; n++) writes.push(tasks.put(`task-${n % KEYS}`, { by: name, n }));
  await Promise.all(writes);
}

function row(name: string, storage: string, keys: number, origins: number, ops: number, digest: string, pending: number, status: string): string {
  return `| ${name.padEnd(6)} | ${storage.padEnd(15)} | ${String(keys).padStart(4)} | ${`${origins} origins, ${ops} ops`.padEnd(22)} | ${digest} | ${String(pending).padStart(7)} | ${status.padEnd(7)} |`;
}

async function main(): Promise<boolean> {
  const root = await mkdtemp(join(tmpdir(), 'softadastra-demo-'));
  const relay = await createRelay({ dataDir: join(root, 'relay'), port: 0, logger: createLogger(false) });
  step(`relay listening on ${relay.url} (SQLite WAL in ${join(root, 'relay')})`);
  const peers: Peer[] = [];
  let carol: ChildPeer | undefined;
  try {
    const alice = await createPeer({ storage: join(root, 'alice'), relay: relay.url });
    const bob = await createPeer({ storage: { sqlite: join(root, 'bob') }, relay: relay.url });
    peers.push(alice, bob);
    const [aliceSpace, bobSpace] = await Promise.all([alice.space(SPACE), bob.space(SPACE)]);
    carol = new ChildPeer(relay.url, join(root, 'carol'));
    const ready = await carol.next('ready');
    step(`3 peers up: alice (file WAL), bob (SQLite WAL), carol (file WAL, process of her own, ${String(ready['peer'])})`);

    // 1. Concurrent writes to the same keys.
    carol.send('write 300');
    await Promise.all([writeBurst(aliceSpace, 'alice', 0, 300), writeBurst(bobSpace, 'bob', 0, 300), carol.next('written')]);
    step(`concurrent writes: 900 writes to the same ${KEYS} keys from 3 peers`);

    // 2. Bob goes offline and keeps writing.
    bob.offline();
    await writeBurst(bobSpace, 'bob', 300, 200);
    step(`bob is offline and writes 200 more (pending for the relay: ${bob.pending()})`);

    // 3. Carol is killed in the middle of a sync, then restarted from her WAL.
    let receivedBeforeKill = 0;
    const inSync = new Promise<void>((resolve) => {
      carol!.onEvent = (event) => {
        if (event['event'] === 'progress') {
          receivedBeforeKill = Number(event['ops']);
          if (receivedBeforeKill > 0) resolve();
        }
      };
    });
    await writeBurst(aliceSpace, 'alice', 300, 3_000);
    await inSync;
    await carol.kill();
    step(`carol SIGKILLed in the middle of a sync (she had received ${receivedBeforeKill} operations of alice's 3,000)`);
    carol = new ChildPeer(relay.url, join(root, 'carol'));
    const back = await carol.next('ready');
    step(`carol restarted from her WAL: ${String(back['held'])} operations recovered, reconnecting`);

    // 4. Everyone reconnects.
    bob.online();
    step('bob is back online');
    const progress = setInterval(() => step(`syncing… alice ${alice.status}, bob ${bob.status} (pending ${bob.pending()})`), 1_000);
    try {
      await Promise.all([alice.synced(), bob.synced()]);
    } finally {
      clearInterval(progress);
    }
    // Wait until the three hold the same state and the same version vector (the last `covered` may trail).
    let report: ChildReport;
    const deadline = Date.now() + 60_000;
    for (;;) {
      carol.send('report');
      report = (await carol.next('report')) as unknown as ChildReport;
      const same = [aliceSpace, bobSpace].every((space) => space.digest().root === report.digest && JSON.stringify(space.versionVector()) === report.vv);
      if (same || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    step('all peers synced');

    const table = [
      '| peer   | storage         | keys | version vector         | digest           | pending | status  |',
      '|--------|-----------------|-----:|------------------------|------------------|--------:|---------|',
    ];
    for (const [name, peer, space, storage] of [
      ['alice', alice, aliceSpace, 'file WAL'],
      ['bob', bob, bobSpace, 'SQLite WAL'],
    ] as const) {
      const vv = space.versionVector();
      table.push(row(name, storage, space.collection('tasks').size, [...vv.origins()].length, vv.count(), space.digest().root, peer.pending(), peer.status));
    }
    table.push(row('carol', 'file WAL (proc)', report.keys, report.origins, report.ops, report.digest, report.pending, report.status));
    console.log(`\n${table.join('\n')}\n`);

    const digests = new Set([aliceSpace.digest().root, bobSpace.digest().root, report.digest]);
    const vectors = new Set([JSON.stringify(aliceSpace.versionVector()), JSON.stringify(bobSpace.versionVector()), report.vv]);
    const keys = aliceSpace.collection('tasks').size;
    const converged = digests.size === 1 && vectors.size === 1 && alice.pending() === 0 && bob.pending() === 0 && report.pending === 0;
    const digest = aliceSpace.digest().root;
    console.log(
      converged
        ? `converged: yes peers=3 keys=${keys} digest=${digest}`
        : `converged: no peers=3 keys=${keys} digests=${[...digests].join(',')} vectors=${vectors.size} pending=${alice.pending()}/${bob.pending()}/${report.pending}`,
    );
    return converged;
  } finally {
    await carol?.exit().catch(() => undefined);
    for (const peer of peers) await peer.close().catch(() => undefined);
    await relay.close();
    await rm(root, { recursive: true, force: true });
  }
}

const ok = await main().catch((error: unknown) => {
  console.error(error);
  console.log(`converged: no peers=3 error=${error instanceof Error ? error.message : String(error)}`);
  return false;
});
process.exit(ok ? 0 : 1);

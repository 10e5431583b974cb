import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const script = fileURLToPath(new URL('./fixtures/await-offline.ts', import.meta.url));
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

/** A port nobody listens on: bound, then released. */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Run {
  readonly child: ChildProcess;
  readonly out: () => string;
  /** Resolves with the exit code, or `'running'` if the child is still alive after `ms`. */
  readonly exitWithin: (ms: number) => Promise<number | 'running'>;
}

async function runScript(mode: string): Promise<Run> {
  const relay = `ws://127.0.0.1:${await deadPort()}`;
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@softadastra/source', script, relay, mode], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<number>((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal === null ? -1 : 128))));
  return {
    child,
    out: () => out,
    exitWithin: (ms) => Promise.race([exited, new Promise<'running'>((resolve) => setTimeout(() => resolve('running'), ms))]),
  };
}

/** Waits until the script says its write is durable (the peer is up and retrying the relay). */
async function untilDurable(run: Run): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!run.out().includes('durable')) {
    if (run.child.exitCode !== null || Date.now() > deadline) throw new Error(`the script did not get to its write:\n${run.out()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('a script whose relay is down', () => {
  it.each(['acked', 'synced'])('stays alive while it awaits %s', async (mode) => {
    const run = await runScript(mode);
    await untilDurable(run);
    // Long enough for several unref'd retries: without a hold, Node exits at once with code 13 (unsettled top-level await).
    expect(await run.exitWithin(3_000), run.out()).toBe('running');
    expect(run.out()).not.toContain('done');
  });

  it('exits promptly once it closes the peer', async () => {
    const run = await runScript('close');
    expect(await run.exitWithin(15_000), run.out()).toBe(0);
    expect(run.out()).toContain('done');
  });

  it('exits promptly once it closes the peer after giving up waiting for an ack', async () => {
    const run = await runScript('acked-timeout');
    expect(await run.exitWithin(15_000), run.out()).toBe(0);
    expect(run.out()).toContain('done');
  });

  it('exits once it awaits nothing, the peer left open (idle retries hold nothing)', async () => {
    const run = await runScript('idle');
    expect(await run.exitWithin(15_000), run.out()).toBe(0);
    expect(run.out()).toContain('done');
  });
});

import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const BIN = fileURLToPath(new URL('../bin/softadastra.mjs', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real binary. */
function run(args: readonly string[], cwd: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, SOFTADASTRA_RELAY: '', SOFTADASTRA_DATA: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let dir: string;
let relay: ReturnType<typeof spawn>;
let url: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cli-'));
  relay = spawn(process.execPath, [BIN, 'relay', '--port', '0', '--data', join(dir, 'relay'), '--quiet'], { cwd: dir });
  url = await new Promise<string>((resolve, reject) => {
    let out = '';
    relay.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /relay listening on (ws:\/\/\S+)/.exec(out);
      if (match) resolve(match[1]!);
    });
    relay.once('exit', (code) => reject(new Error(`relay exited ${String(code)}`)));
  });
}, 120_000);

afterAll(async () => {
  relay.kill('SIGTERM');
  await new Promise((resolve) => relay.once('exit', resolve));
  await rm(dir, { recursive: true, force: true });
});

// Every step spawns the real binary (node + tsx): slow on a loaded 2-core CI machine, so generous timeouts.
describe('the softadastra command', { timeout: 180_000 }, () => {
  it('puts through the relay, and another peer gets it; a missing key exits 3', async () => {
    const put = await run(['put', 'team', 'todos/t1', '{"title":"Milk"}', '--relay', url, '--data', 'a'], dir);
    expect(put.code).toBe(0);
    expect(put.stdout).toMatch(/ok todos\/t1 .*on the relay/);
    const got = await run(['get', 'team', 'todos/t1', '--relay', url, '--data', 'b', '--json'], dir);
    expect(got.code).toBe(0);
    expect(JSON.parse(got.stdout)).toEqual({ found: true, value: { title: 'Milk' } });
    // As `pnpm softadastra -- get …` (or `pnpm --filter @softadastra/cli start -- get …`) passes it on: a leading `--` is skipped.
    const dashed = await run(['--', 'get', 'team', 'todos/t1', '--data', 'b', '--json'], dir);
    expect(dashed.stderr).not.toMatch(/unknown command/);
    expect(JSON.parse(dashed.stdout)).toEqual({ found: true, value: { title: 'Milk' } });
    const missing = await run(['get', 'team', 'todos/none', '--data', 'b'], dir);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/not found/);
  });

  it('lists, deletes and reports status as JSON', async () => {
    await run(['put', 'notes', 'n/1', '1', '--data', 'c'], dir);
    await run(['put', 'notes', 'n/2', '2', '--data', 'c'], dir);
    expect(JSON.parse((await run(['list', 'notes', '--data', 'c', '--json'], dir)).stdout)).toEqual([
      { collection: 'n', key: '1', value: 1 },
      { collection: 'n', key: '2', value: 2 },
    ]);
    expect((await run(['del', 'notes', 'n/1', '--data', 'c'], dir)).code).toBe(0);
    const status = JSON.parse((await run(['status', 'notes', '--data', 'c', '--json'], dir)).stdout) as { keys: number; ops: number; status: string };
    expect(status).toMatchObject({ keys: 1, ops: 3, status: 'offline' });
  });

  it('watches changes live', async () => {
    const watcher = spawn(process.execPath, [BIN, 'watch', 'live', '--relay', url, '--data', 'w', '--json'], { cwd: dir });
    let out = '';
    watcher.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    await run(['put', 'live', 'feed/x', '"hello"', '--relay', url, '--data', 'writer'], dir);
    const deadline = Date.now() + 10_000;
    while (!out.includes('"key":"x"') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    watcher.kill('SIGINT');
    await new Promise((resolve) => watcher.once('exit', resolve));
    expect(JSON.parse(out.trim().split('\n')[0]!)).toMatchObject({ collection: 'feed', key: 'x', value: 'hello', source: 'remote' });
  });

  it('diffs two peers: equal exits 0, different names the keys and exits 6', async () => {
    await run(['put', 'd', 'k/same', '1', '--relay', url, '--data', 'd1'], dir);
    await run(['get', 'd', 'k/same', '--relay', url, '--data', 'd2'], dir);
    const equal = await run(['diff', 'd1', 'd2', '--space', 'd'], dir);
    expect(equal.code).toBe(0);
    expect(equal.stdout).toMatch(/^equal/);
    await run(['put', 'd', 'k/extra', '2', '--data', 'd1'], dir);
    const differ = await run(['diff', 'd1', url, '--space', 'd', '--json'], dir);
    expect(differ.code).toBe(6);
    expect((JSON.parse(differ.stdout) as { keys: Array<{ key: string }> }).keys.map((k) => k.key)).toEqual(['extra']);
  });

  it('inspects, verifies and compacts a WAL, and reports damage with exit 5', async () => {
    for (let i = 0; i < 5; i++) await run(['put', 'w', `k/${i % 2}`, String(i), '--data', 'walpeer'], dir);
    const path = join(dir, 'walpeer', 'spaces', 'w');
    const inspect = JSON.parse((await run(['wal', 'inspect', path, '--json'], dir)).stdout) as { ops: number; space: string };
    expect(inspect).toMatchObject({ ops: 5, space: 'w' });
    expect((await run(['wal', 'verify', path], dir)).code).toBe(0);
    const compact = await run(['wal', 'compact', path, '--json'], dir);
    expect(compact.code).toBe(0);
    expect((JSON.parse((await run(['wal', 'inspect', path, '--json'], dir)).stdout) as { snapshot: unknown }).snapshot).toEqual({ winners: 2 });
    // Damage a record in the middle of a fresh log.
    for (let i = 0; i < 3; i++) await run(['put', 'x', `k/${i}`, String(i), '--data', 'broken'], dir);
    const segmentDir = join(dir, 'broken', 'spaces', 'x');
    const segment = join(segmentDir, (await readdir(segmentDir)).find((n) => n.startsWith('wal-'))!);
    const bytes = await readFile(segment);
    bytes[30] = bytes[30]! ^ 0xff;
    await writeFile(segment, bytes);
    const verify = await run(['wal', 'verify', segmentDir], dir);
    expect(verify.code).toBe(5);
    expect(verify.stderr).toMatch(/damaged at byte/);
  });

  it('explains usage mistakes with exit 2, and an unreachable relay with exit 4', async () => {
    expect((await run(['put', 'team', 'no-slash', '1'], dir)).code).toBe(2);
    expect((await run(['put', 'team', 'a/b', 'not json'], dir)).code).toBe(2);
    expect((await run(['frobnicate'], dir)).code).toBe(2);
    const offline = await run(['put', 'team', 'a/b', '1', '--relay', 'ws://127.0.0.1:9', '--data', 'z', '--timeout', '1500'], dir);
    expect(offline.code).toBe(4);
    expect(offline.stderr).toMatch(/is the relay running/);
  });
});

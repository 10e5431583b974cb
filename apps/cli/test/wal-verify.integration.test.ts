import { spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFileWal } from '@softadastra/wal-file';

const BIN = fileURLToPath(new URL('../bin/softadastra.mjs', import.meta.url));

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the real binary. */
function run(args: readonly string[]): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: root, env: { ...process.env, SOFTADASTRA_RELAY: '', SOFTADASTRA_DATA: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'cli-wal-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

const op = (seq: number, value: string) =>
  ({ origin: 'a', seq, hlc: { wall: 1_700_000_000_000 + seq, counter: 0, peer: 'a' }, collection: 'c', key: `k${seq}`, kind: 'put', value }) as const;

/** A real file WAL in a new directory, three records (seq 1; seq 2; seqs 3 and 4); its segment and where each record starts. */
async function threeRecords(name: string): Promise<{ dir: string; segment: string; starts: number[]; size: number }> {
  const dir = join(root, name);
  const wal = createFileWal({ dir });
  await wal.open();
  await wal.append({ ops: [op(1, 'one')], meta: { peerId: 'a', space: 's' } });
  await wal.append({ ops: [op(2, 'two')] });
  await wal.append({ ops: [op(3, 'three'), op(4, 'four')] });
  await wal.close();
  const segment = join(dir, (await readdir(dir)).find((n) => n.startsWith('wal-'))!);
  const bytes = await readFile(segment);
  const starts: number[] = [];
  for (let at = 16; at < bytes.length; at += 8 + bytes.readUInt32LE(at)) starts.push(at);
  expect(starts).toHaveLength(3);
  return { dir, segment, starts, size: bytes.length };
}

// Each step spawns the real binary (node + tsx): generous timeouts for a loaded CI machine.
describe('softadastra wal verify', { timeout: 120_000 }, () => {
  it('says an intact log is ok, with nothing to cut', async () => {
    const { dir } = await threeRecords('intact');
    const text = await run(['wal', 'verify', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ok: .* \(3 records, 4 ops\)/);
    expect(text.stdout).not.toMatch(/torn tail/);
    const json = JSON.parse((await run(['wal', 'verify', dir, '--json'])).stdout) as { ok: boolean; repair: unknown };
    expect(json).toMatchObject({ ok: true, repair: null });
  });

  it('prints what opening would cut from a torn tail, and cuts nothing itself', async () => {
    const { dir, segment, starts } = await threeRecords('torn');
    const cutAt = starts[2]! + 11;
    await writeFile(segment, (await readFile(segment)).subarray(0, cutAt));
    const text = await run(['wal', 'verify', dir]);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('(2 records, 2 ops)');
    expect(text.stdout).toContain(`torn tail: opening would cut 1 record (11 bytes) from ${segment} at byte ${starts[2]}: an incomplete record`);
    const json = JSON.parse((await run(['wal', 'verify', dir, '--json'])).stdout) as { repair: unknown };
    expect(json.repair).toMatchObject({ records: 1, bytes: 11, offset: starts[2], location: segment });
    expect((await stat(segment)).size, 'verify changed the file').toBe(cutAt);
    const inspect = await run(['wal', 'inspect', dir]);
    expect(inspect.stdout).toMatch(/repair +torn tail: opening would cut 1 record/);
    // A real open cuts it, and then there is nothing left to report.
    const wal = createFileWal({ dir });
    expect((await wal.open()).repair).toMatchObject({ bytes: 11 });
    await wal.close();
    expect((await run(['wal', 'verify', dir])).stdout).not.toMatch(/torn tail/);
  });

  it('exits 5 when the last record is whole but damaged: corruption, not a torn tail', async () => {
    const { dir, segment, starts, size } = await threeRecords('flipped');
    const bytes = await readFile(segment);
    bytes[size - 2] = bytes[size - 2]! ^ 0x04;
    await writeFile(segment, bytes);
    const text = await run(['wal', 'verify', dir]);
    expect(text.code).toBe(5);
    expect(text.stderr).toContain(`damaged at byte ${starts[2]}`);
    expect(text.stderr).toMatch(/written whole, so this is damage, not a torn write/);
    const json = await run(['wal', 'verify', dir, '--json']);
    expect(json.code).toBe(5);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, code: 'E_WAL_CORRUPT' });
    expect(await readFile(segment), 'verify changed the file').toEqual(bytes);
  });
});

import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createFileWal } from '../src/index.js';
import { put, seqsOf } from './helpers.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'wal-file-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('file WAL on the real file system', () => {
  it('refuses a second open of the same directory with E_WAL_LOCKED, and frees it on close', async () => {
    const dir = await tempDir();
    const first = createFileWal({ dir });
    await first.open();
    await expect(createFileWal({ dir }).open()).rejects.toMatchObject({ code: 'E_WAL_LOCKED' });
    await first.close();
    const second = createFileWal({ dir });
    await second.open();
    await second.close();
  });

  it('takes over a lock left by a process that died', async () => {
    const dir = await tempDir();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'LOCK'), '999999999');
    const wal = createFileWal({ dir });
    await wal.open();
    await wal.append({ ops: [put(1)] });
    await wal.close();
  });

  it('rotates segment files and leaves no temporary file behind', async () => {
    const dir = await tempDir();
    const wal = createFileWal({ dir, segmentBytes: 500 });
    await wal.open();
    for (let i = 0; i < 100; i++) await wal.append({ ops: [put(i + 1)] });
    await wal.close();
    const names = await readdir(dir);
    expect(names.some((n) => n.endsWith('.tmp'))).toBe(false);
    expect(names.filter((n) => n.startsWith('wal-')).length).toBeGreaterThan(1);
    expect(await seqsOf(await createFileWal({ dir }).open())).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});

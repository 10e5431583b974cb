import { describe, expect, it } from 'vitest';
import { createSimulatedFileSystem, replayFileSystem } from './index.js';

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe('simulated file system', () => {
  it('loses unsynced appends at a crash, keeps synced ones, tears half of the rest', async () => {
    const fs = createSimulatedFileSystem();
    await fs.mkdir('/d');
    const file = await fs.openAppend('/d/f');
    await fs.syncDir('/d');
    await file.append(bytes(1, 2));
    await file.sync();
    await file.append(bytes(3, 4, 5, 6));
    expect([...(fs.crash({ data: 'lost', dir: 'kept' }).peek('/d/f') ?? [])]).toEqual([1, 2]);
  });

  it('keeps or tears the pending bytes by variant', async () => {
    const make = async () => {
      const fs = createSimulatedFileSystem();
      await fs.mkdir('/d');
      const file = await fs.openAppend('/d/f');
      await fs.syncDir('/d');
      await file.append(bytes(1, 2));
      await file.sync();
      await file.append(bytes(3, 4, 5, 6));
      return fs;
    };
    expect([...((await make()).crash({ data: 'kept', dir: 'kept' }).peek('/d/f') ?? [])]).toEqual([1, 2, 3, 4, 5, 6]);
    expect([...((await make()).crash({ data: 'torn', dir: 'kept' }).peek('/d/f') ?? [])]).toEqual([1, 2, 3, 4]);
  });

  it('loses directory entries not made durable with syncDir', async () => {
    const fs = createSimulatedFileSystem();
    await fs.mkdir('/d');
    const file = await fs.openAppend('/d/new');
    await file.append(bytes(9));
    await file.sync();
    expect(fs.crash({ data: 'kept', dir: 'lost' }).peek('/d/new')).toBeUndefined();
  });

  it('makes a rename durable only with syncDir', async () => {
    const fs = createSimulatedFileSystem();
    await fs.mkdir('/d');
    const tmp = await fs.openAppend('/d/x.tmp');
    await tmp.append(bytes(7));
    await tmp.sync();
    await fs.syncDir('/d');
    await fs.rename('/d/x.tmp', '/d/x');
    const lost = replayFileSystem(fs.log, fs.log.length, { data: 'kept', dir: 'lost' });
    expect(lost.peek('/d/x')).toBeUndefined();
    expect([...(lost.peek('/d/x.tmp') ?? [])]).toEqual([7]);
    await fs.syncDir('/d');
    expect([...(replayFileSystem(fs.log, fs.log.length, { data: 'lost', dir: 'lost' }).peek('/d/x') ?? [])]).toEqual([7]);
  });

  it('counts only what was written before a sync was called as synced', async () => {
    const fs = createSimulatedFileSystem();
    await fs.mkdir('/d');
    const file = await fs.openAppend('/d/f');
    await fs.syncDir('/d');
    await file.append(bytes(1));
    const syncing = file.sync();
    await file.append(bytes(2));
    await syncing;
    expect([...(fs.crash({ data: 'lost', dir: 'kept' }).peek('/d/f') ?? [])]).toEqual([1]);
  });

  it('fails the n-th write with EIO, and a crashed disk never answers again', async () => {
    const fs = createSimulatedFileSystem({ failAt: 1 });
    await fs.mkdir('/d');
    const file = await fs.openAppend('/d/f');
    await file.append(bytes(1));
    await expect(file.sync()).rejects.toMatchObject({ code: 'EIO' });
    fs.crash({ data: 'kept', dir: 'kept' });
    let settled = false;
    void fs.list('/d').then(() => (settled = true));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(settled).toBe(false);
  });

  it('keeps unsynced bytes and entries visible after a process crash, and loses them at a later power loss unless synced', async () => {
    const fs = createSimulatedFileSystem();
    await fs.mkdir('/d');
    const file = await fs.openAppend('/d/f');
    await fs.syncDir('/d');
    await file.append(bytes(1, 2));
    await file.sync();
    await file.append(bytes(3, 4));
    const unsyncedEntry = await fs.openAppend('/d/g');
    await unsyncedEntry.append(bytes(7));
    const next = fs.crashProcess();
    // The next process reads what the page cache holds.
    expect([...(next.peek('/d/f') ?? [])]).toEqual([1, 2, 3, 4]);
    expect([...(next.peek('/d/g') ?? [])]).toEqual([7]);
    // Nothing of it was made durable by the crash itself.
    const lost = next.crash({ data: 'lost', dir: 'lost' });
    expect([...(lost.peek('/d/f') ?? [])]).toEqual([1, 2]);
    expect(lost.peek('/d/g')).toBeUndefined();
  });

  it('makes what the next process syncs after a process crash durable, and nothing the dead one does later', async () => {
    const fs = createSimulatedFileSystem();
    await fs.mkdir('/d');
    const file = await fs.openAppend('/d/f');
    await fs.syncDir('/d');
    await file.append(bytes(1, 2));
    const next = fs.crashProcess();
    // The dead process's handle does nothing more.
    void file.sync();
    void file.append(bytes(9));
    await Promise.resolve();
    expect(next.crash({ data: 'lost', dir: 'lost' }).peek('/d/f')?.length).toBe(0);
    const again = fs.crashProcess();
    const reopened = await again.openAppend('/d/f');
    await reopened.sync();
    expect([...(again.crash({ data: 'lost', dir: 'lost' }).peek('/d/f') ?? [])]).toEqual([1, 2]);
  });
});

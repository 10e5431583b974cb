import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createManualClock, type Clock } from '@softadastra/sync-core';
import { runWalConformance, type WalInFlight } from '@softadastra/sync-testing';
import { createFileWal, createSimulatedFileSystem, nodeFileSystem, type CrashVariant, type SimulatedFileSystem } from '../src/index.js';
import { HEADER_BYTES, readRecord } from '../src/segment-format.js';

/** A clock for the simulated disk's fsyncs, with a lever to hold them (a hanging fsync). */
function createSyncGate(): { readonly clock: Clock; hold(): void; release(): void } {
  const manual = createManualClock();
  let held = false;
  const clock: Clock = {
    now: () => manual.now(),
    random: () => manual.random(),
    clearTimeout: (handle) => manual.clearTimeout(handle),
    setTimeout(callback, ms) {
      const handle = manual.setTimeout(callback, ms);
      queueMicrotask(() => {
        if (!held) manual.runUntilIdle();
      });
      return handle;
    },
  };
  return {
    clock,
    hold: () => {
      held = true;
    },
    release: () => {
      held = false;
      manual.runUntilIdle();
    },
  };
}

const VARIANT: Record<WalInFlight, CrashVariant> = {
  lose: { data: 'lost', dir: 'lost' },
  keep: { data: 'kept', dir: 'kept' },
  tear: { data: 'torn', dir: 'kept' },
};

/** Where each record of the segment files starts, in log order. */
function recordOffsets(files: ReadonlyArray<{ name: string; bytes: Uint8Array }>): Array<{ name: string; at: number; length: number }> {
  const out: Array<{ name: string; at: number; length: number }> = [];
  for (const { name, bytes } of files.filter((f) => f.name.startsWith('wal-')).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    for (let at = HEADER_BYTES, record = readRecord(bytes, at, 2 ** 30); record !== undefined; at = record.next, record = readRecord(bytes, at, 2 ** 30)) {
      out.push({ name, at, length: record.next - at });
    }
  }
  return out;
}

// On the simulated disk: every hook, crashes (of the machine, or of the process alone) with a write in flight included.
runWalConformance('file (simulated disk)', {
  create: () => {
    const gate = createSyncGate();
    let fs: SimulatedFileSystem = createSimulatedFileSystem({ clock: gate.clock, syncLatencyMs: 1 });
    const files = async (): Promise<Array<{ name: string; bytes: Uint8Array }>> =>
      Promise.all((await fs.list('/wal')).map(async (name) => ({ name, bytes: (await fs.readFile(`/wal/${name}`))! })));
    return {
      open: () => createFileWal({ dir: '/wal', fs }),
      crash: (options) => {
        fs = fs.crash(VARIANT[options?.inFlight ?? 'lose'], { clock: gate.clock, syncLatencyMs: 1 });
        gate.release();
      },
      // A kill -9: the page cache, and every unsynced byte in it, lives on until a later crash().
      crashProcess: () => {
        fs = fs.crashProcess({ clock: gate.clock, syncLatencyMs: 1 });
        gate.release();
      },
      holdWrites: () => gate.hold(),
      releaseWrites: () => gate.release(),
      tearTail: async () => {
        const last = recordOffsets(await files()).pop()!;
        fs.damage(`/wal/${last.name}`, (bytes) => bytes.subarray(0, last.at + Math.floor(last.length / 2)));
      },
      corruptRecord: async (index) => {
        const record = recordOffsets(await files())[index]!;
        fs.damage(`/wal/${record.name}`, (bytes) => {
          const copy = bytes.slice();
          const at = record.at + Math.floor(record.length / 2);
          copy[at] = copy[at]! ^ 0xff;
          return copy;
        });
      },
      failNextAppend: () => fs.failNextWrite(),
    };
  },
});

// On the real disk, in a temporary directory: damage by editing the files; a crash abandons the
// handles as a killed process would (without the lock file, which only a real process death frees).
runWalConformance('file (node fs)', {
  create: async () => {
    const dir = await mkdtemp(join(tmpdir(), 'wal-file-'));
    const { lock: _lock, ...unlocked } = nodeFileSystem();
    const files = async (): Promise<Array<{ name: string; bytes: Uint8Array }>> =>
      Promise.all((await readdir(dir)).map(async (name) => ({ name, bytes: new Uint8Array(await readFile(join(dir, name))) })));
    return {
      open: () => createFileWal({ dir, fs: unlocked }),
      crash: () => undefined,
      tearTail: async () => {
        const last = recordOffsets(await files()).pop()!;
        const bytes = await readFile(join(dir, last.name));
        await writeFile(join(dir, last.name), bytes.subarray(0, last.at + Math.floor(last.length / 2)));
      },
      corruptRecord: async (index) => {
        const record = recordOffsets(await files())[index]!;
        const bytes = await readFile(join(dir, record.name));
        const at = record.at + Math.floor(record.length / 2);
        bytes[at] = bytes[at]! ^ 0xff;
        await writeFile(join(dir, record.name), bytes);
      },
      cleanup: () => rm(dir, { recursive: true, force: true }),
    };
  },
});

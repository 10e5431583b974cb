import { open, mkdir, readdir, readFile, rename, rm, truncate, writeFile } from 'node:fs/promises';
import type { AppendHandle, WalFileSystem } from './file-system.js';
import { joinPath } from './file-system.js';

/**
 * The real file system, through `node:fs/promises`: appends with `O_APPEND`,
 * `fdatasync` for durability, `fsync` of the directory for its entries, and a
 * lock file holding the owner's pid (a lock left by a killed process is taken
 * over).
 */
export function nodeFileSystem(): WalFileSystem {
  return {
    async mkdir(dir) {
      await mkdir(dir, { recursive: true });
    },
    async list(dir) {
      return readdir(dir);
    },
    async readFile(path) {
      try {
        const buffer = await readFile(path);
        return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw error;
      }
    },
    async openAppend(path): Promise<AppendHandle> {
      const handle = await open(path, 'a');
      let size = (await handle.stat()).size;
      return {
        get size() {
          return size;
        },
        async append(bytes) {
          let written = 0;
          while (written < bytes.length) {
            const { bytesWritten } = await handle.write(bytes, written, bytes.length - written);
            written += bytesWritten;
          }
          size += bytes.length;
        },
        async sync() {
          await handle.datasync();
        },
        async close() {
          await handle.close();
        },
      };
    },
    async rename(from, to) {
      await rename(from, to);
    },
    async remove(path) {
      await rm(path, { force: true });
    },
    async truncate(path, size) {
      await truncate(path, size);
      const handle = await open(path, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    async syncDir(dir) {
      const handle = await open(dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    },
    async lock(dir) {
      const path = joinPath(dir, 'LOCK');
      if (heldHere.has(path)) throw Object.assign(new Error('already open in this process'), { code: 'ELOCKED', pid: process.pid });
      for (let attempt = 0; attempt < 2; attempt++) {
        try {
          await writeFile(path, String(process.pid), { flag: 'wx' });
          heldHere.add(path);
          return async () => {
            heldHere.delete(path);
            await rm(path, { force: true });
          };
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
          const owner = Number((await readFile(path, 'utf8').catch(() => '')).trim());
          if (Number.isInteger(owner) && owner > 0 && isAlive(owner)) {
            throw Object.assign(new Error(`locked by process ${owner}`), { code: 'ELOCKED', pid: owner });
          }
          // Left behind by a process that is gone (or by ourselves): take it over.
          await rm(path, { force: true });
        }
      }
      throw Object.assign(new Error('could not take the lock'), { code: 'ELOCKED' });
    },
  };
}

/** Lock files held by this process (a pid check cannot tell two handles of one process apart). */
const heldHere = new Set<string>();

function isAlive(pid: number): boolean {
  if (pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

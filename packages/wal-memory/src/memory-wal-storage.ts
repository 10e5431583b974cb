import { SyncError } from '@softadastra/sync-core';
import { FRAME_HEADER_BYTES } from './record-format.js';

/**
 * A simulated disk for {@link createMemoryWal}: it outlives the WAL handles
 * that use it, so a test can "crash" a process and recover from what was
 * durable.
 *
 * @remarks
 * Records are kept as encoded frames (see the README for the format), never
 * as the objects callers passed, so stored data cannot be changed by callers
 * and the damage helpers below damage real bytes. The storage remembers where
 * each record begins (as a disk knows where each write landed), so a damaged
 * length field never hides the records after it.
 */
export interface MemoryWalStorage {
  /** How many records are stored after the last snapshot, damaged ones included. */
  readonly records: number;
  /**
   * Simulates a crash of the process: every WAL handle created on this storage
   * so far dies. Appends and compactions not yet durable are lost and their
   * promises never settle (a dead process does nothing more); every later
   * call on those handles returns a promise that never settles either.
   * Durable records stay. A new {@link createMemoryWal} on this storage works
   * normally.
   *
   * @param options - `inFlight`: what happens to the append being written at
   * the moment of the crash (not yet acknowledged): `'lose'` it (the default),
   * `'keep'` it whole (it reached the disk, the acknowledgement did not), or
   * `'tear'` it (half of its first record reached the disk: a torn tail)
   */
  crash(options?: { readonly inFlight?: 'lose' | 'keep' | 'tear' }): void;
  /**
   * Flips one byte in the middle of stored record `index` (0-based, after the
   * snapshot), for corruption tests.
   *
   * @param index - which stored record to damage
   * @throws SyncError `E_INVALID_ARGUMENT` when there is no such record
   */
  corruptRecord(index: number): void;
  /**
   * Cuts the last stored record to half its bytes, as if the crash had
   * happened in the middle of writing it (a torn tail).
   *
   * @throws SyncError `E_INVALID_ARGUMENT` when no record is stored
   */
  tearTail(): void;
  /**
   * Makes the next `append()` (or `compact()`) issued on this storage fail
   * with `WalError` `E_WAL_FAILED`; its handle then becomes failed. Calls add
   * up: two calls fail the next two.
   *
   * @param kind - which operation fails @default 'append'
   */
  failNext(kind?: 'append' | 'compact'): void;
  /** Total stored bytes: the snapshot's frame plus every record's frame. */
  bytes(): number;
}

/**
 * What the WAL handles see of a storage; not part of the public API.
 *
 * @internal
 */
export interface StorageState {
  /** The snapshot's frame, if a compaction completed. */
  snapshot: Uint8Array | undefined;
  /** One frame per record after the snapshot, in append order. */
  frames: Uint8Array[];
  /** Bumped by every crash; a handle from an older generation is dead. */
  generation: number;
  /** The frames of the append being written now, if any (what a crash may keep or tear). */
  writing: Uint8Array[] | undefined;
  /** The handle holding the storage open, if any (the lock). */
  holder: object | undefined;
  /** Failures requested through `failNext`, still to inject. */
  readonly failures: { append: number; compact: number };
}

const states = new WeakMap<MemoryWalStorage, StorageState>();

/**
 * Creates an empty simulated disk, to share between successive
 * {@link createMemoryWal} handles across simulated crashes.
 */
export function createMemoryWalStorage(): MemoryWalStorage {
  const state: StorageState = { snapshot: undefined, frames: [], generation: 0, writing: undefined, holder: undefined, failures: { append: 0, compact: 0 } };
  const storage: MemoryWalStorage = {
    get records() {
      return state.frames.length;
    },
    crash(options) {
      const writing = state.writing;
      if (writing !== undefined && writing.length > 0) {
        if (options?.inFlight === 'keep') state.frames.push(...writing);
        else if (options?.inFlight === 'tear') state.frames.push(writing[0]!.slice(0, Math.max(1, writing[0]!.length >> 1)));
      }
      state.writing = undefined;
      state.generation += 1;
      state.holder = undefined;
    },
    corruptRecord(index) {
      const frame = state.frames[index];
      if (!Number.isInteger(index) || frame === undefined) {
        throw new SyncError('E_INVALID_ARGUMENT', `no record ${String(index)} to corrupt: the storage holds ${state.frames.length} records`);
      }
      // Past the header when there is a payload, so the checksum (not the length) catches it.
      const at = frame.length > FRAME_HEADER_BYTES ? FRAME_HEADER_BYTES + ((frame.length - FRAME_HEADER_BYTES) >> 1) : frame.length >> 1;
      const damaged = frame.slice();
      damaged[at] = damaged[at]! ^ 0xff;
      state.frames[index] = damaged;
    },
    tearTail() {
      const last = state.frames.length - 1;
      const frame = state.frames[last];
      if (frame === undefined) throw new SyncError('E_INVALID_ARGUMENT', 'no record to tear: the storage holds none');
      state.frames[last] = frame.slice(0, frame.length >> 1);
    },
    failNext(kind = 'append') {
      if (kind !== 'append' && kind !== 'compact') {
        throw new SyncError('E_INVALID_ARGUMENT', `failNext() takes 'append' or 'compact', got ${JSON.stringify(kind)}`);
      }
      state.failures[kind] += 1;
    },
    bytes() {
      let total = state.snapshot?.length ?? 0;
      for (const frame of state.frames) total += frame.length;
      return total;
    },
  };
  states.set(storage, state);
  return storage;
}

/**
 * The internal state behind a storage made by {@link createMemoryWalStorage}.
 *
 * @internal
 * @throws SyncError `E_INVALID_ARGUMENT` for any other object
 */
export function storageState(storage: MemoryWalStorage): StorageState {
  const state = states.get(storage);
  if (state === undefined) {
    throw new SyncError('E_INVALID_ARGUMENT', 'the `storage` option must come from createMemoryWalStorage()');
  }
  return state;
}

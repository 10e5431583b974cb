import { createManualClock, type Clock } from '@softadastra/sync-core';
import { runWalConformance } from '@softadastra/sync-testing';
import { createMemoryWal, createMemoryWalStorage } from '../src/index.js';

/**
 * A clock on which the memory WAL times its writes, with a lever to hold them:
 * while held, a write started stays in flight (not durable, its append
 * pending), which is what a crash needs to find in flight. Otherwise each
 * write completes on a microtask, as without a clock.
 */
function createWriteGate(): { readonly clock: Clock; hold(): void; release(): void } {
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
    hold() {
      held = true;
    },
    release() {
      held = false;
      manual.runUntilIdle();
    },
  };
}

// Writes are timed on a clock that the suite can hold, so that a crash can find one in flight.
runWalConformance('memory', {
  create: () => {
    const storage = createMemoryWalStorage();
    const gate = createWriteGate();
    return {
      open: () => createMemoryWal({ storage, clock: gate.clock, latencyMs: 1 }),
      crash: (options) => {
        storage.crash(options);
        // A new process: the writes of the dead one are gone, the disk works again.
        gate.release();
      },
      holdWrites: () => gate.hold(),
      releaseWrites: () => gate.release(),
      tearTail: () => storage.tearTail(),
      corruptRecord: (index) => storage.corruptRecord(index),
      failNextAppend: () => storage.failNext('append'),
    };
  },
});

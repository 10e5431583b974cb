/**
 * The clock given to the memory transport in this benchmark.
 *
 * @remarks
 * The memory network schedules every delivery as `clock.setTimeout(…, 0)`.
 * With real timers Node makes that at least 1 ms, so a benchmark of a
 * thousand live messages would measure Node's timer granularity, not our
 * engine; the libraries we compare with hand bytes over synchronously. This
 * clock runs zero-delay callbacks with `setImmediate` (first in, first out,
 * so the transport stays ordered) and real delays with `setTimeout`: a
 * message still crosses an event-loop turn, as on a real socket, but costs
 * no artificial millisecond. Only the transport uses it; the engine keeps
 * the system clock for its protocol timers.
 */
import type { Clock } from '@softadastra/sync-core';
import { seededRandom } from './seeded-items.ts';

type Handle = { immediate: NodeJS.Immediate } | { timeout: NodeJS.Timeout };

export function createImmediateClock(seed = 1): Clock {
  return {
    now: () => Date.now(),
    setTimeout(callback, ms): Handle {
      return ms <= 0 ? { immediate: setImmediate(callback) } : { timeout: setTimeout(callback, ms) };
    },
    clearTimeout(handle) {
      const h = handle as Handle | undefined;
      if (h === undefined || h === null) return;
      if ('immediate' in h) clearImmediate(h.immediate);
      else clearTimeout(h.timeout);
    },
    random: seededRandom(seed),
  };
}

import { SyncError, type SeededRandom } from '@softadastra/sync-core';

/**
 * What the network does to messages: each rate is a probability per message,
 * drawn from the network's seeded random source.
 */
export interface NetworkFaults {
  /**
   * Probability that a message is dropped.
   * @default 0
   */
  readonly loss?: number;
  /**
   * Probability that a message is delivered twice; the copy gets its own delay
   * (and its own chance of being reordered or corrupted).
   * @default 0
   */
  readonly duplicate?: number;
  /**
   * Probability that a message waits an extra delay, drawn uniformly from
   * (0, 2 × the largest latency + 10 ms], so later messages overtake it.
   * @default 0
   */
  readonly reorder?: number;
  /**
   * Probability that one byte of a message (at a random position) is changed
   * to another value. Empty messages cannot be corrupted.
   * @default 0
   */
  readonly corrupt?: number;
  /**
   * Delay of each message in milliseconds: a fixed number, or a range drawn
   * uniformly per message (which lets messages overtake each other).
   * @default 0
   */
  readonly latency?: number | { readonly min: number; readonly max: number };
}

/** {@link NetworkFaults} with every default filled in and checked. */
export interface ResolvedFaults {
  /** See {@link NetworkFaults.loss}. */
  readonly loss: number;
  /** See {@link NetworkFaults.duplicate}. */
  readonly duplicate: number;
  /** See {@link NetworkFaults.reorder}. */
  readonly reorder: number;
  /** See {@link NetworkFaults.corrupt}. */
  readonly corrupt: number;
  /** See {@link NetworkFaults.latency}. */
  readonly latency: number | { readonly min: number; readonly max: number };
}

/**
 * Fills in the defaults of `faults` and checks them.
 *
 * @param faults - the rates given (other fields are ignored)
 * @throws SyncError `E_INVALID_ARGUMENT` for a rate outside [0, 1] or a bad latency
 */
export function resolveFaults(faults: NetworkFaults): ResolvedFaults {
  const probability = (name: keyof NetworkFaults): number => {
    const value: unknown = faults[name] ?? 0;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new SyncError('E_INVALID_ARGUMENT', `network fault "${name}" must be a probability between 0 and 1, got ${String(value)}`);
    }
    return value;
  };
  const latency: unknown = faults.latency ?? 0;
  let resolvedLatency: ResolvedFaults['latency'];
  if (typeof latency === 'number') {
    if (!Number.isFinite(latency) || latency < 0) throw new SyncError('E_INVALID_ARGUMENT', `network latency must be a finite number of ms ≥ 0, got ${latency}`);
    resolvedLatency = latency;
  } else {
    const { min, max } = (latency ?? {}) as { min?: unknown; max?: unknown };
    if (!isDelay(min) || !isDelay(max) || min > max) {
      throw new SyncError('E_INVALID_ARGUMENT', `network latency must be a number or { min, max } with 0 ≤ min ≤ max, got ${JSON.stringify(latency)}`);
    }
    resolvedLatency = Object.freeze({ min, max });
  }
  return Object.freeze({
    loss: probability('loss'),
    duplicate: probability('duplicate'),
    reorder: probability('reorder'),
    corrupt: probability('corrupt'),
    latency: resolvedLatency,
  });
}

/**
 * Draws the delay of one message (or of a link coming up).
 *
 * @param faults - the current faults
 * @param random - the link's random source; untouched when the latency is fixed
 */
export function drawLatency(faults: ResolvedFaults, random: SeededRandom): number {
  const latency = faults.latency;
  if (typeof latency === 'number') return latency;
  return latency.min + random.next() * (latency.max - latency.min);
}

/**
 * Draws the extra delay of a reordered message: in (0, 2 × the largest latency + 10 ms].
 *
 * @param faults - the current faults
 * @param random - the link's random source
 */
export function drawReorderDelay(faults: ResolvedFaults, random: SeededRandom): number {
  const largest = typeof faults.latency === 'number' ? faults.latency : faults.latency.max;
  return (1 - random.next()) * (2 * largest + 10);
}

function isDelay(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

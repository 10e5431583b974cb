import type { JsonValue, OpId, PeerId, VersionVectorJson } from '@softadastra/sync-core';

/**
 * The lines a kill-test child prints on stdout, one event per line, and their
 * parsing by the parent.
 *
 * ```
 * (parent → child, on stdin: GO, when the child may open the storage)
 * READY <json KillChildState>            once the engine has recovered the storage
 * ACK <origin>:<seq> <collection>/<key> <value json>   after each put() resolved
 * CLOSED                                 in verify mode, once the engine closed cleanly
 * ```
 *
 * A line is only counted once its newline arrived: a SIGKILL in the middle of
 * a line loses that line, never makes up another.
 */

/** Environment variable telling the child what to do: `write` (the default) or `verify`. */
export const KILL_MODE_ENV = 'SOFTADASTRA_KILL_MODE';
/** Environment variable holding the child's life number (0, 1, …), written into its values. */
export const KILL_LIFE_ENV = 'SOFTADASTRA_KILL_LIFE';
/**
 * Environment variable set to `stdin` when the child must wait for a `GO`
 * line on stdin before it opens the storage: the parent starts each child
 * ahead of its turn, so that it loads while the previous one runs.
 */
export const KILL_GO_ENV = 'SOFTADASTRA_KILL_GO';

/** What a child recovered from the storage, as printed in its `READY` line. */
export interface KillChildState {
  /** The engine's peer id (kept in the WAL's metadata). */
  readonly peer: PeerId;
  /** The recovered version vector. */
  readonly vv: VersionVectorJson;
  /** How many operations the vector holds. */
  readonly ops: number;
  /** Every key's winner: `[collection, key, origin, seq, value]`. */
  readonly winners: readonly (readonly [string, string, PeerId, number, JsonValue])[];
}

/** One acknowledged write, as printed in an `ACK` line. */
export interface KillAck extends OpId {
  readonly collection: string;
  readonly key: string;
  /** The value as the child printed it (JSON). */
  readonly value: string;
}

/** A parsed stdout line of a child. */
export type KillLine =
  | { readonly type: 'ready'; readonly state: KillChildState }
  | { readonly type: 'ack'; readonly ack: KillAck }
  | { readonly type: 'closed' }
  | { readonly type: 'other'; readonly text: string };

/** Formats the `ACK` line of a write. */
export function formatAck(origin: string, seq: number, collection: string, key: string, value: JsonValue | undefined): string {
  return `ACK ${origin}:${seq} ${collection}/${key} ${JSON.stringify(value ?? null)}\n`;
}

/** Formats the `READY` line of a recovered state. */
export function formatReady(state: KillChildState): string {
  return `READY ${JSON.stringify(state)}\n`;
}

/**
 * Parses one complete line (without its newline). Lines the protocol does not
 * know (a log message of the adapter, say) come back as `other`.
 */
export function parseKillLine(line: string): KillLine {
  if (line.startsWith('ACK ')) {
    const idEnd = line.indexOf(' ', 4);
    const placeEnd = idEnd < 0 ? -1 : line.indexOf(' ', idEnd + 1);
    const id = idEnd < 0 ? '' : line.slice(4, idEnd);
    const colon = id.lastIndexOf(':');
    const place = placeEnd < 0 ? '' : line.slice(idEnd + 1, placeEnd);
    const slash = place.indexOf('/');
    const seq = Number(id.slice(colon + 1));
    if (colon > 0 && slash > 0 && Number.isSafeInteger(seq) && seq > 0) {
      return {
        type: 'ack',
        ack: { origin: id.slice(0, colon), seq, collection: place.slice(0, slash), key: place.slice(slash + 1), value: line.slice(placeEnd + 1) },
      };
    }
  } else if (line.startsWith('READY ')) {
    try {
      return { type: 'ready', state: JSON.parse(line.slice(6)) as KillChildState };
    } catch {
      // Falls through: reported as an unknown line.
    }
  } else if (line === 'CLOSED') {
    return { type: 'closed' };
  }
  return { type: 'other', text: line };
}

/** The JSON of `value` with object keys sorted, to compare values whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

import { isOperationType, isPeerId, type OperationType, type SyncErrorCode } from '@softadastra/sync-core';
import type { DeclaredPolicy } from '@softadastra/sync-engine';
import { intentType, isDeclaredPolicy, parseIntent, type TypedIntent } from '../typed-intent.js';

/**
 * The tab bus: how the tabs of one origin that share a peer talk over a
 * `BroadcastChannel`, besides the sync sessions (transport-broadcast) that
 * keep each follower's replica up to date. Version 1. @internal
 *
 * - `who`: a tab asks who leads; the leader answers `leader`.
 * - `leader`: the tab that holds the election lock, sent when it takes over
 *   and to every `who`. Followers send their requests to it.
 * - `req` / `res`: a follower's request (open a space, write, wait for an
 *   ack, ask the relay for a digest, go offline or online, declare a
 *   collection's policy, write to a typed collection) and its answer, matched
 *   by `(tab, id)`. Unanswered requests are sent again to a new leader —
 *   except typed writes (`update`): the old leader may have made one durable
 *   before it died, and a counter increment applied twice is a wrong total,
 *   so they fail with `E_CLOSED` instead.
 * - `update` carries an intent (`increment`/`decrement` by `n`, `add`/`remove`
 *   a value, `mv` a value, `map` fields to set and delete), never a payload:
 *   the leader computes the payload from its own state, which a follower's
 *   replica may lag behind.
 * - `state`: a space's sync status, pending count and what the relay has
 *   acknowledged of the peer's own writes, sent by the leader as they change.
 *
 * Every message is checked field by field: anything that is not the bus's is
 * ignored (other code may use the channel name), never thrown into the
 * channel's callback.
 */
export const BUS_MARK = 'softadastra-tabs';
export const BUS_VERSION = 1;

export type RequestCall =
  | { readonly call: 'open'; readonly space: string }
  | { readonly call: 'put'; readonly space: string; readonly collection: string; readonly key: string; readonly value: unknown }
  | { readonly call: 'delete'; readonly space: string; readonly collection: string; readonly key: string }
  | { readonly call: 'declare'; readonly space: string; readonly collection: string; readonly policy: DeclaredPolicy }
  | { readonly call: 'update'; readonly space: string; readonly collection: string; readonly key: string; readonly type: OperationType; readonly intent: TypedIntent }
  | { readonly call: 'acked'; readonly space: string; readonly origin: string; readonly seq: number }
  | { readonly call: 'digest'; readonly space: string; readonly leaves: boolean; readonly timeoutMs: number | undefined }
  | { readonly call: 'online'; readonly online: boolean };

export interface SpaceState {
  readonly status: 'offline' | 'connecting' | 'syncing' | 'synced';
  readonly pending: number;
  /** The peer's own seqs the relay holds, as `[from, to]` ranges. */
  readonly acked: ReadonlyArray<readonly [number, number]>;
}

export type BusMessage =
  | { readonly t: 'who'; readonly tab: string }
  | { readonly t: 'leader'; readonly tab: string }
  | ({ readonly t: 'req'; readonly tab: string; readonly to: string; readonly id: number } & RequestCall)
  | { readonly t: 'res'; readonly tab: string; readonly to: string; readonly id: number; readonly ok: true; readonly result: unknown }
  | { readonly t: 'res'; readonly tab: string; readonly to: string; readonly id: number; readonly ok: false; readonly code: SyncErrorCode; readonly message: string }
  | ({ readonly t: 'state'; readonly tab: string; readonly space: string } & SpaceState);

const STATUSES = new Set(['offline', 'connecting', 'syncing', 'synced']);
const MAX_TEXT = 4096;

const isText = (value: unknown, max = MAX_TEXT): value is string => typeof value === 'string' && value.length > 0 && value.length <= max;
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** Reads a bus message, or `undefined` for anything that is not a well-formed one. */
export function parseBusMessage(data: unknown): BusMessage | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const m = data as Record<string, unknown>;
  if (m['m'] !== BUS_MARK || m['v'] !== BUS_VERSION || !isPeerId(m['tab'])) return undefined;
  const tab = m['tab'];
  switch (m['t']) {
    case 'who':
    case 'leader':
      return { t: m['t'], tab };
    case 'req': {
      if (!isPeerId(m['to']) || !isCount(m['id'])) return undefined;
      const call = parseCall(m);
      return call === undefined ? undefined : { t: 'req', tab, to: m['to'], id: m['id'], ...call };
    }
    case 'res': {
      if (!isPeerId(m['to']) || !isCount(m['id'])) return undefined;
      if (m['ok'] === true) return { t: 'res', tab, to: m['to'], id: m['id'], ok: true, result: m['result'] };
      if (m['ok'] !== false || !isText(m['code'], 64) || typeof m['message'] !== 'string') return undefined;
      return { t: 'res', tab, to: m['to'], id: m['id'], ok: false, code: m['code'] as SyncErrorCode, message: m['message'].slice(0, MAX_TEXT) };
    }
    case 'state': {
      if (!isText(m['space'], 128) || !STATUSES.has(m['status'] as string) || !isCount(m['pending']) || !Array.isArray(m['acked'])) return undefined;
      const acked: Array<readonly [number, number]> = [];
      for (const range of m['acked'] as unknown[]) {
        if (!Array.isArray(range) || range.length !== 2 || !isCount(range[0]) || !isCount(range[1]) || range[0] < 1 || range[1] < range[0]) return undefined;
        acked.push([range[0], range[1]]);
      }
      return { t: 'state', tab, space: m['space'], status: m['status'] as SpaceState['status'], pending: m['pending'], acked };
    }
    default:
      return undefined;
  }
}

function parseCall(m: Record<string, unknown>): RequestCall | undefined {
  const call = m['call'];
  if (call === 'online') return typeof m['online'] === 'boolean' ? { call, online: m['online'] } : undefined;
  const space = m['space'];
  if (!isText(space, 128)) return undefined;
  switch (call) {
    case 'open':
      return { call, space };
    case 'put':
    case 'delete': {
      // Names are checked again by the leader's engine, with the limits in force.
      if (typeof m['collection'] !== 'string' || typeof m['key'] !== 'string') return undefined;
      if (call === 'delete') return { call, space, collection: m['collection'], key: m['key'] };
      return 'value' in m ? { call, space, collection: m['collection'], key: m['key'], value: m['value'] } : undefined;
    }
    case 'declare':
      return typeof m['collection'] === 'string' && isDeclaredPolicy(m['policy']) ? { call, space, collection: m['collection'], policy: m['policy'] } : undefined;
    case 'update': {
      if (typeof m['collection'] !== 'string' || typeof m['key'] !== 'string' || !isOperationType(m['type'])) return undefined;
      // The intent's values are checked again by the leader (checkIntent), with the limits in force.
      const intent = parseIntent(m['intent']);
      if (intent === undefined || intentType(intent) !== m['type']) return undefined;
      return { call, space, collection: m['collection'], key: m['key'], type: m['type'], intent };
    }
    case 'acked':
      return isPeerId(m['origin']) && isCount(m['seq']) && m['seq'] >= 1 ? { call, space, origin: m['origin'], seq: m['seq'] } : undefined;
    case 'digest': {
      const timeoutMs = m['timeoutMs'];
      if (typeof m['leaves'] !== 'boolean' || (timeoutMs !== undefined && !isCount(timeoutMs))) return undefined;
      return { call, space, leaves: m['leaves'], timeoutMs };
    }
    default:
      return undefined;
  }
}

/** The object posted for a message. */
export function busObject(message: BusMessage): Record<string, unknown> {
  return { m: BUS_MARK, v: BUS_VERSION, ...message };
}

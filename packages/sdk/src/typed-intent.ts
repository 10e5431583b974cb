import { SyncError, checkValue, isOperationType, type JsonValue, type Limits, type OperationType, type PeerId } from '@softadastra/sync-core';
import { checkNames } from './names.js';
import {
  counterDecrement,
  counterIncrement,
  mapWrite,
  mvWrite,
  setAdd,
  setRemove,
  validateMapPayload,
  type CounterState,
  type MvState,
  type SetState,
} from '@softadastra/sync-reconciler';

/**
 * What a write to a typed collection means, as plain data: the payload it
 * becomes is computed from the key's state by whoever stamps the write (this
 * peer's engine, or the leading tab's when tabs share a peer), never from a
 * state that may lag behind. @internal
 */
export type TypedIntent =
  | { readonly op: 'increment'; readonly n: number }
  | { readonly op: 'decrement'; readonly n: number }
  | { readonly op: 'add'; readonly value: JsonValue }
  | { readonly op: 'remove'; readonly value: JsonValue }
  | { readonly op: 'mv'; readonly value: JsonValue }
  | { readonly op: 'map'; readonly set: { readonly [field: string]: JsonValue }; readonly del: readonly string[] };

/** The policy an intent writes. @internal */
export function intentType(intent: TypedIntent): OperationType {
  switch (intent.op) {
    case 'increment':
    case 'decrement':
      return 'counter';
    case 'add':
    case 'remove':
      return 'set';
    case 'mv':
      return 'mv';
    case 'map':
      return 'map';
  }
}

/**
 * The payload of an intent on the key's current policy state.
 *
 * @throws SyncError `E_INVALID_ARGUMENT` when a counter's total would pass `Number.MAX_SAFE_INTEGER`
 * @internal
 */
export function intentPayload(intent: TypedIntent, state: unknown, origin: PeerId): JsonValue {
  switch (intent.op) {
    case 'increment':
      return counterIncrement(state as CounterState, origin, intent.n) as unknown as JsonValue;
    case 'decrement':
      return counterDecrement(state as CounterState, origin, intent.n) as unknown as JsonValue;
    case 'add':
      return setAdd(intent.value);
    case 'remove':
      return setRemove(state as SetState, intent.value);
    case 'mv':
      return mvWrite(state as MvState, intent.value) as unknown as JsonValue;
    case 'map':
      return mapWrite(intent.set, intent.del) as unknown as JsonValue;
  }
}

/**
 * Checks a typed write before anything is sent or stamped: the names, the
 * amount, the value. The same check runs in the tab that writes and in the
 * leading tab that serves it.
 *
 * @throws SyncError `E_INVALID_COLLECTION`, `E_INVALID_KEY`, `E_INVALID_ARGUMENT` (an amount that is not a
 * positive safe integer), `E_INVALID_VALUE` (not JSON, or a map write naming no field, a field twice…), `E_TOO_LARGE`
 * @internal
 */
export function checkIntent(collection: string, key: string, intent: TypedIntent, limits: Limits): void {
  checkNames(collection, key, limits);
  switch (intent.op) {
    case 'increment':
    case 'decrement':
      if (typeof intent.n !== 'number' || !Number.isSafeInteger(intent.n) || intent.n <= 0) {
        throw new SyncError('E_INVALID_ARGUMENT', `${collection}/${key}: ${intent.op} takes a positive safe integer amount, got ${describe(intent.n)}`);
      }
      return;
    case 'add':
    case 'remove':
    case 'mv': {
      const checked = checkValue(intent.value, limits);
      if (!checked.ok) throw new SyncError(checked.error.code, `${collection}/${key}: ${checked.error.message}`, { cause: checked.error });
      return;
    }
    case 'map': {
      const checked = validateMapPayload(mapWrite(intent.set, intent.del));
      if (!checked.ok) throw new SyncError(checked.error.code, `${collection}/${key}: ${checked.error.message}`, { cause: checked.error });
      const size = checkValue(intent.set, limits);
      if (!size.ok) throw new SyncError(size.error.code, `${collection}/${key}: ${size.error.message}`, { cause: size.error });
      return;
    }
  }
}

/** Reads an intent from the tab bus (structure only: {@link checkIntent} runs after), or `undefined`. @internal */
export function parseIntent(input: unknown): TypedIntent | undefined {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return undefined;
  const o = input as Record<string, unknown>;
  switch (o['op']) {
    case 'increment':
    case 'decrement':
      return typeof o['n'] === 'number' ? { op: o['op'], n: o['n'] } : undefined;
    case 'add':
    case 'remove':
    case 'mv':
      return 'value' in o ? { op: o['op'], value: o['value'] as JsonValue } : undefined;
    case 'map': {
      const set = o['set'];
      const del = o['del'];
      if (typeof set !== 'object' || set === null || Array.isArray(set) || !Array.isArray(del) || !del.every((field) => typeof field === 'string')) return undefined;
      return { op: 'map', set: set as { readonly [field: string]: JsonValue }, del: del };
    }
    default:
      return undefined;
  }
}

/** Whether a text names a policy a collection can be declared with. @internal */
export function isDeclaredPolicy(value: unknown): value is 'lww' | OperationType {
  return value === 'lww' || isOperationType(value);
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}

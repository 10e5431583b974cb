import { SyncError, isPeerId, isSeq, type OpId, type PeerId } from '@softadastra/sync-core';
import { isPlainObject } from './policy.js';

/**
 * What a write had seen of its key, as a version vector: per origin, the
 * greatest seq of that origin's writes to the key it had seen (directly or
 * through a write it had seen).
 *
 * @remarks
 * One number per origin is enough because an origin's writes to a key are
 * sequential at that origin: its write `seq 9` was made by a replica that had
 * applied its own `seq 4`, so having seen `(o, 9)` means having seen the
 * effect of every earlier `(o, s)` to this key. The context is the range
 * `1..max` per origin — O(origins), never O(history). Seqs of the origin's
 * writes to other keys fall inside the range too; they never name a write to
 * this key, so they are harmless.
 */
export type CausalContext = { readonly [origin: PeerId]: number };

/** Bounds a context accepted from a remote. */
export const MAX_CONTEXT_ORIGINS = 4096;

const EMPTY: CausalContext = Object.freeze({});

/** The empty context: a write that had seen nothing. */
export function emptyContext(): CausalContext {
  return EMPTY;
}

/** Whether `context` covers the write `id`. */
export function contextHas(context: CausalContext, id: OpId): boolean {
  return Object.prototype.hasOwnProperty.call(context, id.origin) && (context[id.origin] ?? 0) >= id.seq;
}

/** The pointwise maximum of contexts (and of op ids, each seen by itself). */
export function joinContexts(contexts: Iterable<CausalContext>, ids: Iterable<OpId> = []): CausalContext {
  const out = new Map<PeerId, number>();
  for (const context of contexts) {
    for (const origin of Object.keys(context)) {
      const seq = context[origin]!;
      if (seq > (out.get(origin) ?? 0)) out.set(origin, seq);
    }
  }
  for (const id of ids) if (id.seq > (out.get(id.origin) ?? 0)) out.set(id.origin, id.seq);
  return sortedContext(out);
}

/** Whether `a` covers everything `b` covers. */
export function contextDominates(a: CausalContext, b: CausalContext): boolean {
  for (const origin of Object.keys(b)) if (!contextHas(a, { origin, seq: b[origin]! })) return false;
  return true;
}

/** Whether two contexts cover the same writes. */
export function sameContext(a: CausalContext, b: CausalContext): boolean {
  return contextDominates(a, b) && contextDominates(b, a);
}

/**
 * What causality can be read from: an operation's id and, when it has them,
 * its dependencies (a causal space's writes, core's `Dependencies`) and its
 * causal context for its key (an mv write, a set remove: `value.context`).
 * Any core `Operation` is one.
 */
export interface ContextualOperation extends OpId {
  readonly deps?: { readonly [origin: PeerId]: number };
  readonly value?: unknown;
}

/** The causal context an mv write or a set remove carries in its payload, if `op` has one. */
function contextOf(op: ContextualOperation): CausalContext | undefined {
  const value = op.value;
  if (typeof value !== 'object' || value === null) return undefined;
  const context = (value as { readonly context?: unknown }).context;
  return typeof context === 'object' && context !== null && !Array.isArray(context) ? (context as CausalContext) : undefined;
}

/**
 * Whether `a` happened before `b`: `b`'s writer had seen `a` — its own
 * earlier write, one its dependencies name (a causal space), or one its
 * causal context for the key names (an mv write, a set remove).
 *
 * @remarks
 * Only what the operations carry can tell: two LWW writes of different peers
 * outside a causal space carry nothing, and count as concurrent.
 */
export function happenedBefore(a: OpId, b: ContextualOperation): boolean {
  if (a.origin === b.origin) return a.seq < b.seq;
  const dep = b.deps?.[a.origin];
  if (dep !== undefined && dep >= a.seq) return true;
  const context = contextOf(b);
  return context !== undefined && contextHas(context, a);
}

/** Whether neither of two distinct operations had seen the other. */
export function concurrent(a: ContextualOperation, b: ContextualOperation): boolean {
  if (a.origin === b.origin && a.seq === b.seq) return false;
  return !happenedBefore(a, b) && !happenedBefore(b, a);
}

/**
 * Checks an untrusted context: an object of at most
 * {@link MAX_CONTEXT_ORIGINS} peer ids to positive seqs.
 *
 * @returns the context (a sorted copy), or the error
 */
export function checkContext(input: unknown, what: string): { readonly ok: true; readonly context: CausalContext } | { readonly ok: false; readonly error: SyncError } {
  if (!isPlainObject(input)) return { ok: false, error: new SyncError('E_INVALID_VALUE', `${what}: the context must be an object of origin → seq`) };
  const origins = Object.keys(input);
  if (origins.length > MAX_CONTEXT_ORIGINS) {
    return { ok: false, error: new SyncError('E_TOO_LARGE', `${what}: the context names ${origins.length} origins, more than ${MAX_CONTEXT_ORIGINS}`) };
  }
  const out = new Map<PeerId, number>();
  for (const origin of origins) {
    const seq = input[origin];
    const name: string = origin;
    if (!isPeerId(origin)) return { ok: false, error: new SyncError('E_INVALID_VALUE', `${what}: context origin ${JSON.stringify(name.slice(0, 80))} is not a peer id`) };
    if (!isSeq(seq)) return { ok: false, error: new SyncError('E_INVALID_VALUE', `${what}: context seq of "${origin}" must be a positive integer`) };
    out.set(origin, seq);
  }
  return { ok: true, context: sortedContext(out) };
}

function sortedContext(entries: ReadonlyMap<PeerId, number>): CausalContext {
  if (entries.size === 0) return EMPTY;
  const out: Record<PeerId, number> = {};
  for (const origin of [...entries.keys()].sort()) out[origin] = entries.get(origin)!;
  return Object.freeze(out);
}

import { opIdKey, type Operation, type OperationType } from '@softadastra/sync-core';
import type { SyncEngine } from '@softadastra/sync-engine';
import type { History } from './history.js';
import { placeOf } from './oracle.js';
import { canonical, expectedTypedValue, isTypedOp, normalizedValue, totalsOf } from './policy-specs.js';

/** The operations of one typed key. */
interface TypedPlace {
  readonly type: OperationType;
  readonly collection: string;
  readonly key: string;
  readonly ops: Operation[];
}

/**
 * The typed operations of each place (`collection/key`): of `ops`, those
 * `has` keeps.
 */
function byPlace(ops: Iterable<Operation>, has: (op: Operation) => boolean): Map<string, TypedPlace> {
  const places = new Map<string, TypedPlace>();
  for (const op of ops) {
    if (!isTypedOp(op) || !has(op)) continue;
    const place = placeOf(op);
    let entry = places.get(place);
    if (entry === undefined) places.set(place, (entry = { type: op.type, collection: op.collection, key: op.key, ops: [] }));
    entry.ops.push(op);
  }
  return places;
}

/** The latest operation of `origin` in `ops` with a seq below `below`. */
function latestOf(ops: readonly Operation[], origin: string, below = Infinity): Operation | undefined {
  let latest: Operation | undefined;
  for (const op of ops) if (op.origin === origin && op.seq < below && (latest === undefined || op.seq > latest.seq)) latest = op;
  return latest;
}

/** Whether `op`'s causal context names `id`. */
function contextNames(op: Operation, id: Operation): boolean {
  const context = op.kind === 'put' ? ((op.value as { context?: Record<string, number> } | null)?.context ?? {}) : {};
  return Object.prototype.hasOwnProperty.call(context, id.origin) && (context[id.origin] ?? 0) >= id.seq;
}

/**
 * Checks every typed key of every converged engine against the reference
 * specs (policy-specs.ts), and the acknowledged typed writes against what
 * they meant.
 *
 * @remarks
 * The history of a key is every typed operation that became durable at
 * some storage (recorded by the WAL observer, sim-wal.ts, with its content:
 * on each acknowledged append, and on each replay — so the appends a crash
 * kept without acknowledging them count too) whose id the engine's version
 * vector holds. That is sound because a version vector only ever names
 * durable operations (an operation is sent, and `covered` claims it, only
 * once durable); the engine itself may have dropped a superseded one (an
 * older counter total, a covered add), but its effect must be in the value.
 * The phantom check makes sure of the premise: an id in a vector whose
 * content no storage ever held is a violation.
 *
 * @returns how many acknowledged typed writes are lost (missing at some peer, or not counted)
 */
export function checkTypedCollections(history: History, engines: readonly SyncEngine[], typedCollections: ReadonlyMap<string, OperationType>, log: (message: string) => void): number {
  const durable = [...history.durable.values()];
  let lost = 0;
  const lostIds = new Set<string>();
  const loseAt = (op: Operation, engine: SyncEngine, why: string): void => {
    const id = opIdKey(op);
    if (lostIds.has(id)) return;
    lostIds.add(id);
    lost++;
    if (lost <= 5) log(`LOST acknowledged ${op.kind === 'put' ? op.type : ''} write ${id} (${placeOf(op)}) at ${engine.peerId}: ${why}`);
  };
  for (const engine of engines) {
    const vv = engine.versionVector();
    // Premise: every id the vector names was durable somewhere (so its content is known).
    phantom: for (const origin of vv.origins()) {
      for (const [from, to] of vv.ranges(origin)) {
        for (let seq = from; seq <= to; seq++) {
          if (history.durable.has(`${origin}:${seq}`)) continue;
          history.violate('phantom-op', `${engine.peerId}'s version vector holds ${origin}:${seq}, which no storage ever held durably`);
          break phantom;
        }
      }
    }
    const places = byPlace(durable, (op) => vv.has(op));
    const wrong: string[] = [];
    for (const [collection, type] of typedCollections) {
      const shown = new Map(engine.entries(collection));
      for (const [place, entry] of places) {
        if (entry.collection !== collection) continue;
        shown.delete(entry.key);
        const expected = normalizedValue(type, expectedTypedValue(type, entry.ops));
        const actual = normalizedValue(type, engine.get(collection, entry.key));
        if (engine === engines[0]) log(`${place} (${type}, ${entry.ops.length} surviving operations) shows ${actual.slice(0, 120)}`);
        if (expected !== actual) wrong.push(`${place} shows ${actual.slice(0, 80)}, the ${type} spec of its ${entry.ops.length} surviving operations gives ${expected.slice(0, 80)}`);
      }
      for (const [key, value] of shown) {
        if (normalizedValue(type, value) !== normalizedValue(type, undefined)) wrong.push(`${collection}/${key} shows ${canonical(value).slice(0, 80)}, but no surviving operation wrote it`);
      }
    }
    if (wrong.length > 0) history.violate('wrong-value', `${engine.peerId}: ${wrong.length} typed key(s) off their specification (${wrong.slice(0, 3).join('; ')})`);
    // Every acknowledged typed write is held, and a counter's latest total of its origin includes it.
    for (const op of history.acked) {
      if (!isTypedOp(op) || !history.survives(op)) continue;
      if (!vv.has(op)) {
        loseAt(op, engine, 'not in its version vector');
        continue;
      }
      if (op.type === 'counter') {
        const latest = latestOf(places.get(placeOf(op))?.ops ?? [], op.origin);
        if (latest === undefined || latest.seq < op.seq) loseAt(op, engine, `its origin's latest total there is ${latest === undefined ? 'none' : opIdKey(latest)}, older`);
      }
    }
  }
  checkWriters(history, durable);
  return lost;
}

/**
 * Each typed write was made from a state holding its writer's own earlier
 * durable writes of the key, and an acknowledged counter write adds exactly
 * its amount to them: an increment neither lost nor counted twice.
 */
/** Whether `remove` is a set remove of `add`'s value that names it. */
function isRemoveNaming(remove: Operation, add: Operation): boolean {
  return (valueOf(remove) as { action?: string } | undefined)?.action === 'remove' && isAddOf(add, remove) && contextNames(remove, add);
}

function checkWriters(history: History, durable: readonly Operation[]): void {
  const places = byPlace(durable, () => true);
  const wrong: string[] = [];
  for (const [place, entry] of places) {
    for (const op of entry.ops) {
      const previous = latestOf(entry.ops, op.origin, op.seq);
      if (entry.type === 'counter') {
        const before = previous === undefined ? { p: 0, n: 0 } : totalsOf(previous);
        const after = totalsOf(op);
        const intent = history.intents.get(opIdKey(op));
        if (intent?.policy === 'counter') {
          const expected = intent.amount >= 0 ? { p: before.p + intent.amount, n: before.n } : { p: before.p, n: before.n - intent.amount };
          if (after.p !== expected.p || after.n !== expected.n) {
            wrong.push(`${place}: ${opIdKey(op)} (${intent.amount >= 0 ? '+' : ''}${intent.amount}) has totals ${JSON.stringify(after)} after ${previous ? opIdKey(previous) : 'nothing'} ${JSON.stringify(before)}: an increment lost or counted twice`);
          }
        } else if (after.p < before.p || after.n < before.n) {
          wrong.push(`${place}: ${opIdKey(op)}'s totals ${JSON.stringify(after)} went back from ${previous ? opIdKey(previous) : 'nothing'}'s ${JSON.stringify(before)}`);
        }
      } else if ((entry.type === 'mv' || (entry.type === 'set' && (valueOf(op) as { action?: string } | undefined)?.action === 'remove')) && previous !== undefined) {
        // An mv write replaces its writer's own previous value; a remove removes its writer's own earlier adds of the value.
        // (An add another remove named already need not be named again: that remove may have been collected.)
        const earlier =
          entry.type === 'mv'
            ? [previous]
            : entry.ops.filter((other) => other.origin === op.origin && other.seq < op.seq && isAddOf(other, op) && !entry.ops.some((remove) => remove !== op && isRemoveNaming(remove, other)));
        for (const seen of earlier) if (!contextNames(op, seen)) wrong.push(`${place}: ${opIdKey(op)} was written without seeing its writer's own earlier ${opIdKey(seen)}`);
      }
    }
  }
  if (wrong.length > 0) history.violate('wrong-value', `${wrong.length} typed write(s) not made from their writer's own state (${wrong.slice(0, 3).join('; ')})`);
}

function isAddOf(op: Operation, remove: Operation): boolean {
  const a = valueOf(op) as { action?: string; value?: unknown } | undefined;
  const r = valueOf(remove) as { value?: unknown } | undefined;
  return a?.action === 'add' && canonical(a.value) === canonical(r?.value);
}

function valueOf(op: Operation): unknown {
  return op.kind === 'put' ? op.value : undefined;
}

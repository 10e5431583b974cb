import {
  VersionVector,
  isVersionVector,
  opIdKey,
  sameOperation,
  validateOperation,
  type JsonValue,
  type Operation,
  type WalRecord,
  type WalRecovery,
  type WalSnapshot,
} from '@softadastra/sync-core';

/** Origins the generated operations come from: several, so records mix them. */
const ORIGINS = ['alice', 'bob-2', 'C_3'] as const;
/** The origin of the ranges in `covered`, which never writes an op here. */
const COVERED_ORIGIN = 'carol';
const WALL = 1_700_000_000_000;

/** Values of every JSON shape, so an adapter's encoding is exercised on all of them. */
const VALUES: readonly ((seq: number) => JsonValue)[] = [
  (seq) => ({ title: `todo ${seq}`, done: seq % 2 === 0, tags: ['a', 'b'], nested: { n: seq, x: -1.5, deep: [[{}]] } }),
  (seq) => `héllo wörld ✓ 🌍 ${seq}`,
  (seq) => seq * 1.25 - 1000,
  () => null,
  () => [true, false, null, 0, '', { '': [] }],
  () => '',
  (seq) => Number.MAX_SAFE_INTEGER - seq,
];

/**
 * Makes valid, varied records and snapshots for the WAL conformance suite.
 *
 * @remarks
 * Every operation gets a fresh `(origin, seq)` and its own key, so the
 * snapshot of everything made so far holds every operation as a winner.
 * Operations are checked with core's `validateOperation`, so a failure of the
 * suite is never the fault of a malformed fixture.
 *
 * @internal
 */
export class RecordSource {
  readonly #seqs = new Map<string, number>();
  readonly #ops: Operation[] = [];
  readonly #vv = new VersionVector();
  readonly #meta: Record<string, string> = {};
  #count = 0;
  #coveredSeq = 0;

  /**
   * A new record.
   *
   * @param options - `ops`: how many operations (default 1, may be 0);
   * `covered`: add a version vector with a gap; `meta`: add metadata
   */
  record(options: { readonly ops?: number; readonly covered?: boolean; readonly meta?: boolean } = {}): WalRecord {
    const n = ++this.#count;
    const ops: Operation[] = [];
    for (let i = 0; i < (options.ops ?? 1); i++) ops.push(this.#operation(ORIGINS[(n + i) % ORIGINS.length]!));
    let covered: VersionVector | undefined;
    if (options.covered === true) {
      // Two ranges with a gap between them: an interval set, not just a prefix.
      const from = this.#coveredSeq + 1;
      covered = new VersionVector().addRange(COVERED_ORIGIN, from, from + 2).addRange(COVERED_ORIGIN, from + 5, from + 6);
      this.#coveredSeq = from + 6;
      this.#vv.merge(covered);
    }
    let meta: Record<string, string> | undefined;
    if (options.meta === true) {
      meta = { peer: 'alice', [`note-${n}`]: `vâlue ✓ ${n}`, empty: '' };
      Object.assign(this.#meta, meta);
    }
    return { ops, ...(covered === undefined ? {} : { covered }), ...(meta === undefined ? {} : { meta }) };
  }

  /** A snapshot of everything made so far: every operation, the whole vector, the merged metadata. */
  snapshot(): WalSnapshot {
    return { ops: this.#ops.slice(), vv: this.#vv.clone(), meta: { ...this.#meta } };
  }

  #operation(origin: string): Operation {
    const seq = (this.#seqs.get(origin) ?? 0) + 1;
    this.#seqs.set(origin, seq);
    const index = this.#ops.length;
    const base = {
      origin,
      seq,
      hlc: { wall: WALL + index, counter: index % 3, peer: origin },
      collection: index % 2 === 0 ? 'todos' : 'notes/ü',
      key: `k-${origin}-${seq}`,
    };
    const candidate: unknown = index % 5 === 4 ? { ...base, kind: 'del' } : { ...base, kind: 'put', value: VALUES[index % VALUES.length]!(index) };
    const checked = validateOperation(candidate);
    if (!checked.ok) throw new Error(`conformance fixture bug: generated an invalid operation: ${checked.error.message}`);
    this.#ops.push(checked.op);
    this.#vv.add(checked.op);
    return checked.op;
  }
}

/**
 * Every record of a recovery, as an array (`records` may be sync or async).
 *
 * @internal
 */
export async function readRecords(recovery: WalRecovery): Promise<WalRecord[]> {
  const out: WalRecord[] = [];
  for await (const record of recovery.records) out.push(record);
  return out;
}

/** A short description of a record, for failure messages. */
export function describeRecord(record: WalRecord): string {
  const ids = record.ops.map((op) => opIdKey(op));
  const shown = ids.length > 4 ? `${ids.slice(0, 3).join(', ')}, … ${ids.at(-1)}` : ids.join(', ');
  const extras = `${record.covered === undefined || record.covered.isEmpty() ? '' : ' +covered'}${record.meta === undefined ? '' : ' +meta'}`;
  return `{${ids.length} op${ids.length === 1 ? '' : 's'} [${shown}]${extras}}`;
}

/**
 * How `actual` differs from `expected`, or `undefined` when they hold the
 * same operations (in order, by `sameOperation`), the same `covered` (an
 * absent vector counts as an empty one) and the same `meta` (absent counts as
 * empty).
 *
 * @internal
 */
export function recordDifference(actual: WalRecord, expected: WalRecord): string | undefined {
  if (actual.ops.length !== expected.ops.length) {
    return `${actual.ops.length} ops instead of ${expected.ops.length} (a record must be recovered whole or not at all)`;
  }
  for (let i = 0; i < expected.ops.length; i++) {
    if (!sameOperation(actual.ops[i]!, expected.ops[i]!)) {
      return `op ${i} is ${describeOp(actual.ops[i]!)} instead of ${describeOp(expected.ops[i]!)}`;
    }
  }
  if (!sameVector(actual.covered ?? new VersionVector(), expected.covered ?? new VersionVector())) {
    return `covered is ${describeVector(actual.covered)} instead of ${describeVector(expected.covered)}`;
  }
  const metaDiff = metaDifference(actual.meta, expected.meta);
  return metaDiff === undefined ? undefined : `meta ${metaDiff}`;
}

/**
 * How `actual` differs from `expected`, or `undefined` when they hold the
 * same operations (in any order: a snapshot is a set of winners), an equal
 * version vector and the same metadata.
 *
 * @internal
 */
export function snapshotDifference(actual: WalSnapshot | undefined, expected: WalSnapshot | undefined): string | undefined {
  if (actual === undefined || expected === undefined) {
    return actual === expected ? undefined : actual === undefined ? 'no snapshot was recovered, one was expected' : 'a snapshot was recovered, none was expected';
  }
  if (actual.ops.length !== expected.ops.length) return `snapshot holds ${actual.ops.length} ops instead of ${expected.ops.length}`;
  const byId = new Map(actual.ops.map((op) => [opIdKey(op), op]));
  for (const op of expected.ops) {
    const found = byId.get(opIdKey(op));
    if (found === undefined) return `snapshot lacks op ${opIdKey(op)}`;
    if (!sameOperation(found, op)) return `snapshot op ${opIdKey(op)} is ${describeOp(found)} instead of ${describeOp(op)}`;
  }
  if (!sameVector(actual.vv, expected.vv)) {
    return `snapshot vv is ${describeVector(actual.vv)} instead of ${describeVector(expected.vv)}`;
  }
  const metaDiff = metaDifference(actual.meta, expected.meta);
  return metaDiff === undefined ? undefined : `snapshot meta ${metaDiff}`;
}

/**
 * How a list of records differs from the expected list, or `undefined`.
 *
 * @internal
 */
export function recordsDifference(actual: readonly WalRecord[], expected: readonly WalRecord[]): string | undefined {
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
    const diff = recordDifference(actual[i]!, expected[i]!);
    if (diff !== undefined) return `record ${i}: ${diff}\n  recovered: ${list(actual)}\n  expected:  ${list(expected)}`;
  }
  if (actual.length !== expected.length) {
    return `${actual.length} records recovered instead of ${expected.length}\n  recovered: ${list(actual)}\n  expected:  ${list(expected)}`;
  }
  return undefined;
}

function list(records: readonly WalRecord[]): string {
  return records.length === 0 ? '(none)' : records.map(describeRecord).join(' ');
}

function describeOp(op: Operation): string {
  const value = op.kind === 'put' ? ` ${JSON.stringify(op.value)}` : '';
  return `${opIdKey(op)} ${op.kind} ${op.collection}/${op.key} @${op.hlc.wall}.${op.hlc.counter}${value}`;
}

/** `VersionVector.equals`, which takes a vector of another copy of core too ({@link isVersionVector}). */
function sameVector(actual: unknown, expected: VersionVector): boolean {
  return isVersionVector(actual) && expected.equals(actual);
}

function describeVector(vv: unknown): string {
  if (vv === undefined) return '(absent)';
  if (!isVersionVector(vv)) return `not a VersionVector (${typeof vv})`;
  return JSON.stringify(vv.toJSON());
}

function metaDifference(actual: Readonly<Record<string, string>> | undefined, expected: Readonly<Record<string, string>> | undefined): string | undefined {
  const a = actual ?? {};
  const e = expected ?? {};
  const same = Object.keys(a).length === Object.keys(e).length && Object.keys(e).every((key) => Object.prototype.hasOwnProperty.call(a, key) && a[key] === e[key]);
  return same ? undefined : `is ${JSON.stringify(a)} instead of ${JSON.stringify(e)}`;
}

import { describe, expect, it } from 'vitest';
import {
  CODEC_VERSION,
  MIN_CODEC_VERSION,
  MIN_WAL_FORMAT_VERSION,
  OPERATION_TYPES,
  VersionVector,
  WAL_FORMAT_VERSION,
  decodeMessage,
  decodeMessageJson,
  decodeOperations,
  decodeWalRecord,
  decodeWalSnapshot,
  encodeMessage,
  encodeMessageJson,
  encodeOperations,
  encodeOpsMessage,
  encodeWalRecord,
  encodeWalSnapshot,
  needsCodecV2,
  isSyncError,
  sameOperation,
  validateOperation,
  type Operation,
} from './index.js';
import { crc32 } from './crc32.js';

const hlc = (wall: number, peer = 'alice') => ({ wall, counter: 0, peer });
const lww: Operation = { origin: 'alice', seq: 1, hlc: hlc(1000), collection: 'todos', key: 'a', kind: 'put', value: { title: 'x' } };
const counter: Operation = { origin: 'alice', seq: 2, hlc: hlc(1001), collection: 'votes', key: 'up', kind: 'put', type: 'counter', value: { p: 3, n: 1 } };
const set: Operation = {
  origin: 'alice',
  seq: 3,
  hlc: hlc(1002),
  collection: 'tags',
  key: 'post-1',
  kind: 'put',
  type: 'set',
  value: { action: 'remove', value: 'red', context: { alice: 2 } },
};
const tombstone: Operation = { origin: 'alice', seq: 4, hlc: hlc(1003), collection: 'todos', key: 'a', kind: 'del' };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return isSyncError(error) ? error.code : 'not a SyncError';
  }
  return undefined;
}

/** Re-frames a message body with another version byte (and a fresh checksum). */
function withVersion(bytes: Uint8Array, version: number): Uint8Array {
  const out = bytes.slice();
  out[1] = version;
  const end = out.length - 4;
  const crc = crc32(out, 0, end);
  out[end] = crc & 0xff;
  out[end + 1] = (crc >>> 8) & 0xff;
  out[end + 2] = (crc >>> 16) & 0xff;
  out[end + 3] = (crc >>> 24) & 0xff;
  return out;
}

describe('typed operations (merge policies other than LWW)', () => {
  it('round-trip through the binary batch, message, WAL and JSON codecs with their type', () => {
    const ops = [lww, counter, set, tombstone, ...OPERATION_TYPES.map((type, i): Operation => ({ ...counter, seq: 10 + i, type }))];
    expect(decodeOperations(encodeOperations(ops))).toEqual(ops);
    const message = decodeMessage(encodeMessage({ type: 'ops', epoch: 1, n: 1, ops }));
    expect(message.type === 'ops' && message.ops).toEqual(ops);
    expect(decodeWalRecord(encodeWalRecord({ ops })).ops).toEqual(ops);
    expect(decodeWalSnapshot(encodeWalSnapshot({ ops, vv: new VersionVector(), meta: {} })).ops).toEqual(ops);
    const json = decodeMessageJson(encodeMessageJson({ type: 'ops', epoch: 1, n: 1, ops }));
    expect(json.type === 'ops' && json.ops).toEqual(ops);
  });

  it('write LWW-only messages and records in the old format version, byte for byte, and typed ones in the new', () => {
    expect(CODEC_VERSION).toBe(2);
    expect(WAL_FORMAT_VERSION).toBe(2);
    expect(encodeMessage({ type: 'ops', epoch: 1, n: 1, ops: [lww, tombstone] })[1]).toBe(MIN_CODEC_VERSION);
    expect(encodeMessage({ type: 'ops', epoch: 1, n: 1, ops: [lww, counter] })[1]).toBe(2);
    expect(encodeMessage({ type: 'ack', vv: new VersionVector() })[1]).toBe(1);
    expect(encodeWalRecord({ ops: [lww] })[0]).toBe(MIN_WAL_FORMAT_VERSION);
    expect(encodeWalRecord({ ops: [set] })[0]).toBe(2);
    const batch = encodeOperations([lww, counter]);
    expect(needsCodecV2([lww, counter])).toBe(true);
    expect(encodeOpsMessage(1, 1, batch, true)).toEqual(encodeMessage({ type: 'ops', epoch: 1, n: 1, ops: [lww, counter] }));
    expect(encodeOpsMessage(1, 1, encodeOperations([lww]))).toEqual(encodeMessage({ type: 'ops', epoch: 1, n: 1, ops: [lww] }));
  });

  it('refuse a typed operation inside a version-1 message or WAL record, and versions they do not read', () => {
    const typed = encodeMessage({ type: 'ops', epoch: 1, n: 1, ops: [counter] });
    expect(codeOf(() => decodeMessage(withVersion(typed, 1)))).toBe('E_DECODE');
    expect(codeOf(() => decodeMessage(withVersion(typed, 3)))).toBe('E_DECODE');
    expect(codeOf(() => decodeMessage(withVersion(typed, 0)))).toBe('E_DECODE');
    const record = encodeWalRecord({ ops: [counter] });
    const v1 = record.slice();
    v1[0] = 1;
    expect(codeOf(() => decodeWalRecord(v1))).toBe('E_DECODE');
    v1[0] = 3;
    expect(codeOf(() => decodeWalRecord(v1))).toBe('E_DECODE');
  });

  it('refuse an unknown policy code on the wire with E_DECODE naming the upgrade', () => {
    const bytes = encodeOperations([counter]);
    // The policy code is the byte after the key: find it by encoding the same op untyped.
    const plain = encodeOperations([{ ...counter, type: undefined } as unknown as Operation]);
    let at = 0;
    while (at < plain.length && plain[at] === bytes[at]) at++;
    // The first difference is the flags byte; the code sits one byte later than the untyped value starts.
    const flagsAt = at;
    const codeAt = plain.findIndex((_, i) => i > flagsAt && bytes[i] !== plain[i]);
    const bad = bytes.slice();
    bad[codeAt] = 7;
    let message = '';
    try {
      decodeOperations(bad);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/unknown merge policy code 7/);
  });

  it('validate the type: a known policy on a put only, E_POLICY otherwise; the same content includes the type', () => {
    expect(validateOperation(counter)).toMatchObject({ ok: true, op: counter });
    const unknown = validateOperation({ ...counter, type: 'text' });
    expect(unknown.ok === false && unknown.error.code).toBe('E_POLICY');
    expect(unknown.ok === false && unknown.opId).toEqual({ origin: 'alice', seq: 2 });
    const typedDelete = validateOperation({ ...tombstone, type: 'counter' });
    expect(typedDelete.ok === false && typedDelete.error.code).toBe('E_POLICY');
    const lwwCheck = validateOperation(lww);
    expect(lwwCheck.ok && 'type' in lwwCheck.op).toBe(false);
    expect(sameOperation(counter, { ...counter })).toBe(true);
    expect(sameOperation(counter, { ...counter, type: 'set' })).toBe(false);
    expect(sameOperation(counter, { ...counter, type: undefined } as unknown as Operation)).toBe(false);
  });
});

describe('operations with dependencies (causal spaces)', () => {
  const withDeps = (op: Operation, deps: Record<string, number>): Operation => ({ ...op, deps });

  it('round-trip with their dependencies, repeated ones written once per origin, in every codec', () => {
    const ops = [
      withDeps(lww, { bob: 4, carol: 9 }),
      withDeps({ ...lww, seq: 2 }, { bob: 4, carol: 9 }),
      withDeps({ ...tombstone, seq: 3 }, { bob: 5 }),
      withDeps({ ...counter, seq: 4 }, { bob: 5 }),
      { ...lww, origin: 'dave', seq: 1, hlc: hlc(5, 'dave') },
    ];
    const bytes = encodeOperations(ops);
    expect(decodeOperations(bytes)).toEqual(ops);
    expect(decodeWalRecord(encodeWalRecord({ ops })).ops).toEqual(ops);
    const json = decodeMessageJson(encodeMessageJson({ type: 'ops', epoch: 1, n: 1, ops }));
    expect(json.type === 'ops' && json.ops).toEqual(ops);
    // The second op repeats the first's dependencies: a flag, not the list again.
    const once = encodeOperations([withDeps(lww, { bob: 4, carol: 9 })]).length;
    const twice = encodeOperations([withDeps(lww, { bob: 4, carol: 9 }), withDeps({ ...lww, seq: 2 }, { bob: 4, carol: 9 })]).length;
    const plainTwice = encodeOperations([lww, { ...lww, seq: 2 }]).length - encodeOperations([lww]).length;
    expect(twice - once).toBe(plainTwice + 1);
    // Dependencies need format version 2, an LWW-only batch without them stays version 1.
    expect(encodeMessage({ type: 'ops', epoch: 1, n: 1, ops: [withDeps(lww, { bob: 1 })] })[1]).toBe(2);
    expect(encodeWalRecord({ ops: [withDeps(lww, { bob: 1 })] })[0]).toBe(2);
  });

  it('have one encoding whatever the order their object was built in (found by the simulator: a seq "reused" with reordered dependencies)', () => {
    const first = withDeps(lww, { carol: 9, bob: 4 });
    const second = withDeps({ ...lww, seq: 2 }, { bob: 4, carol: 9 });
    const bytes = encodeOperations([first, second]);
    const decoded = decodeOperations(bytes);
    expect(decoded.map((op) => Object.keys(op.deps!))).toEqual([
      ['bob', 'carol'],
      ['bob', 'carol'],
    ]);
    // Re-encoding what was decoded gives the same bytes, one op at a time as in a batch.
    expect(encodeOperations(decoded)).toEqual(bytes);
    expect(encodeOperations([decoded[1]!])).toEqual(encodeOperations([second]));
    expect(encodeOperations([withDeps(lww, { bob: 4, carol: 9 })])).toEqual(encodeOperations([first]));
    const checked = validateOperation(withDeps(lww, { carol: 9, bob: 4 }));
    expect(checked.ok && Object.keys(checked.op.deps!)).toEqual(['bob', 'carol']);
  });

  it('validate dependencies: peer ids to positive seqs, never the own origin; part of the content', () => {
    expect(validateOperation(withDeps(lww, { bob: 3 }))).toMatchObject({ ok: true, op: { deps: { bob: 3 } } });
    for (const deps of [{ alice: 2 }, { bob: 0 }, { 'not a peer!': 1 }, { bob: 1.5 }, [1, 2], 'bob']) {
      const verdict = validateOperation({ ...lww, deps });
      expect(verdict.ok === false && verdict.error.code, JSON.stringify(deps)).toBe('E_INVALID_OP');
    }
    expect(sameOperation(withDeps(lww, { bob: 3 }), withDeps(lww, { bob: 3 }))).toBe(true);
    expect(sameOperation(withDeps(lww, { bob: 3 }), withDeps(lww, { bob: 4 }))).toBe(false);
    expect(sameOperation(withDeps(lww, { bob: 3 }), lww)).toBe(false);
  });
});

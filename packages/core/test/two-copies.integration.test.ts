import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import { importSecondCopy } from './second-copy.js';

let other: typeof core;
let remove: () => Promise<void>;
beforeAll(async () => {
  ({ core: other, remove } = await importSecondCopy());
});
afterAll(() => remove());

const vectorOf = (lib: typeof core): core.VersionVector =>
  new lib.VersionVector().addRange('alice', 1, 5).addRange('alice', 8, 9).addRange('bob', 1, 3);

describe('two copies of sync-core in one process', () => {
  it('are two copies: their classes differ', () => {
    expect(other.VersionVector).not.toBe(core.VersionVector);
    expect(vectorOf(other) instanceof core.VersionVector).toBe(false);
  });

  it('recognise each other\'s version vectors by brand', () => {
    expect(core.isVersionVector(vectorOf(other))).toBe(true);
    expect(other.isVersionVector(vectorOf(core))).toBe(true);
    expect(core.isVersionVector({ toJSON: () => ({}) })).toBe(false);
    expect(core.isVersionVector(null)).toBe(false);
  });

  it('merge, compare and diff a vector of the other copy', () => {
    const mine = new core.VersionVector().addRange('alice', 1, 6).addRange('carol', 2, 2);
    const theirs = vectorOf(other);
    expect(mine.clone().merge(theirs).toJSON()).toEqual({ alice: [1, 6, 8, 9], bob: 3, carol: [2, 2] });
    expect(mine.missingFrom(theirs)).toEqual([
      { origin: 'alice', from: 6, to: 6 },
      { origin: 'carol', from: 2, to: 2 },
    ]);
    expect(mine.intersection(theirs).toJSON()).toEqual({ alice: 5 });
    expect(vectorOf(core).equals(theirs)).toBe(true);
    expect(mine.equals(theirs)).toBe(false);
    expect(mine.dominates(theirs)).toBe(false);
    expect(core.toVersionVector(theirs)).toBeInstanceOf(core.VersionVector);
    expect(core.toVersionVector(theirs).toJSON()).toEqual(theirs.toJSON());
  });

  it('encode the other copy\'s vector in a WAL record and decode it here', () => {
    const bytes = other.encodeWalRecord({ ops: [], covered: vectorOf(core) });
    expect(core.decodeWalRecord(bytes).covered?.equals(vectorOf(other))).toBe(true);
  });

  it('recognise each other\'s errors, subclasses included', () => {
    const wal = new other.WalError('E_WAL_FAILED', 'disk gone', { adapter: 'file', path: '/x' });
    const transport = new other.TransportError('E_TRANSPORT', 'no route', { peer: 'relay' });
    expect(core.isSyncError(wal) && core.isWalError(wal) && !core.isTransportError(wal)).toBe(true);
    expect(core.isTransportError(transport) && !core.isWalError(transport)).toBe(true);
    expect(core.isWalError(new core.SyncError('E_WAL_FAILED', 'plain'))).toBe(false);
    expect(core.toSyncError(wal, 'E_INTERNAL', 'wrapped')).toBe(wal);
  });
});

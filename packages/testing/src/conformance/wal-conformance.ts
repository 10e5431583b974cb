import { afterEach, beforeEach, describe, expect, it, type TestContext } from 'vitest';
import type { Wal, WalRecord } from '@softadastra/sync-core';
import { describeError, letWorkProgress, outcome, track, type Tracked } from './async-helpers.js';
import {
  SETTLE_MS,
  expectHeld,
  expectPrefixKeepingResolved,
  expectRecords,
  expectRejection,
  expectRepair,
  expectSnapshot,
  startHeldAppend,
} from './wal-expectations.js';
import { readRecords, recordsDifference } from './wal-fixtures.js';
import { WalCase, type WalConformanceSetup, type WalHarnessHook } from './wal-harness.js';

/**
 * Registers the conformance cases of core's `Wal` contract for one adapter,
 * as vitest tests under `describe('Wal conformance: <name>')`.
 *
 * @remarks
 * Call it at the top level of a test file of the adapter's package, the way
 * automerge-repo's `runStorageAdapterTests` and unstorage's `testDriver` are
 * used. Each case gets a fresh harness from `setup.create()` and calls its
 * `cleanup()` afterwards. The cases check what the TSDoc of `Wal` promises:
 * replay in call order with every field intact, durability of every resolved
 * append across a crash (of the machine, or of the process alone with the
 * page cache surviving until a later power loss), atomic records, torn tails
 * dropped and reported in `repair`, mid-log damage refused with
 * `E_WAL_CORRUPT` (and a damaged whole last record too, with
 * `capabilities.detectsCorruptTail`), compaction, idempotent reopening, `close()`
 * semantics and typed errors. Cases that need an optional hook the harness
 * lacks, or a capability the adapter does not declare, are reported as
 * skipped with the reason, never passed silently.
 *
 * One reading is stricter than the TSDoc's letter: what survives a crash must
 * be a *prefix* of the appends in call order (every resolved one included).
 * A log that kept a later append and lost an earlier one would leave a hole
 * no caller was told about.
 *
 * @example
 * ```ts
 * import { runWalConformance } from '@softadastra/sync-testing';
 *
 * runWalConformance('memory', {
 *   create: () => {
 *     const storage = createMemoryWalStorage();
 *     return { open: () => createMemoryWal({ storage }), crash: (o) => storage.crash(o) };
 *   },
 * });
 * ```
 *
 * @param name - the adapter's name, shown in the test names
 * @param setup - makes a fresh {@link WalHarness} per case
 */
export function runWalConformance(name: string, setup: WalConformanceSetup): void {
  describe(`Wal conformance: ${name}`, () => {
    let current: WalCase | undefined;

    beforeEach(async () => {
      current = new WalCase(await setup.create());
    });

    afterEach(async () => {
      const done = current;
      current = undefined;
      await done?.dispose();
    });

    /** The case's state, once the hooks it needs are known to exist (else the case is skipped). */
    const start = (context: TestContext, hooks: readonly WalHarnessHook[] = []): WalCase => {
      if (current === undefined) throw new Error('conformance bug: no harness (did setup.create() throw?)');
      const missing = current.missing(hooks);
      if (missing.length > 0) {
        context.skip(`needs the harness hook${missing.length === 1 ? '' : 's'} ${missing.map((hook) => `${hook}()`).join(', ')}, which "${name}" does not provide`);
      }
      return current;
    };

    /** Skips a crash case for an adapter that does not promise durability. */
    const requireDurable = (context: TestContext, wal: Wal): void => {
      context.skip(!wal.capabilities.durable, 'capabilities.durable is false: a crash may lose even resolved appends');
    };

    it('declares capabilities as an object with boolean durable, atomicBatch and compaction', async (context) => {
      const c = start(context);
      const wal = await c.handle();
      expect(typeof wal.capabilities, 'capabilities').toBe('object');
      expect(wal.capabilities, 'capabilities').not.toBeNull();
      for (const key of ['durable', 'atomicBatch', 'compaction'] as const) {
        expect(typeof wal.capabilities[key], `typeof capabilities.${key}`).toBe('boolean');
      }
    });

    it('opens empty storage with no snapshot and no records', async (context) => {
      const c = start(context);
      const { snapshot, records } = await c.recover();
      expect(snapshot, 'snapshot of empty storage').toBeUndefined();
      expect(records, 'records of empty storage').toEqual([]);
    });

    it('replays appended records on reopen in append order, with ops, covered and meta intact', async (context) => {
      const c = start(context);
      const { wal } = await c.opened();
      const expected = [
        c.source.record(),
        c.source.record({ ops: 7 }),
        c.source.record({ ops: 250, covered: true, meta: true }),
        c.source.record({ ops: 0, covered: true }),
        c.source.record({ ops: 3, covered: true, meta: true }),
        c.source.record({ ops: 0, meta: true }),
        c.source.record({ ops: 2, meta: true }),
      ];
      await c.appendAll(wal, expected);
      await wal.close();
      const { snapshot, records, repair } = await c.recover();
      expect(snapshot, 'snapshot (no compaction happened)').toBeUndefined();
      expectRecords(records, expected, 'after reopen');
      expect(repair, 'repair reported by open() of an intact log').toBeUndefined();
    });

    it('continues the log across reopens: records appended after reopening follow the earlier ones', async (context) => {
      const c = start(context);
      const expected: WalRecord[] = [];
      for (let life = 0; life < 3; life++) {
        const { wal, records } = await c.opened();
        expectRecords(records, expected, `at reopen ${life}`);
        const more = [c.source.record({ ops: 2 }), c.source.record({ covered: true })];
        await c.appendAll(wal, more);
        expected.push(...more);
        await wal.close();
      }
      expectRecords((await c.recover()).records, expected, 'after the last reopen');
    });

    it('recovers 50 concurrent appends, every one, in call order', async (context) => {
      const c = start(context);
      const { wal } = await c.opened();
      const expected = Array.from({ length: 50 }, (_, i) => c.source.record({ ops: 1 + (i % 4), covered: i % 7 === 0, meta: i % 5 === 0 }));
      // All issued before any is awaited: the adapter must keep call order while writing them together.
      await Promise.all(expected.map((record) => wal.append(record)));
      await wal.close();
      expectRecords((await c.recover()).records, expected, 'after 50 concurrent appends');
    });

    it('recovers a record of 200 ops whole or not at all when a crash tears its write (atomic batch)', async (context) => {
      const c = start(context, ['crash', 'holdWrites']);
      const { wal } = await c.opened();
      requireDurable(context, wal);
      context.skip(!wal.capabilities.atomicBatch, 'capabilities.atomicBatch is false: the adapter does not promise atomic records');
      const acked = [c.source.record(), c.source.record({ ops: 3 })];
      await c.appendAll(wal, acked);
      const big = c.source.record({ ops: 200, covered: true, meta: true });
      const inFlight = await startHeldAppend(c, wal, big);
      expectHeld(inFlight);
      await c.crash({ inFlight: 'tear' });
      const { records } = await c.recover();
      const whole = recordsDifference(records, [...acked, big]) === undefined;
      const none = recordsDifference(records, acked) === undefined;
      if (!whole && !none) {
        throw new Error(
          `the torn record must be recovered whole or not at all, with the acknowledged ones before it:\n` +
            `  as a whole: ${recordsDifference(records, [...acked, big])}\n  as nothing: ${recordsDifference(records, acked)}`,
        );
      }
      // The damage left by the torn write must not disturb later appends.
      const { wal: next } = await c.opened();
      const after = c.source.record({ ops: 2 });
      await next.append(after);
      await next.close();
      expectRecords((await c.recover()).records, [...(whole ? [...acked, big] : acked), after], 'after appending past the torn write');
    });

    it('keeps every append that resolved before a crash; what survives is a prefix of the appends in call order', async (context) => {
      const c = start(context, ['crash']);
      const { wal } = await c.opened();
      requireDurable(context, wal);
      const calls: { record: WalRecord; append: Tracked<void> }[] = [];
      const issue = (): Tracked<void> => {
        const record = c.source.record({ ops: 1 + (calls.length % 3), covered: calls.length % 4 === 0 });
        const append = track(wal.append(record));
        calls.push({ record, append });
        return append;
      };
      for (let i = 0; i < 5; i++) await issue().promise;
      // Then a stream of appends not awaited, some of which may complete before the crash.
      for (let i = 0; i < 5; i++) issue();
      await letWorkProgress(1);
      for (let i = 0; i < 5; i++) issue();
      // A few microtasks: an adapter completing writes on microtasks resolves some of these now.
      for (let i = 0; i < 3; i++) await Promise.resolve();
      const resolvedAtCrash = calls.map((call) => call.append.resolved);
      await c.crash();
      const { records } = await c.recover();
      expectPrefixKeepingResolved(
        records,
        calls.map((call) => call.record),
        resolvedAtCrash,
      );
    });

    it("may lose an append in flight at a crash (inFlight: 'lose'), and nothing else", async (context) => {
      const c = start(context, ['crash', 'holdWrites']);
      const { wal } = await c.opened();
      requireDurable(context, wal);
      const acked = [c.source.record(), c.source.record({ ops: 4, meta: true }), c.source.record({ covered: true })];
      await c.appendAll(wal, acked);
      const pending = c.source.record({ ops: 3 });
      const inFlight = await startHeldAppend(c, wal, pending);
      expectHeld(inFlight);
      await c.crash({ inFlight: 'lose' });
      const { records } = await c.recover();
      expectPrefixKeepingResolved(records, [...acked, pending], [true, true, true, false]);
      // The log goes on after the loss.
      const { wal: next } = await c.opened();
      const after = c.source.record();
      await next.append(after);
      await next.close();
      expectRecords((await c.recover()).records, [...records, after], 'after appending past the crash');
    });

    it("recovers an append in flight at a crash whole when its bytes reached the disk (inFlight: 'keep')", async (context) => {
      const c = start(context, ['crash', 'holdWrites']);
      const { wal } = await c.opened();
      requireDurable(context, wal);
      const acked = [c.source.record({ ops: 2 }), c.source.record({ meta: true })];
      await c.appendAll(wal, acked);
      const pending = c.source.record({ ops: 200, covered: true, meta: true });
      const inFlight = await startHeldAppend(c, wal, pending);
      expectHeld(inFlight);
      await c.crash({ inFlight: 'keep' });
      expectRecords((await c.recover()).records, [...acked, pending], "after a crash with inFlight 'keep'");
    });

    it('drops exactly a torn last record on open, reports what it cut, and appends after it follow the intact records', async (context) => {
      const c = start(context, ['tearTail']);
      const { wal } = await c.opened();
      const written = [c.source.record({ ops: 2 }), c.source.record({ covered: true, meta: true }), c.source.record({ ops: 4 })];
      await c.appendAll(wal, written);
      await wal.close();
      await c.harness.tearTail!();
      const intact = written.slice(0, 2);
      const { wal: reopened, records, repair } = await c.opened();
      expectRecords(records, intact, 'after tearing the last record');
      // Repairing a torn tail is right; doing it silently is not.
      expectRepair(repair, 'open() after tearing the last record');
      const after = [c.source.record(), c.source.record({ ops: 3, meta: true })];
      await c.appendAll(reopened, after);
      await reopened.close();
      const again = await c.recover();
      expectRecords(again.records, [...intact, ...after], 'after appending past the torn tail');
      expect(again.repair, 'repair reported again by the open() after the repaired one').toBeUndefined();
    });

    it('refuses a damaged last record that is whole with E_WAL_CORRUPT, not dropping it as a torn tail (capabilities.detectsCorruptTail)', async (context) => {
      const c = start(context, ['corruptRecord']);
      const { wal } = await c.opened();
      context.skip(wal.capabilities.detectsCorruptTail !== true, 'capabilities.detectsCorruptTail is not true: the format cannot tell a torn write from a damaged record');
      const written = [c.source.record(), c.source.record({ ops: 3 })];
      await c.appendAll(wal, written);
      await wal.close();
      // The last record was written whole and acknowledged: dropping it would lose an awaited write.
      await c.harness.corruptRecord!(1);
      const error = await expectRejection((await c.handle()).open(), 'E_WAL_CORRUPT', 'open() after damaging the whole last record');
      expect(error.message, 'the message must name the record, offset, or file').toMatch(/record|offset|byte|position|line|row|path|file/i);
      await expectRejection((await c.handle()).open(), 'E_WAL_CORRUPT', 'a second open() of the same damaged log');
    });

    it('drops a damaged last record as a torn tail and reports it, when the format cannot tell (no detectsCorruptTail)', async (context) => {
      const c = start(context, ['corruptRecord']);
      const { wal } = await c.opened();
      context.skip(wal.capabilities.detectsCorruptTail === true, 'capabilities.detectsCorruptTail is true: a damaged whole record is refused (the case above)');
      const written = [c.source.record(), c.source.record({ ops: 3 })];
      await c.appendAll(wal, written);
      await wal.close();
      await c.harness.corruptRecord!(1);
      const { records, repair } = await c.recover();
      expectRecords(records, written.slice(0, 1), 'after damaging the last record');
      expectRepair(repair, 'open() after damaging the last record');
    });

    for (const [index, where] of [
      [1, 'a record in the middle of the log'],
      [0, 'the first record'],
    ] as const) {
      it(`refuses to open with E_WAL_CORRUPT, naming where, when ${where} is damaged and valid records follow`, async (context) => {
        const c = start(context, ['corruptRecord']);
        const { wal } = await c.opened();
        await c.appendAll(wal, [c.source.record(), c.source.record({ ops: 2 }), c.source.record({ meta: true }), c.source.record()]);
        await wal.close();
        await c.harness.corruptRecord!(index);
        const error = await expectRejection((await c.handle()).open(), 'E_WAL_CORRUPT', `open() after corrupting record ${index}`);
        expect(error.message.length, `the message must say where the damage is, got ${JSON.stringify(error.message)}`).toBeGreaterThan(20);
        expect(error.message, 'the message must name the record, offset, or file').toMatch(/record|offset|byte|position|line|row|path|file/i);
        // Refused loudly, never repaired silently: a second attempt refuses again.
        await expectRejection((await c.handle()).open(), 'E_WAL_CORRUPT', 'a second open() of the same damaged log');
      });
    }

    it('keeps what a reopen after a process crash recovered, and the appends it acknowledged, across a later power loss', async (context) => {
      const c = start(context, ['crashProcess', 'crash', 'holdWrites']);
      const { wal } = await c.opened();
      requireDurable(context, wal);
      const acked = [c.source.record({ ops: 2 }), c.source.record({ meta: true })];
      await c.appendAll(wal, acked);
      // Written, not yet durable, when the process dies: the page cache keeps it for the next process.
      const pending = c.source.record({ ops: 3, covered: true });
      const inFlight = await startHeldAppend(c, wal, pending);
      expectHeld(inFlight);
      await c.crashProcess();
      const { records: visible } = await c.opened();
      expectPrefixKeepingResolved(visible, [...acked, pending], [true, true, false]);
      // The engine builds on what it read (sends it, numbers the next writes after it): a power loss,
      // even before anything else is written, must not take it away.
      await c.crash({ inFlight: 'lose' });
      const { wal: reopened, records } = await c.opened();
      expectRecords(records, visible, 'after a process crash, a reopen and a power loss');
      const after = [c.source.record(), c.source.record({ ops: 2, meta: true })];
      await c.appendAll(reopened, after);
      await c.crash({ inFlight: 'lose' });
      expectRecords((await c.recover()).records, [...visible, ...after], 'after appending on it and another power loss');
    });

    it('returns the snapshot and only the later records after compact() and reopen', async (context) => {
      const c = start(context);
      const { wal } = await c.opened();
      context.skip(!wal.capabilities.compaction, 'capabilities.compaction is false');
      await c.appendAll(wal, [c.source.record({ ops: 3 }), c.source.record({ covered: true, meta: true }), c.source.record()]);
      const snapshot = c.source.snapshot();
      await wal.compact(snapshot);
      const after = [c.source.record({ ops: 2 }), c.source.record({ meta: true, covered: true })];
      await c.appendAll(wal, after);
      await wal.close();
      const recovered = await c.recover();
      expectSnapshot(recovered.snapshot, snapshot, 'after compact() and reopen');
      expectRecords(recovered.records, after, 'records after the snapshot');
    });

    it('keeps only the latest snapshot when compacting twice', async (context) => {
      const c = start(context);
      const { wal } = await c.opened();
      context.skip(!wal.capabilities.compaction, 'capabilities.compaction is false');
      await c.appendAll(wal, [c.source.record({ ops: 2 })]);
      await wal.compact(c.source.snapshot());
      await c.appendAll(wal, [c.source.record({ covered: true }), c.source.record({ meta: true })]);
      const second = c.source.snapshot();
      await wal.compact(second);
      const after = [c.source.record()];
      await c.appendAll(wal, after);
      await wal.close();
      const recovered = await c.recover();
      expectSnapshot(recovered.snapshot, second, 'after two compactions');
      expectRecords(recovered.records, after, 'records after the second snapshot');
    });

    it('keeps a completed compaction, and the appends after it, across a crash', async (context) => {
      const c = start(context, ['crash']);
      const { wal } = await c.opened();
      requireDurable(context, wal);
      context.skip(!wal.capabilities.compaction, 'capabilities.compaction is false');
      await c.appendAll(wal, [c.source.record({ ops: 4, meta: true }), c.source.record({ covered: true })]);
      const snapshot = c.source.snapshot();
      await wal.compact(snapshot);
      await c.crash();
      const first = await c.opened();
      expectSnapshot(first.snapshot, snapshot, 'after a crash right after compact()');
      expectRecords(first.records, [], 'records after a crash right after compact()');
      const after = [c.source.record(), c.source.record({ ops: 3 })];
      await c.appendAll(first.wal, after);
      await c.crash();
      const second = await c.recover();
      expectSnapshot(second.snapshot, snapshot, 'after a second crash');
      expectRecords(second.records, after, 'records appended after the compaction, across a crash');
    });

    it('recovers either the old records or the snapshot when a crash interrupts compact()', async (context) => {
      const c = start(context, ['crash', 'holdWrites']);
      const { wal } = await c.opened();
      requireDurable(context, wal);
      context.skip(!wal.capabilities.compaction, 'capabilities.compaction is false');
      const old = [c.source.record({ ops: 2 }), c.source.record({ covered: true, meta: true })];
      await c.appendAll(wal, old);
      const snapshot = c.source.snapshot();
      await c.holdWrites();
      const compacting = track(wal.compact(snapshot));
      await letWorkProgress();
      expect(compacting.resolved, 'compact() must not resolve while writes are held').toBe(false);
      await c.crash();
      const { snapshot: recovered, records } = await c.recover();
      if (recovered === undefined) expectRecords(records, old, 'without the snapshot, the old records');
      else {
        expectSnapshot(recovered, snapshot, 'the interrupted compaction');
        expectRecords(records, [], 'records after the snapshot of an interrupted compaction');
      }
    });

    it('accepts compact() and keeps every record when capabilities.compaction is false', async (context) => {
      const c = start(context);
      const { wal } = await c.opened();
      context.skip(wal.capabilities.compaction, 'capabilities.compaction is true: covered by the compaction cases');
      const before = [c.source.record({ ops: 2 })];
      await c.appendAll(wal, before);
      await wal.compact(c.source.snapshot());
      const after = [c.source.record()];
      await c.appendAll(wal, after);
      await wal.close();
      const recovered = await c.recover();
      expect(recovered.snapshot, 'snapshot of an adapter without compaction').toBeUndefined();
      expectRecords(recovered.records, [...before, ...after], 'records of an adapter without compaction');
    });

    it('gives the same state when opened, closed and opened again, by the same handle or a new one', async (context) => {
      const c = start(context);
      const { wal } = await c.opened();
      const before = [c.source.record({ ops: 3 }), c.source.record({ covered: true })];
      await c.appendAll(wal, before);
      const snapshot = wal.capabilities.compaction ? c.source.snapshot() : undefined;
      if (snapshot !== undefined) await wal.compact(snapshot);
      const after = [c.source.record({ meta: true }), c.source.record({ ops: 2 })];
      await c.appendAll(wal, after);
      await wal.close();
      const expected = snapshot === undefined ? [...before, ...after] : after;
      const first = await c.recover();
      const second = await c.recover();
      for (const [label, recovered] of [
        ['first reopen', first],
        ['second reopen', second],
      ] as const) {
        expectSnapshot(recovered.snapshot, snapshot, label);
        expectRecords(recovered.records, expected, label);
      }
      // The contract: open() may be called again after close() on the same handle.
      const handle = await c.handle();
      for (const label of ['same handle, first open', 'same handle, after close()']) {
        const recovery = await handle.open();
        const records = await readRecords(recovery);
        expectSnapshot(recovery.snapshot, snapshot, label);
        expectRecords(records, expected, label);
        await handle.close();
      }
    });

    it('waits in close() for pending appends, which are then recovered', async (context) => {
      const c = start(context);
      const { wal } = await c.opened();
      const holding = c.missing(['holdWrites', 'releaseWrites']).length === 0;
      if (holding) await c.holdWrites();
      const records = Array.from({ length: 10 }, (_, i) => c.source.record({ ops: 1 + (i % 2) }));
      const appends = records.map((record) => track(wal.append(record)));
      const closing = track(wal.close());
      if (holding) {
        // While the disk hangs, close() cannot be done: the appends are not durable yet.
        await letWorkProgress();
        expect(closing.resolved, 'close() resolved while its appends were still held').toBe(false);
        await c.releaseWrites();
      }
      const closed = await outcome(closing.promise, SETTLE_MS);
      expect(closed.status, `close() ${closed.status === 'rejected' ? `rejected: ${describeError(closing.reason)}` : 'did not settle'}`).toBe('fulfilled');
      await letWorkProgress(1);
      const notResolved = appends.flatMap((append, i) => (append.resolved ? [] : [`#${i}${append.rejected ? ` (${describeError(append.reason)})` : ''}`]));
      expect(notResolved, 'appends not resolved when close() resolved').toEqual([]);
      expectRecords((await c.recover()).records, records, 'appends pending at close()');
    });

    it('rejects append() and compact() with E_WAL_CLOSED after close(), storing nothing', async (context) => {
      const c = start(context);
      const { wal } = await c.opened();
      const kept = [c.source.record()];
      await c.appendAll(wal, kept);
      await wal.close();
      await expectRejection(wal.append(c.source.record()), 'E_WAL_CLOSED', 'append() after close()');
      await expectRejection(wal.compact(c.source.snapshot()), 'E_WAL_CLOSED', 'compact() after close()');
      const recovered = await c.recover();
      expect(recovered.snapshot, 'snapshot after a compact() refused as closed').toBeUndefined();
      expectRecords(recovered.records, kept, 'records after appends refused as closed');
    });

    it('fails with E_WAL_FAILED after an I/O error, and keeps failing until closed and opened again', async (context) => {
      const c = start(context, ['failNextAppend']);
      const { wal } = await c.opened();
      const acked = [c.source.record({ ops: 2 }), c.source.record({ meta: true })];
      await c.appendAll(wal, acked);
      await c.harness.failNextAppend!();
      const failed = c.source.record({ ops: 3 });
      await expectRejection(wal.append(failed), 'E_WAL_FAILED', 'the append hit by the I/O error');
      // The storage state is unknown now: no retry, every later call fails.
      await expectRejection(wal.append(c.source.record()), 'E_WAL_FAILED', 'an append after the failure');
      await expectRejection(wal.append(c.source.record()), 'E_WAL_FAILED', 'a second append after the failure');
      await expectRejection(wal.compact(c.source.snapshot()), 'E_WAL_FAILED', 'compact() after the failure');
      const closed = await outcome(wal.close(), SETTLE_MS);
      expect(closed.status, 'close() of a failed handle').toBe('fulfilled');
      // Everything acknowledged is there; the failed append may or may not be.
      const { wal: reopened, snapshot, records } = await c.opened();
      expect(snapshot, 'snapshot after a refused compact()').toBeUndefined();
      const withFailed = recordsDifference(records, [...acked, failed]) === undefined;
      if (!withFailed) expectRecords(records, acked, 'after reopening a failed WAL (the failed append may be absent, nothing else)');
      const after = c.source.record({ covered: true });
      await reopened.append(after);
      await reopened.close();
      expectRecords((await c.recover()).records, [...(withFailed ? [...acked, failed] : acked), after], 'after appending on a reopened WAL');
    });
  });
}

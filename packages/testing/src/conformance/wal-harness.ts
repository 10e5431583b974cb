import { type Wal, type WalRecord, type WalRepair, type WalSnapshot } from '@softadastra/sync-core';
import { delay } from './async-helpers.js';
import { RecordSource, readRecords } from './wal-fixtures.js';

/**
 * What a simulated crash does to the write in flight: the one the storage has
 * started but not yet made durable (its `append()` has not resolved).
 *
 * - `'lose'`: none of it reached the disk.
 * - `'keep'`: all of it reached the disk; only the acknowledgement was lost.
 * - `'tear'`: part of it reached the disk, as a power cut in the middle of a
 *   write would leave it.
 */
export type WalInFlight = 'lose' | 'keep' | 'tear';

/** Options of {@link WalHarness.crash}. */
export interface WalCrashOptions {
  /**
   * What happens to the write in flight.
   * @default the harness's choice (the memory WAL loses it)
   */
  readonly inFlight?: WalInFlight;
}

/**
 * One storage for one conformance case, and the levers to abuse it.
 *
 * @remarks
 * Only {@link WalHarness.open} is required. Every other hook is optional:
 * the cases that need a missing hook are reported as skipped, with the name
 * of the hook, never passed silently. An adapter over a simulated file system
 * implements them with its faults (stop syncing, drop or keep unsynced bytes,
 * flip a byte); an in-memory one with its own levers.
 */
export interface WalHarness {
  /**
   * Makes a new, not yet opened WAL handle on this harness's storage — the
   * same storage every time, which is how reopening and crash recovery are
   * tested. The suite closes a handle before making the next one, except
   * after {@link WalHarness.crash}.
   */
  open(): Wal | Promise<Wal>;
  /**
   * Simulates a crash of the process holding the handles: they die (the
   * suite never awaits them again), what was durable stays, and the write in
   * flight fares as `options.inFlight` says. Ends {@link WalHarness.holdWrites}.
   * Afterwards {@link WalHarness.open} must work as after a restart.
   */
  crash?(options?: WalCrashOptions): Promise<void> | void;
  /**
   * Simulates a crash of the process alone, the machine living on: the
   * handles die as in {@link WalHarness.crash}, but what they wrote and did
   * not make durable (the write in flight included) stays readable, as the
   * page cache keeps it for the next process — and is still lost by a later
   * {@link WalHarness.crash} (the power loss) unless someone made it durable
   * since. Ends {@link WalHarness.holdWrites}. For adapters over a file
   * system; others leave it out.
   */
  crashProcess?(): Promise<void> | void;
  /**
   * Stops writes from becoming durable, as a disk whose fsync hangs: appends
   * (and compactions) started from now on are accepted and may reach the
   * storage, but do not complete and their promises stay pending, until
   * {@link WalHarness.releaseWrites} or a crash. With
   * {@link WalHarness.crash}, this is what tests a write in flight at the
   * moment of a crash.
   */
  holdWrites?(): Promise<void> | void;
  /** Lets held writes complete, and later ones run normally again. */
  releaseWrites?(): Promise<void> | void;
  /**
   * Damages the last stored record as a torn write would (its second half
   * missing). Called while no handle is open.
   */
  tearTail?(): Promise<void> | void;
  /**
   * Damages stored record `index` (0-based, counted after the snapshot)
   * while leaving its length and the records after it intact: corruption, as
   * a flipped bit in a record that was written whole would cause. Called while
   * no handle is open.
   */
  corruptRecord?(index: number): Promise<void> | void;
  /** Makes the next append fail as an I/O error (a failed write or fsync) would. */
  failNextAppend?(): Promise<void> | void;
  /** Called after each case, to release the storage (e.g. delete a temporary directory). */
  cleanup?(): Promise<void> | void;
}

/** How {@link runWalConformance} gets a fresh harness for each case. */
export interface WalConformanceSetup {
  /** Makes a harness over new, empty storage. Called once per case. */
  create(): Promise<WalHarness> | WalHarness;
}

/** The names of the optional hooks of a {@link WalHarness}. */
export type WalHarnessHook = 'crash' | 'crashProcess' | 'holdWrites' | 'releaseWrites' | 'tearTail' | 'corruptRecord' | 'failNextAppend';

/** What a fresh handle recovered. */
export interface Recovered {
  readonly snapshot: WalSnapshot | undefined;
  readonly records: WalRecord[];
  /** What `open()` said it cut, if anything. */
  readonly repair: WalRepair | undefined;
}

/**
 * The state of one conformance case: its harness, a record source, and the
 * handles it made (so that they are closed afterwards).
 *
 * @internal
 */
export class WalCase {
  readonly harness: WalHarness;
  readonly source = new RecordSource();
  #live: Wal[] = [];
  #holding = false;

  constructor(harness: WalHarness) {
    this.harness = harness;
  }

  /** The hooks of `hooks` this harness lacks. */
  missing(hooks: readonly WalHarnessHook[]): WalHarnessHook[] {
    return hooks.filter((hook) => typeof this.harness[hook] !== 'function');
  }

  /** A new handle from the harness, not yet opened. */
  async handle(): Promise<Wal> {
    const wal = await this.harness.open();
    this.#live.push(wal);
    return wal;
  }

  /** A new handle, opened, with what it recovered. */
  async opened(): Promise<Recovered & { readonly wal: Wal }> {
    const wal = await this.handle();
    const recovery = await wal.open();
    return { wal, snapshot: recovery.snapshot, records: await readRecords(recovery), repair: recovery.repair };
  }

  /** What a new handle recovers; the handle is closed again. */
  async recover(): Promise<Recovered> {
    const { wal, snapshot, records, repair } = await this.opened();
    await wal.close();
    return { snapshot, records, repair };
  }

  /** Appends each record in turn, awaiting each. */
  async appendAll(wal: Wal, records: readonly WalRecord[]): Promise<void> {
    for (const record of records) await wal.append(record);
  }

  async crash(options?: WalCrashOptions): Promise<void> {
    if (this.harness.crash === undefined) throw new Error('conformance bug: crash() used without checking for the hook');
    // Called before any await, so nothing runs between the caller's last look and the crash.
    const done = options === undefined ? this.harness.crash() : this.harness.crash(options);
    this.#live = [];
    this.#holding = false;
    await done;
  }

  async crashProcess(): Promise<void> {
    if (this.harness.crashProcess === undefined) throw new Error('conformance bug: crashProcess() used without checking for the hook');
    const done = this.harness.crashProcess();
    this.#live = [];
    this.#holding = false;
    await done;
  }

  async holdWrites(): Promise<void> {
    if (this.harness.holdWrites === undefined) throw new Error('conformance bug: holdWrites() used without checking for the hook');
    this.#holding = true;
    await this.harness.holdWrites();
  }

  async releaseWrites(): Promise<void> {
    this.#holding = false;
    await this.harness.releaseWrites?.();
  }

  /** Releases held writes, closes live handles (without waiting long on a broken one), cleans up. */
  async dispose(): Promise<void> {
    try {
      if (this.#holding) await this.releaseWrites();
      const live = this.#live;
      this.#live = [];
      const close = (wal: Wal): Promise<unknown> =>
        Promise.race([
          Promise.resolve()
            .then(() => wal.close())
            .catch(() => undefined),
          delay(50),
        ]);
      await Promise.all(live.map(close));
    } finally {
      await this.harness.cleanup?.();
    }
  }
}

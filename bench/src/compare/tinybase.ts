/**
 * TinyBase 10 (`MergeableStore`: table `items`, one row per key, cells
 * `name`, `n`, `done`).
 *
 * @remarks
 * One `transaction()` per commit. Sync follows TinyBase's synchronizer
 * protocol message for message (`getChangesFromOtherStore` in
 * `synchronizers/index.js`): the receiver asks for the content hashes, then
 * sends its table hashes, row hashes of differing tables and cell hashes of
 * differing rows, and the sender answers each with the diff; the receiver
 * `applyMergeableChanges` the merged result. Messages are JSON
 * `[requestId, type, body]`, as its WebSocket synchronizer sends them (it
 * adds the client ids). Live: `getTransactionMergeableChanges()` of each
 * transaction as one `ContentDiff` message. Merging is per cell (LWW on HLC
 * stamps), finer than the others' per key. In memory, no durability.
 */
import { createMergeableStore, type MergeableChanges, type MergeableStore } from 'tinybase';
import { countingLink, pullBothWays, type Adapter, type BenchPeer, type Item, type LiveLink, type State } from './adapter.ts';
import { fromJsonBytes, jsonBytes } from './codec-adapter.ts';
import type { Meter } from './meter.ts';

interface TinyBasePeer extends BenchPeer {
  readonly store: MergeableStore;
}

/** TinyBase's synchronizer message types. */
const GET_CONTENT_HASHES = 1;
const CONTENT_DIFF = 3;
const GET_TABLE_DIFF = 4;
const GET_ROW_DIFF = 5;
const GET_CELL_DIFF = 6;
const GET_VALUE_DIFF = 7;
const RESPONSE = 0;
/** The size of TinyBase's `transactionId.requestId`. */
const REQUEST_ID = 'T2kX9aQmZr1.a7Fq';

/** A stamp as it travels: `[thing, hlc, hash?]`. */
type Stamp = [Record<string, unknown>, string?, number?];

function latest(a: string | undefined, b: string | undefined): string {
  return (a ?? '') > (b ?? '') ? (a ?? '') : (b ?? '');
}

/** TinyBase's `mergeTablesStamps`: folds the rows and cells of `more` into `into`. */
function mergeTablesStamps(into: Stamp, more: Stamp): void {
  for (const [tableId, tableStamp] of Object.entries(more[0] as Record<string, Stamp>)) {
    const table = ((into[0] as Record<string, Stamp>)[tableId] ??= [{}, '']);
    for (const [rowId, rowStamp] of Object.entries(tableStamp[0] as Record<string, Stamp>)) {
      const row = ((table[0] as Record<string, Stamp>)[rowId] ??= [{}, '']);
      for (const [cellId, [cell, cellTime]] of Object.entries(rowStamp[0] as Record<string, [unknown, string?]>)) row[0][cellId] = [cell, cellTime];
      row[1] = latest(row[1], rowStamp[1]);
    }
    table[1] = latest(table[1], tableStamp[1]);
  }
  into[1] = latest(into[1], more[1]);
}

function isEmpty(object: object): boolean {
  for (const _ in object) return false;
  return true;
}

/** One request of the receiver `to` and the answer of `from`, both on the wire as JSON. */
function ask<T>(from: TinyBasePeer, meter: Meter, type: number, body: unknown): T {
  const request = meter.time('receiver', () => jsonBytes([REQUEST_ID, type, body]));
  meter.send('back', 'handshake', request.byteLength);
  const response = meter.time('sender', () => {
    const [, , received] = fromJsonBytes<[string, number, never]>(request);
    const store = from.store;
    const answer =
      type === GET_CONTENT_HASHES
        ? store.getMergeableContentHashes()
        : type === GET_TABLE_DIFF
          ? store.getMergeableTableDiff(received)
          : type === GET_ROW_DIFF
            ? store.getMergeableRowDiff(received)
            : type === GET_CELL_DIFF
              ? store.getMergeableCellDiff(received)
              : store.getMergeableValueDiff(received);
    return jsonBytes([REQUEST_ID, RESPONSE, answer]);
  });
  meter.send('forward', 'data', response.byteLength);
  return meter.time('receiver', () => fromJsonBytes<[string, number, T]>(response)[2]);
}

export const tinybaseAdapter: Adapter<TinyBasePeer> = {
  id: 'tinybase',
  label: 'TinyBase 10.0.1 (MergeableStore)',
  family: 'peer',
  notes: 'Table `items`, a row per key. Sync: its synchronizer\'s hash-diff conversation (content → table → row → cell hashes), JSON messages, then applyMergeableChanges. Live: getTransactionMergeableChanges() per transaction as a ContentDiff. Per-cell LWW. In memory, no durability.',
  createPeer(name) {
    const store = createMergeableStore(name);
    let batch: Array<[string, Item]> = [];
    const peer: TinyBasePeer = {
      name,
      store,
      set(key, value) {
        batch.push([key, value]);
      },
      commit() {
        const writes = batch;
        batch = [];
        store.transaction(() => {
          for (const [key, value] of writes) store.setRow('items', key, value);
        });
        return Promise.resolve();
      },
      readAll: () => store.getTable('items') as State,
      close: () => Promise.resolve(),
    };
    return Promise.resolve(peer);
  },
  pull(from, to, meter) {
    const local = to.store;
    const [otherTablesHash, otherValuesHash] = ask<[number, number]>(from, meter, GET_CONTENT_HASHES, '');
    const [tablesHash, valuesHash] = meter.time('receiver', () => local.getMergeableContentHashes());
    let tables: Stamp = [{}, ''];
    if (tablesHash !== otherTablesHash) {
      const [newTables, differentTables] = ask<[Stamp, Record<string, number>]>(from, meter, GET_TABLE_DIFF, meter.time('receiver', () => local.getMergeableTableHashes()));
      tables = newTables;
      if (!isEmpty(differentTables)) {
        const [newRows, differentRows] = ask<[Stamp, Record<string, Record<string, number>>]>(from, meter, GET_ROW_DIFF, meter.time('receiver', () => local.getMergeableRowHashes(differentTables)));
        meter.time('receiver', () => mergeTablesStamps(tables, newRows));
        if (!isEmpty(differentRows)) {
          const newCells = ask<Stamp>(from, meter, GET_CELL_DIFF, meter.time('receiver', () => local.getMergeableCellHashes(differentRows)));
          meter.time('receiver', () => mergeTablesStamps(tables, newCells));
        }
      }
    }
    const values: Stamp = valuesHash === otherValuesHash ? [{}, ''] : ask<Stamp>(from, meter, GET_VALUE_DIFF, meter.time('receiver', () => local.getMergeableValueHashes()));
    meter.time('receiver', () => local.applyMergeableChanges([tables, values, 1] as unknown as MergeableChanges));
    return Promise.resolve();
  },
  exchange: (a, b, meter) => pullBothWays(tinybaseAdapter, a, b, meter),
  openLive(from, to, meter): Promise<LiveLink> {
    let stop: () => void = () => undefined;
    const link = countingLink(() => stop());
    const id = from.store.addDidFinishTransactionListener(() => {
      const message = jsonBytes([REQUEST_ID, CONTENT_DIFF, from.store.getTransactionMergeableChanges()]);
      meter.send('forward', 'data', message.byteLength);
      to.store.applyMergeableChanges(fromJsonBytes<[string, number, MergeableChanges]>(message)[2]);
      link.applied();
    });
    stop = () => from.store.delListener(id);
    return Promise.resolve(link);
  },
};

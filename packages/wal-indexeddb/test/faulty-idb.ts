/**
 * A wrapped IDBFactory that injects the failures browsers really produce,
 * over any IndexedDB (fake-indexeddb in Node, Chromium's own in the page):
 * the WAL sees the wrapper, tests pull its levers.
 *
 * Every object of the API is the real one behind a Proxy that forwards each
 * property and method to it; only what a fault changes is overridden.
 */

/** How an injected write failure shows. */
export type FaultMode =
  /** The request method throws the DOMException at once (as `add()` throws `DataCloneError`). */
  | 'throw'
  /** The request runs, then its transaction aborts with the DOMException as `error` (as a failed commit, or quota exceeded). */
  | 'abort';

/** What the WAL asked of a transaction, for assertions. */
export interface SeenTransaction {
  readonly stores: readonly string[];
  readonly mode: IDBTransactionMode;
  readonly durability: string | undefined;
  /** The writes requested in it (add, put, clear, delete). */
  writes: number;
}

/** The wrapper and its levers. */
export interface FaultyFactory {
  /** The factory to give the WAL. */
  readonly factory: IDBFactory;
  /** The real connections opened through the wrapper, in order (for `forceCloseDatabase`, say). */
  readonly connections: IDBDatabase[];
  /** Every transaction the WAL made, in order. */
  readonly transactions: SeenTransaction[];
  /** Makes the next write request (add, put, clear, delete) fail as `mode` says, with a DOMException named `name`. */
  failNext(what: 'put', mode: FaultMode, name: string): void;
  /** Makes the next `db.transaction()` throw a DOMException named `name` (as a closing connection throws InvalidStateError). */
  failNextTransaction(name: string): void;
  /** Makes every `factory.open()` throw a DOMException named `name` at once (as a browser refusing storage throws SecurityError). */
  refuseOpen(name: string | undefined): void;
}

const WRITES = new Set<PropertyKey>(['add', 'put', 'clear', 'delete']);

/** A Proxy forwarding to `target`, with `override` consulted first (return `NOT` to forward). */
function wrap<T extends object>(target: T, override: (prop: PropertyKey) => unknown): T {
  return new Proxy(target, {
    get(t, prop) {
      const own = override(prop);
      if (own !== NOT) return own;
      const value: unknown = Reflect.get(t, prop, t);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(t) : value;
    },
    set(t, prop, value) {
      return Reflect.set(t, prop, value, t);
    },
  });
}

const NOT = Symbol('forward');

/**
 * Wraps `real` so that failures can be injected.
 *
 * @param real - the IndexedDB to wrap
 */
export function createFaultyFactory(real: IDBFactory): FaultyFactory {
  let writeFault: { mode: FaultMode; name: string } | undefined;
  let txFault: string | undefined;
  let openRefusal: string | undefined;
  const connections: IDBDatabase[] = [];
  const transactions: SeenTransaction[] = [];
  const wrappedDbs = new WeakMap<IDBDatabase, IDBDatabase>();

  const wrapStore = (store: IDBObjectStore, tx: IDBTransaction, txState: { error: DOMException | undefined }, seen: SeenTransaction): IDBObjectStore =>
    wrap(store, (prop) => {
      if (!WRITES.has(prop)) return NOT;
      return (...args: unknown[]) => {
        seen.writes++;
        const fault = writeFault;
        writeFault = undefined;
        if (fault?.mode === 'throw') throw new DOMException(`injected ${fault.name}`, fault.name);
        const request = (store[prop as 'put'] as (...a: unknown[]) => IDBRequest).apply(store, args);
        if (fault?.mode === 'abort') {
          request.addEventListener('success', () => {
            txState.error = new DOMException(`injected ${fault.name}`, fault.name);
            tx.abort();
          });
        }
        return request;
      };
    });

  const wrapTx = (tx: IDBTransaction, seen: SeenTransaction): IDBTransaction => {
    const txState: { error: DOMException | undefined } = { error: undefined };
    return wrap(tx, (prop) => {
      if (prop === 'error') return txState.error ?? tx.error;
      if (prop === 'objectStore') return (name: string) => wrapStore(tx.objectStore(name), tx, txState, seen);
      return NOT;
    });
  };

  const wrapDb = (db: IDBDatabase): IDBDatabase => {
    let wrapped = wrappedDbs.get(db);
    if (wrapped !== undefined) return wrapped;
    connections.push(db);
    wrapped = wrap(db, (prop) => {
      if (prop === 'transaction') {
        return (stores: string | string[], mode?: IDBTransactionMode, options?: IDBTransactionOptions) => {
          const fault = txFault;
          txFault = undefined;
          if (fault !== undefined) throw new DOMException(`injected ${fault}`, fault);
          const tx = db.transaction(stores, mode, options);
          const seen: SeenTransaction = {
            stores: typeof stores === 'string' ? [stores] : [...stores],
            mode: mode ?? 'readonly',
            durability: (tx as { durability?: string }).durability,
            writes: 0,
          };
          transactions.push(seen);
          return wrapTx(tx, seen);
        };
      }
      return NOT;
    });
    wrappedDbs.set(db, wrapped);
    return wrapped;
  };

  const factory = wrap(real, (prop) => {
    if (prop !== 'open') return NOT;
    return (name: string, version?: number) => {
      if (openRefusal !== undefined) throw new DOMException(`injected ${openRefusal}`, openRefusal);
      const request = version === undefined ? real.open(name) : real.open(name, version);
      return wrap(request, (p) => (p === 'result' && request.readyState === 'done' && request.error === null ? wrapDb(request.result) : NOT));
    };
  });

  return {
    factory,
    connections,
    transactions,
    failNext: (_what, mode, name) => {
      writeFault = { mode, name };
    },
    failNextTransaction: (name) => {
      txFault = name;
    },
    refuseOpen: (name) => {
      openRefusal = name;
    },
  };
}

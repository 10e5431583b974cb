import type { Collection, CollectionChange, Operation, Peer, PeerRole, Space, WriteHandle } from '@softadastra/sdk';
import type { BoardElements } from './elements.ts';
import type { ErrorBanner } from './error-banner.ts';

/** A task of the board: one key of the `tasks` collection, written whole (last writer wins). */
export interface Task {
  readonly title: string;
  readonly done: boolean;
  /** When it was added (ms since the epoch, on the device that added it): the board's order. */
  readonly created: number;
}

/**
 * Where this device's latest write of a task is: `saving` until it is in
 * IndexedDB, `local` once it is (it survives a crash of the tab), `relay`
 * once the relay holds it too. A task last written by another device came
 * through the relay: `relay`.
 */
export type WriteState = 'saving' | 'local' | 'relay';

const STATE_TEXT: Record<WriteState, string> = { saving: 'saving…', local: 'saved on this device', relay: 'on the relay' };

interface Row {
  readonly item: HTMLLIElement;
  readonly done: HTMLInputElement;
  readonly title: HTMLInputElement;
  readonly state: HTMLSpanElement;
  readonly remove: HTMLButtonElement;
  task: Task;
  op: Operation;
}

/**
 * The board on the page: renders the tasks of a space and turns the user's
 * clicks and typing into writes; shows the connection, the pending writes,
 * each task's write state and the tab's role.
 */
export class Board {
  readonly #peer: Peer;
  readonly #space: Space;
  readonly #tasks: Collection<Task>;
  readonly #elements: BoardElements;
  readonly #banner: ErrorBanner;
  readonly #rows = new Map<string, Row>();
  /** Local writes per key not yet durable. */
  readonly #saving = new Map<string, number>();
  #refreshQueued = false;

  constructor(peer: Peer, space: Space, elements: BoardElements, banner: ErrorBanner) {
    this.#peer = peer;
    this.#space = space;
    this.#tasks = space.collection<Task>('tasks');
    this.#elements = elements;
    this.#banner = banner;
  }

  /** Renders what is stored, then follows every change, local or remote. */
  start(): void {
    const { addForm, newTask, tasks } = this.#elements;
    addForm.addEventListener('submit', (event) => {
      event.preventDefault();
      const title = newTask.value.trim();
      if (title === '') return;
      newTask.value = '';
      this.#write(newTaskKey(), (key) => this.#tasks.put(key, { title, done: false, created: Date.now() }));
    });
    this.#tasks.subscribe((changes) => this.#apply(changes), { initial: true });
    this.#peer.on('status', () => this.#queueRefresh());
    // The count of writes the relay has not acknowledged moved: some write states did (in any tab).
    this.#peer.on('pending', () => this.#queueRefresh());
    this.#followRole();
    // A safety net, not the mechanism: a refresh that finds nothing new touches nothing.
    setInterval(() => this.#queueRefresh(), 2_000);
    tasks.dataset['ready'] = 'true';
    this.#refresh();
  }

  #apply(changes: ReadonlyArray<CollectionChange<Task>>): void {
    for (const { key, value, op } of changes) {
      const row = this.#rows.get(key);
      if (value === undefined) {
        row?.item.remove();
        this.#rows.delete(key);
      } else if (row === undefined) {
        this.#rows.set(key, this.#createRow(key, value, op));
      } else {
        row.task = value;
        row.op = op;
        this.#fill(row);
      }
    }
    this.#order();
    this.#queueRefresh();
  }

  #createRow(key: string, task: Task, op: Operation): Row {
    const item = document.createElement('li');
    item.dataset['key'] = key;
    const done = document.createElement('input');
    done.type = 'checkbox';
    const title = document.createElement('input');
    title.className = 'title';
    title.maxLength = 500;
    title.autocomplete = 'off';
    const state = document.createElement('span');
    state.className = 'write-state';
    state.setAttribute('role', 'status');
    state.setAttribute('aria-label', 'Write state');
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.textContent = 'Delete';
    item.append(done, title, state, remove);
    const row: Row = { item, done, title, state, remove, task, op };

    done.addEventListener('change', () => this.#write(key, (k) => this.#tasks.put(k, { ...row.task, done: done.checked })));
    const commitTitle = (): void => {
      const next = title.value.trim();
      if (next === '') title.value = row.task.title;
      else if (next !== row.task.title) this.#write(key, (k) => this.#tasks.put(k, { ...row.task, title: next }));
    };
    title.addEventListener('change', commitTitle);
    title.addEventListener('keydown', (event) => {
      if (event.key === 'Enter') commitTitle();
      else if (event.key === 'Escape') title.value = row.task.title;
    });
    remove.addEventListener('click', () => this.#write(key, (k) => this.#tasks.delete(k)));
    this.#fill(row);
    return row;
  }

  #fill(row: Row): void {
    const { title, done } = row.task;
    // Never under the user's cursor: a remote edit waits until the field is left.
    if (document.activeElement !== row.title) row.title.value = title;
    row.title.setAttribute('aria-label', `Title of ${title}`);
    row.done.checked = done;
    row.done.setAttribute('aria-label', `Done: ${title}`);
    row.remove.setAttribute('aria-label', `Delete ${title}`);
    row.item.dataset['done'] = String(done);
  }

  /** Oldest first; moves only the rows out of place. */
  #order(): void {
    const sorted = [...this.#rows.entries()].sort(([ka, a], [kb, b]) => a.task.created - b.task.created || (ka < kb ? -1 : ka > kb ? 1 : 0));
    const list = this.#elements.tasks;
    let at: ChildNode | null = list.firstChild;
    for (const [, row] of sorted) {
      if (at === row.item) at = at.nextSibling;
      else list.insertBefore(row.item, at);
    }
  }

  /** A write from the page: its error goes to the banner, its progress to the task's write state. */
  #write(key: string, write: (key: string) => WriteHandle): void {
    let handle: WriteHandle;
    try {
      handle = write(key);
    } catch (error) {
      this.#banner.show(error);
      return;
    }
    this.#saving.set(key, (this.#saving.get(key) ?? 0) + 1);
    this.#queueRefresh();
    handle.acked.then(
      () => this.#queueRefresh(),
      () => undefined, // reported through `durable`, or the peer's error event
    );
    handle.durable
      .catch((error: unknown) => this.#banner.show(error))
      .finally(() => {
        const left = (this.#saving.get(key) ?? 1) - 1;
        if (left > 0) this.#saving.set(key, left);
        else this.#saving.delete(key);
        this.#queueRefresh();
      });
  }

  #writeState(key: string, op: Operation): WriteState {
    if (this.#saving.has(key)) return 'saving';
    return op.origin === this.#peer.id && !this.#space.isAcked(op) ? 'local' : 'relay';
  }

  #queueRefresh(): void {
    if (this.#refreshQueued) return;
    this.#refreshQueued = true;
    queueMicrotask(() => {
      this.#refreshQueued = false;
      this.#refresh();
    });
  }

  /** The status line and every task's write state. */
  #refresh(): void {
    const { connection, pending } = this.#elements;
    const status = this.#peer.status;
    if (connection.dataset['status'] !== status) {
      connection.textContent = status;
      connection.dataset['status'] = status;
    }
    const count = String(this.#peer.pending());
    if (pending.dataset['count'] !== count) {
      pending.textContent = `${count} ${count === '1' ? 'write' : 'writes'} pending`;
      pending.dataset['count'] = count;
    }
    for (const [key, row] of this.#rows) {
      const state = this.#writeState(key, row.op);
      if (row.state.dataset['state'] === state) continue;
      row.state.dataset['state'] = state;
      row.state.textContent = STATE_TEXT[state];
    }
  }

  /** Whether this tab leads the origin's shared peer (holds the WAL and the relay connection) or follows the one that does. */
  #followRole(): void {
    const show = (role: PeerRole): void => {
      this.#elements.role.dataset['role'] = role;
      this.#elements.role.textContent = role === 'leader' ? 'this tab leads' : 'this tab follows';
    };
    show(this.#peer.role);
    this.#peer.on('role', (role) => {
      show(role);
      this.#queueRefresh();
    });
  }
}

/** A random key for a new task (no secure context needed, unlike `crypto.randomUUID`). */
function newTaskKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return `t-${Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('')}`;
}

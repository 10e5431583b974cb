/**
 * The page script of test/tabs.browser.integration.test.ts: one tab of the site, with the SDK's
 * browser entry on the page's real IndexedDB, Web Locks and BroadcastChannel. Driven through
 * `globalThis.sdkTab` with `page.evaluate`.
 */
import { createPeer, type Collection, type Peer } from '../../src/browser.js';

export interface TabView {
  readonly role: string;
  readonly status: string;
  readonly pending: number;
  readonly entries: Array<[string, number]>;
  readonly root: string;
  readonly errors: string[];
  readonly roleChanges: number[];
}

export interface SdkTab {
  open(storage: string, relay: string): Promise<string>;
  put(key: string, value: number): Promise<number>;
  putMany(prefix: string, count: number): Promise<string[]>;
  view(): TabView;
  now(): number;
}

let peer: Peer | undefined;
let tasks: Collection<number> | undefined;
let root = '';
const errors: string[] = [];
const roleChanges: number[] = [];

const tab: SdkTab = {
  async open(storage, relay) {
    peer = await createPeer({ storage: { indexeddb: storage }, relay, transport: 'websocket', onError: (error) => errors.push(`${error.code} ${error.message}`) });
    peer.on('role', () => roleChanges.push(performance.now()));
    const space = await peer.space('team');
    tasks = space.collection<number>('tasks');
    const update = (): void => {
      root = space.digest().root;
    };
    space.subscribe(update);
    update();
    return peer.id;
  },
  async put(key, value) {
    return (await tasks!.put(key, value)).seq;
  },
  async putMany(prefix, count) {
    const done: string[] = [];
    for (let i = 0; i < count; i++) {
      await tasks!.put(`${prefix}${i}`, i);
      done.push(`${prefix}${i}`);
    }
    return done;
  },
  view: () => ({
    role: peer?.role ?? 'none',
    status: peer?.status ?? 'none',
    pending: peer?.pending() ?? -1,
    entries: tasks?.entries() ?? [],
    root,
    errors,
    roleChanges,
  }),
  now: () => performance.now(),
};
(globalThis as unknown as { sdkTab: SdkTab }).sdkTab = tab;

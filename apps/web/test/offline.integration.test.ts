import { afterAll, describe, expect, it } from 'vitest';
import { addTasks, freshBoard, nodePeer, shown, skip, startHarness, suiteName, untilShown, until, type Harness } from './harness.ts';

const ITEMS = 200;
const titleOf = (i: number): string => `offline item ${String(i).padStart(3, '0')}`;

describe.skipIf(skip)(suiteName, () => {
  let harness: Harness | undefined;
  afterAll(() => harness?.close(), 30_000);

  it(`writes ${ITEMS} tasks in airplane mode, reloads while offline with everything still shown, and delivers them all once online`, async () => {
    harness = await startHarness();
    const h = harness;
    const board = freshBoard('offline');
    const node = await nodePeer(h.relay.url, board);
    const [deviceA, deviceB] = [await h.browser.newContext(), await h.browser.newContext()];
    const a = await h.open(deviceA, h.url(board));
    const b = await h.open(deviceB, h.url(board));
    await untilShown(a, (s) => s.offlineReady && s.connection === 'synced', 'device A is synced and its service worker holds the app', h.problems);
    await untilShown(b, (s) => s.connection === 'synced', 'device B is synced', h.problems);

    // Airplane mode for A; and the web server refuses every file, so a page can only come from the service worker.
    await deviceA.setOffline(true);
    h.filesDown = true;
    await untilShown(a, (s) => s.connection === 'offline', 'device A shows it is offline', h.problems);
    await addTasks(a, Array.from({ length: ITEMS }, (_, i) => titleOf(i)));
    await untilShown(a, (s) => s.tasks.length === ITEMS && s.tasks.every((t) => t.state === 'local') && s.pending === ITEMS, `device A shows ${ITEMS} tasks saved on this device, ${ITEMS} pending`, h.problems);
    expect((await shown(a)).tasks.map((t) => t.title)).toEqual(Array.from({ length: ITEMS }, (_, i) => titleOf(i)));
    // Nothing left the device.
    expect((await shown(b)).tasks).toEqual([]);
    expect(node.tasks.size).toBe(0);

    // Reloaded in airplane mode: the page comes from the service worker, the tasks from IndexedDB.
    const refused = await fetch(h.url(board)).then((r) => r.status);
    expect(refused, 'the web server is down for files').toBe(503);
    await a.reload({ timeout: 30_000 });
    await untilShown(a, (s) => s.ready && s.tasks.length === ITEMS, 'device A shows its tasks again after an offline reload', h.problems);
    const reloaded = await shown(a);
    expect(reloaded.connection).toBe('offline');
    expect(reloaded.tasks.map((t) => t.title)).toEqual(Array.from({ length: ITEMS }, (_, i) => titleOf(i)));
    expect(reloaded.tasks.every((t) => t.state === 'local' && !t.done)).toBe(true);
    expect(reloaded.pending).toBe(ITEMS);

    // Back online: everything reaches the relay, device B and the Node peer.
    h.filesDown = false;
    await deviceA.setOffline(false);
    await untilShown(a, (s) => s.connection === 'synced' && s.pending === 0 && s.tasks.every((t) => t.state === 'relay'), 'device A has every write on the relay', h.problems);
    await untilShown(b, (s) => s.tasks.length === ITEMS, `device B shows the ${ITEMS} tasks`, h.problems);
    await until(() => node.tasks.size === ITEMS, `the Node peer has the ${ITEMS} tasks`, h.problems);
    const keys = (await shown(a)).tasks.map((t) => t.key);
    expect((await shown(b)).tasks.map((t) => t.key)).toEqual(keys);
    expect(node.tasks.keys().sort()).toEqual([...keys].sort());
    expect((await shown(a)).errors).toEqual([]);

    await node.peer.close();
    await Promise.all([deviceA.close(), deviceB.close()]);
    expect(h.problems).toEqual([]);
  });
});

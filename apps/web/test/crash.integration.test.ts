import { afterAll, describe, expect, it } from 'vitest';
import { addTask, freshBoard, nodePeer, shown, skip, startHarness, suiteName, untilShown, until, type Harness } from './harness.ts';

describe.skipIf(skip)(suiteName, () => {
  let harness: Harness | undefined;
  afterAll(() => harness?.close(), 30_000);

  it('keeps a write the page showed as saved when its tab crashes before the relay had it, and syncs it once reopened', async () => {
    harness = await startHarness();
    const h = harness;
    const board = freshBoard('crash');
    const node = await nodePeer(h.relay.url, board);
    const [deviceA, deviceB] = [await h.browser.newContext(), await h.browser.newContext()];
    const a = await h.open(deviceA, h.url(board));
    const b = await h.open(deviceB, h.url(board));
    await untilShown(a, (s) => s.offlineReady && s.connection === 'synced', 'device A is synced and loads offline', h.problems);
    await addTask(a, 'Written before the crash');
    await untilShown(a, (s) => s.tasks[0]?.state === 'relay', 'the first task is on the relay', h.problems);

    // Offline, so that only this device's IndexedDB can hold the write when the tab dies.
    await deviceA.setOffline(true);
    await untilShown(a, (s) => s.connection === 'offline', 'device A is offline', h.problems);
    await addTask(a, 'Survives the crash');
    await untilShown(a, (s) => s.tasks[1]?.title === 'Survives the crash' && s.tasks[1].state === 'local', 'the write shows as saved on this device', h.problems);

    // The renderer is killed at once (CDP Page.crash): no unload, no flush, no close of the peer.
    const crashed = new Promise<void>((resolve) => a.once('crash', () => resolve()));
    const cdp = await deviceA.newCDPSession(a);
    void cdp.send('Page.crash').catch(() => undefined);
    await crashed;
    await a.close(); // the crashed tab's remains: playwright can no longer change the context's network with it

    // Reopened (still offline: from the service worker): the write is there, still only on this device.
    const reopened = await h.open(deviceA, h.url(board));
    await untilShown(reopened, (s) => s.tasks.length === 2, 'the reopened tab shows both tasks', h.problems);
    const after = await shown(reopened);
    expect(after.tasks.map((t) => t.title)).toEqual(['Written before the crash', 'Survives the crash']);
    expect(after.tasks[1]!.state).toBe('local');
    // The relay's acks reach disk at most once a second (SDK README): after a crash, the ack of a
    // write from the last second may be forgotten, so it counts as pending again — never the reverse.
    expect(['relay', 'local']).toContain(after.tasks[0]!.state);
    expect(after.pending).toBe(after.tasks.filter((t) => t.state === 'local').length);
    expect((await shown(b)).tasks.map((t) => t.title)).toEqual(['Written before the crash']);

    await deviceA.setOffline(false);
    await untilShown(reopened, (s) => s.connection === 'synced' && s.pending === 0 && s.tasks.every((t) => t.state === 'relay'), 'the write reaches the relay', h.problems);
    await untilShown(b, (s) => s.tasks.map((t) => t.title).join() === 'Written before the crash,Survives the crash', 'device B shows it', h.problems);
    await until(() => node.tasks.list().some((t) => t.title === 'Survives the crash'), 'the Node peer has it', h.problems);
    expect(after.tasks.map((t) => t.key)).toEqual((await shown(b)).tasks.map((t) => t.key));

    await node.peer.close();
    await Promise.all([deviceA.close(), deviceB.close()]);
    expect(h.problems).toEqual([]);
  });
});

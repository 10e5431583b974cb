import type { Page } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { addTasks, freshBoard, shown, skip, startHarness, suiteName, until, untilShown, type Harness, type Shown } from './harness.ts';

const titles = (tab: string, from: number, count: number): string[] => Array.from({ length: count }, (_, i) => `${tab} ${String(from + i).padStart(2, '0')}`);

describe.skipIf(skip)(suiteName, () => {
  let harness: Harness | undefined;
  afterAll(() => harness?.close(), 30_000);

  it('shares one peer among three tabs: one leader, one relay connection, writes from every tab; a new leader when it closes, nothing lost', async () => {
    harness = await startHarness();
    const h = harness;
    const board = freshBoard('tabs');
    const [deviceA, deviceB] = [await h.browser.newContext(), await h.browser.newContext()];
    const tabs: Page[] = [];
    for (let i = 0; i < 3; i++) tabs.push(await h.open(deviceA, h.url(board)));
    const other = await h.open(deviceB, h.url(board));
    const roles = async (pages: readonly Page[]): Promise<string[]> => Promise.all(pages.map(async (p) => (await shown(p)).role));
    const oneLeader = async (pages: readonly Page[]): Promise<boolean> => {
      const r = await roles(pages);
      return r.filter((x) => x === 'leader').length === 1 && r.filter((x) => x === 'follower').length === pages.length - 1;
    };
    await until(() => oneLeader(tabs), 'one tab of device A leads, the others follow', h.problems, async () => `; roles: ${JSON.stringify(await roles(tabs))}`);
    // Device A has one connection whatever its number of tabs, device B its own.
    await until(async () => (await h.metric('relay_connections')) === 2, 'the relay has two connections', h.problems, async () => `; it has ${await h.metric('relay_connections')}`);

    // Writes typed in every tab.
    await Promise.all(tabs.map((tab, i) => addTasks(tab, titles(`tab${i}`, 0, 5))));
    const all = (count: number) => (s: Shown) => s.tasks.length === count && s.connection === 'synced' && s.pending === 0 && s.tasks.every((t) => t.state === 'relay');
    for (const page of [...tabs, other]) await untilShown(page, all(15), 'every tab and device B are synced and show the 15 tasks on the relay', h.problems);

    // The leader closes while the followers type, and right after its own writes were saved.
    const leaderIndex = (await roles(tabs)).indexOf('leader');
    const leader = tabs[leaderIndex]!;
    const followers = tabs.filter((_, i) => i !== leaderIndex);
    await addTasks(leader, titles('leader', 0, 3));
    await untilShown(leader, (s) => s.tasks.filter((t) => t.title.startsWith('leader ')).every((t) => t.state !== 'saving') && s.tasks.length >= 18, "the leader's last writes are saved", h.problems);
    const typing = Promise.all(followers.map((tab, i) => addTasks(tab, titles(`follower${i}`, 0, 10))));
    await untilShown(followers[0]!, (s) => s.tasks.some((t) => t.title === 'follower0 02'), 'the followers are typing', h.problems);
    await leader.close();
    await typing;

    await until(() => oneLeader(followers), 'one of the remaining tabs leads', h.problems, async () => `; roles: ${JSON.stringify(await roles(followers))}`);
    const total = 15 + 3 + 20;
    for (const page of [...followers, other]) await untilShown(page, all(total), `the remaining tabs and device B are synced and show all ${total} tasks on the relay`, h.problems);
    const keys = (await shown(other)).tasks.map((t) => t.key);
    for (const page of followers) expect((await shown(page)).tasks.map((t) => t.key)).toEqual(keys);
    expect((await shown(other)).tasks.map((t) => t.title).sort()).toEqual(
      [...titles('tab0', 0, 5), ...titles('tab1', 0, 5), ...titles('tab2', 0, 5), ...titles('leader', 0, 3), ...titles('follower0', 0, 10), ...titles('follower1', 0, 10)].sort(),
    );
    await until(async () => (await h.metric('relay_connections')) === 2, 'the relay has two connections again', h.problems, async () => `; it has ${await h.metric('relay_connections')}`);
    await Promise.all([deviceA.close(), deviceB.close()]);
    expect(h.problems).toEqual([]);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { addTask, addTasks, chromiumArgs, chromiumPath, freshBoard, shown, skip, startHarness, suiteName, untilShown, type Harness } from './harness.ts';

describe.skipIf(skip)(suiteName, () => {
  let harness: Harness | undefined;
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  afterAll(async () => {
    await context?.close();
    await harness?.close();
    if (profile !== undefined) await rm(profile, { recursive: true, force: true });
  }, 30_000);

  it('shows E_STORAGE_QUOTA when the origin runs out of storage, and keeps every earlier task through a reload', async () => {
    harness = await startHarness();
    const h = harness;
    const board = freshBoard('quota');
    // A browser profile on disk: Chromium applies a quota override to storage opened after it, so
    // the earlier tasks are written in one browser run and the quota is cut before the next run opens them.
    profile = await mkdtemp(join(tmpdir(), 'softadastra-web-profile-'));
    const launch = (): Promise<BrowserContext> => chromium.launchPersistentContext(profile!, { executablePath: chromiumPath, headless: true, args: chromiumArgs, timeout: 60_000 });
    const earlier = ['Earlier one', 'Earlier two', 'Earlier three'];

    context = await launch();
    let page = await h.open(context, h.url(board));
    await untilShown(page, (s) => s.connection === 'synced' && s.offlineReady, 'the board is synced and loads offline', h.problems);
    for (const title of earlier) await addTask(page, title);
    await untilShown(page, (s) => s.tasks.length === 3 && s.pending === 0 && s.tasks.every((t) => t.state === 'relay'), 'the earlier tasks are on the relay', h.problems);
    await context.close();

    // The next run: the origin may store only 16 KiB more (DevTools protocol Storage.overrideQuotaForOrigin).
    context = await launch();
    const blank = context.pages()[0] ?? (await context.newPage());
    const cdp = await context.newCDPSession(blank);
    const { usage } = (await cdp.send('Storage.getUsageAndQuota', { origin: h.origin })) as { usage: number };
    expect(usage, 'the earlier run stored data').toBeGreaterThan(0);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: h.origin, quotaSize: usage + 16 * 1024 });
    page = await h.open(context, h.url(board));
    await untilShown(page, (s) => s.tasks.map((t) => t.title).join() === earlier.join(), 'the earlier tasks are shown', h.problems);

    // Typed until the storage refuses: the typed error reaches the page's banner.
    const long = 'a task with a long description '.repeat(15);
    let typed = 0;
    while (!(await shown(page)).errors.includes('E_STORAGE_QUOTA')) {
      expect(typed, 'tasks typed before the quota refused one (16 KiB over ~500-byte tasks)').toBeLessThan(300);
      await addTasks(page, Array.from({ length: 5 }, (_, i) => `${long}${typed + i}`));
      typed += 5;
    }
    const full = await shown(page);
    expect(full.errorText.find((line) => line.startsWith('E_STORAGE_QUOTA'))).toMatch(/quota/);
    expect(full.tasks.slice(0, 3).map((t) => t.title)).toEqual(earlier);
    await untilShown(page, (s) => s.tasks.every((t) => t.state !== 'saving'), 'every write is settled: stored or refused', h.problems);
    const settled = await shown(page);
    expect(settled.tasks.length, 'some tasks were refused').toBeLessThan(3 + typed);

    // Reloaded (the quota still full): the earlier tasks, and every task stored before the error, are all there.
    await page.reload();
    await untilShown(page, (s) => s.ready && s.tasks.length > 0, 'the board is shown again', h.problems);
    const reloaded = await shown(page);
    expect(reloaded.tasks.slice(0, 3).map((t) => t.title)).toEqual(earlier);
    expect(reloaded.tasks.map((t) => t.key)).toEqual(settled.tasks.map((t) => t.key));
    // On the relay: known from the acks kept with the data, or (an ack of the last second before the
    // first run closed may not have been recorded) once the relay acknowledges them again.
    await untilShown(page, (s) => s.tasks.slice(0, 3).every((t) => t.state === 'relay'), 'the earlier tasks show on the relay', h.problems);
    expect(h.problems).toEqual([]);
  });
});

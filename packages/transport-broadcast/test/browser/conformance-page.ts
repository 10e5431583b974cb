/**
 * The page script of the conformance run in Chromium (test/browser.integration.test.ts): the
 * suite of `@softadastra/sync-testing`, bundled with `vitest` aliased to ./vitest-shim.ts, on the
 * page's own BroadcastChannel (two instances of one name in one page deliver to each other, as
 * two tabs do). Imported from the suite's source file: the package's entry also holds the
 * simulator and the kill test, which need Node.
 */
import { runTransportConformance } from '@softadastra/sync-testing/conformance';
import { createBroadcastHub, type BroadcastConnection, type BroadcastHub } from '../../src/index.js';
import { runRegistered } from './vitest-shim.js';

let n = 0;
const hubs: BroadcastHub[] = [];

runTransportConformance('broadcast (Chromium BroadcastChannel)', {
  pair: async () => {
    const channel = `conformance-${n++}`;
    const leader = createBroadcastHub({ channel, id: 'leader' });
    const follower = createBroadcastHub({ channel, id: 'follower' });
    hubs.push(leader, follower);
    const accepted = new Promise<BroadcastConnection>((resolve) => leader.listen(resolve));
    const a = follower.connect('leader');
    return { a, b: await accepted };
  },
  cleanup: () => {
    for (const hub of hubs.splice(0)) hub.close();
  },
  timeoutMs: 3_000,
});

(globalThis as unknown as { runConformance: typeof runRegistered }).runConformance = runRegistered;

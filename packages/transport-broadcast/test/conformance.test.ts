import { runTransportConformance } from '@softadastra/sync-testing';
import { afterAll } from 'vitest';
import { createBroadcastHub, type BroadcastConnection, type BroadcastHub } from '../src/index.js';

// Node's global BroadcastChannel: two instances of one name in one process deliver to each other,
// as two tabs of one origin do. Each pair gets a channel of its own.
let n = 0;
const hubs: BroadcastHub[] = [];

runTransportConformance('broadcast (Node BroadcastChannel)', {
  pair: async () => {
    const channel = `conformance-${process.pid}-${n++}`;
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

afterAll(() => {
  for (const hub of hubs.splice(0)) hub.close();
});

// The option takes the platform constructor as its type says (this file does not compile otherwise).
export const platform: Parameters<typeof createBroadcastHub>[0]['BroadcastChannel'] = globalThis.BroadcastChannel;

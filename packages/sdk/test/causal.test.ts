import { afterEach, describe, expect, it } from 'vitest';
import { createPeer } from '../src/index.js';
import { startRelay, until } from './helpers.js';

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('causal spaces', () => {
  it('stamp every write with what its writer had seen, and a newcomer never sees a reply before its message', async () => {
    const relay = await startRelay();
    const open = async (peerId: string, causal: boolean | string[]) => {
      const peer = await createPeer({ storage: ':memory:', relay: relay.url, transport: 'websocket', peerId, causal });
      cleanups.push(() => peer.close());
      return (await peer.space('team')).collection<string>('chat');
    };
    const alice = await open('zz-alice', true);
    const bob = await open('aa-bob', ['team']);
    await alice.put('question', 'lunch?');
    await until(() => bob.get('question') === 'lunch?', 'bob sees the question');
    const reply = await bob.put('answer', 'yes');
    expect(reply.deps).toEqual({ 'zz-alice': 1 });
    await until(() => relay.engine.get('chat', 'answer') === 'yes', 'the relay holds the answer');
    // Someone who opens the space later: at every change it shows, the answer comes with its question.
    const carol = await createPeer({ storage: ':memory:', relay: relay.url, transport: 'websocket', peerId: 'mm-carol' });
    cleanups.push(() => carol.close());
    const chat = (await carol.space('team')).collection<string>('chat');
    const broken: string[] = [];
    carol.on('change', () => {
      if (chat.get('answer') !== undefined && chat.get('question') === undefined) broken.push('answer without question');
    });
    await until(() => chat.get('answer') === 'yes', 'carol sees the answer');
    expect(chat.get('question')).toBe('lunch?');
    expect(broken).toEqual([]);
  });
});

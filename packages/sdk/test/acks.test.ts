import { describe, expect, it } from 'vitest';
import { createMemoryNetwork, createPeer, type Operation } from '../src/index.js';
import { openPeer, tempDir } from './helpers.js';

const dir = (): Promise<string> => tempDir('sdk-acks-');

const peer = openPeer;

/**
 * Writes `count` notes on a peer stored in `path`, synced to a stand-in relay
 * (another peer over a memory link, its acks recorded as a relay's would be),
 * and waits for every ack. Returns the operations.
 */
async function writeAcked(path: string, count: number, recordAcks: boolean): Promise<Operation[]> {
  const writer = await createPeer({ storage: path });
  const relay = await peer({ storage: ':memory:' });
  const [toRelay, toWriter] = createMemoryNetwork().connect('writer', 'relay');
  const space = await writer.space('team');
  space.connect(toRelay, { recordAcks });
  (await relay.space('team')).connect(toWriter);
  const ops: Operation[] = [];
  for (let i = 0; i < count; i++) {
    const write = space.collection('notes').put(`n${i}`, i);
    await write.acked;
    ops.push(await write);
  }
  // Only a session whose acks are recorded stands for the relay.
  expect(space.pending()).toBe(recordAcks ? 0 : count);
  await writer.close();
  return ops;
}

describe('acks kept with the data', () => {
  it('after a restart, pending() leaves out what the relay acked and isAcked() answers, before any reconnection', async () => {
    const path = await dir();
    const ops = await writeAcked(path, 5, true);
    const again = await peer({ storage: path });
    const space = await again.space('team');
    expect(again.pending()).toBe(0);
    expect(space.pending()).toBe(0);
    for (const op of ops) expect(space.isAcked(op)).toBe(true);
    const offline = await space.collection('notes').put('offline', true);
    expect(again.pending()).toBe(1);
    expect(space.isAcked(offline)).toBe(false);
    expect(space.isAcked({ origin: again.id, seq: 99 })).toBe(false);
    // The write handle of an earlier write would resolve at once too: whenAcked knows the record.
    await space.engine.whenAcked(ops[0]!);
  });

  it('the pending event follows the count: up with a write, down with the ack', async () => {
    const writer = await peer({ storage: ':memory:' });
    const relay = await peer({ storage: ':memory:' });
    const counts: number[] = [];
    writer.on('pending', (count) => counts.push(count));
    const space = await writer.space('team');
    const write = space.collection('notes').put('n', 1);
    await write;
    expect(counts).toEqual([1]);
    const [toRelay, toWriter] = createMemoryNetwork().connect('writer', 'relay');
    space.connect(toRelay, { recordAcks: true });
    (await relay.space('team')).connect(toWriter);
    await write.acked;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(counts).toEqual([1, 0]);
  });

  it('a connection of your own is not taken for the relay unless asked (recordAcks)', async () => {
    const path = await dir();
    await writeAcked(path, 3, false);
    const again = await peer({ storage: path });
    await again.space('team');
    expect(again.pending()).toBe(3);
  });
});

/**
 * A peer in its own process, driven by the demo over stdin/stdout (one JSON
 * object per line), so that the demo can SIGKILL it for real.
 *
 *   tsx child-peer.ts --relay URL --data DIR --space S
 *
 * Commands on stdin: `write N`, `report`, `exit`. Events on stdout: ready,
 * written, progress, report.
 */
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { createPeer } from '@softadastra/sdk';

const { values } = parseArgs({ options: { relay: { type: 'string' }, data: { type: 'string' }, space: { type: 'string', default: 'demo' }, keys: { type: 'string', default: '100' } } });
const say = (event: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(event)}\n`);

const peer = await createPeer({ storage: values.data!, relay: values.relay! });
const space = await peer.space(values.space);
const tasks = space.collection<{ by: string; n: number }>('tasks');
let received = 0;
peer.on('progress', (_space, progress) => {
  if (progress.direction !== 'receive') return;
  received = progress.ops;
  say({ event: 'progress', ops: progress.ops, bytes: progress.bytes });
});
say({ event: 'ready', peer: peer.id, keys: tasks.size, held: space.versionVector().count() });

let written = space.versionVector().max(peer.id);
for await (const line of createInterface({ input: process.stdin })) {
  const [command, argument] = line.trim().split(/\s+/);
  if (command === 'write') {
    const count = Number(argument);
    const writes = [];
    for (let i = 0; i < count; i++) {
      written++;
      writes.push(tasks.put(`task-${written % Number(values.keys)}`, { by: 'carol', n: written }));
    }
    await Promise.all(writes);
    say({ event: 'written', count });
  } else if (command === 'report') {
    await Promise.race([peer.synced(), new Promise((resolve) => setTimeout(resolve, 30_000))]);
    const vv = space.versionVector();
    say({ event: 'report', peer: peer.id, keys: tasks.size, digest: space.digest().root, vv: JSON.stringify(vv), pending: peer.pending(), status: peer.status, origins: [...vv.origins()].length, ops: vv.count(), received });
  } else if (command === 'exit') {
    await peer.close();
    process.exit(0);
  }
}

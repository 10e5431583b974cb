/**
 * A client-host process: runs a {@link WriterGroup} on behalf of the
 * benchmark, driven over IPC (see {@link HostMessage}). Started by
 * `hostGroup()` in `groups.ts`.
 */
import type { GroupReply, HostMessage } from './groups.js';
import { WriterGroup } from './writers.js';

let group: WriterGroup | undefined;

const reply = (message: GroupReply): void => void process.send?.(message);

process.on('message', (message: HostMessage) => {
  switch (message.type) {
    case 'open':
      WriterGroup.open(message.options).then(
        (opened) => {
          group = opened;
          reply({ type: 'ready' });
        },
        (error: unknown) => {
          console.error('client host: cannot open its clients', error);
          process.exit(1);
        },
      );
      return;
    case 'start':
      group?.start();
      return;
    case 'stop':
      group?.stop();
      return;
    case 'sample':
      if (group !== undefined) reply({ type: 'sample', sample: group.sample() });
      return;
    case 'close':
      void (group?.close() ?? Promise.resolve()).then(() => {
        reply({ type: 'closed' });
        process.exit(0);
      });
      return;
  }
});

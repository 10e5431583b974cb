/**
 * Writer groups as the throughput phase drives them: in the benchmark
 * process, or each in a client-host process of its own (`client-host.ts`).
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WriterGroup, type GroupOptions, type GroupSample } from './writers.js';

const HOST = fileURLToPath(new URL('./client-host.ts', import.meta.url));

/** The benchmark → client host messages. */
export type HostMessage =
  | { readonly type: 'open'; readonly options: GroupOptions }
  | { readonly type: 'start' }
  | { readonly type: 'stop' }
  | { readonly type: 'sample' }
  | { readonly type: 'close' };

/** The client host → benchmark messages. */
export type GroupReply = { readonly type: 'ready' } | { readonly type: 'sample'; readonly sample: GroupSample } | { readonly type: 'closed' };

/** A group of writing clients, wherever it runs. */
export interface Group {
  start(): void;
  stop(): void;
  sample(): Promise<GroupSample>;
  close(): Promise<void>;
}

/** The group in this process. */
export async function localGroup(options: GroupOptions): Promise<Group> {
  const group = await WriterGroup.open(options);
  return {
    start: () => group.start(),
    stop: () => group.stop(),
    sample: () => Promise.resolve(group.sample()),
    close: () => group.close(),
  };
}

/** The group in a client-host process of its own. */
export async function hostGroup(options: GroupOptions, cpuProfDir?: string): Promise<Group> {
  const profile = cpuProfDir !== undefined ? ['--cpu-prof', '--cpu-prof-dir', cpuProfDir] : [];
  const child = spawn(process.execPath, [...profile, '--import', 'tsx', '--conditions=@softadastra/source', HOST], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = (type: GroupReply['type']): Promise<GroupReply> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: GroupReply): void => {
        if (message.type !== type) return;
        child.off('message', onMessage);
        resolve(message);
      };
      child.on('message', onMessage);
      void exited.then(() => reject(new Error(`the client host exited while the benchmark waited for "${type}"`)));
    });
  const send = (message: HostMessage): void => void child.send(message);
  const ready = next('ready');
  send({ type: 'open', options });
  await ready;
  return {
    start: () => send({ type: 'start' }),
    stop: () => send({ type: 'stop' }),
    async sample() {
      const reply = next('sample');
      send({ type: 'sample' });
      const message = await reply;
      if (message.type !== 'sample') throw new Error('unexpected reply');
      return message.sample;
    },
    async close() {
      send({ type: 'close' });
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Splits `items` into `parts` contiguous chunks of nearly equal size (none empty). */
export function split<T>(items: readonly T[], parts: number): T[][] {
  const chunks: T[][] = [];
  const count = Math.max(1, Math.min(parts, items.length));
  for (let c = 0; c < count; c++) chunks.push(items.slice(Math.floor((c * items.length) / count), Math.floor(((c + 1) * items.length) / count)));
  return chunks;
}

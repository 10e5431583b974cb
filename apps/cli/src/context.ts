import { createPeer, type Peer, type Space } from '@softadastra/sdk';
import { CliError, EXIT, progressBar } from './output.js';

/** Options shared by the data commands. */
export interface GlobalOptions {
  readonly data: string;
  readonly relay: string | undefined;
  readonly token: string | undefined;
  readonly json: boolean;
  readonly timeoutMs: number;
  readonly transport: 'auto' | 'websocket' | 'http';
}

/** Opens the local peer (its data directory) and a space, connected to the relay if one is given. */
export async function openSpace(options: GlobalOptions, name: string): Promise<{ peer: Peer; space: Space; progress: ReturnType<typeof progressBar> }> {
  const peer = await createPeer({
    storage: options.data,
    transport: options.transport,
    ...(options.relay !== undefined ? { relay: options.relay } : {}),
    ...(options.token !== undefined ? { token: options.token } : {}),
  });
  const progress = progressBar(!options.json && process.stderr.isTTY === true);
  peer.on('progress', (space, p) => progress.update(space, p));
  const space = await peer.space(name).catch(async (error: unknown) => {
    await peer.close();
    throw error;
  });
  return { peer, space, progress };
}

/** `collection/key` → its two parts. */
export function splitPath(path: string | undefined): { collection: string; key: string } {
  const at = path?.indexOf('/') ?? -1;
  if (path === undefined || at <= 0 || at === path.length - 1) throw new CliError(`expected <collection/key>, got ${JSON.stringify(path ?? '')}`, EXIT.usage);
  return { collection: path.slice(0, at), key: path.slice(at + 1) };
}

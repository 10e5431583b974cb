/**
 * The board page: one peer per origin (IndexedDB), the board's space synced
 * with the relay, the service worker that makes the page load offline.
 */
import { createPeer } from '@softadastra/sdk';
import { Board } from './board.ts';
import { boardConfig } from './config.ts';
import { findElements, type BoardElements } from './elements.ts';
import { ErrorBanner } from './error-banner.ts';

const elements = findElements(document);
const banner = new ErrorBanner(elements);
const config = boardConfig(new URL(location.href));
elements.boardName.textContent = config.board;
document.title = `${config.board} · Softadastra board`;

if (import.meta.env.PROD) registerServiceWorker(elements);
await open();

async function open(): Promise<void> {
  try {
    // The default transport: WebSocket, falling back to HTTP long polling where WebSockets are blocked.
    const peer = await createPeer({ storage: { indexeddb: config.storage }, relay: config.relay });
    peer.on('error', (error) => banner.show(error));
    // The browser knows before the socket does: airplane mode stops the sessions at once, and back online they start again.
    if (!navigator.onLine) peer.offline();
    addEventListener('offline', () => peer.offline());
    addEventListener('online', () => peer.online());
    const space = await peer.space(config.board);
    new Board(peer, space, elements, banner).start();
  } catch (error) {
    banner.show(error);
  }
}

/** Installs the service worker; the page says when it can load offline. */
function registerServiceWorker({ offlineReady }: BoardElements): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker
    .register('./sw.js', { type: 'module' })
    .then(() => navigator.serviceWorker.ready)
    .then(() => {
      offlineReady.dataset['ready'] = 'true';
      offlineReady.textContent = 'this board loads offline';
    })
    .catch((error: unknown) => {
      offlineReady.textContent = 'not available';
      banner.show(error);
    });
}

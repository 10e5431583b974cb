import { WebSocket as RawWebSocket } from 'ws';
import type { SocketCloseEvent, SocketErrorEvent, SocketMessageEvent } from '../src/web-socket-like.js';

/**
 * A WebSocket with only what a browser's offers, over `ws`: no headers, no
 * `terminate()`, no HTTP status of a refused upgrade, no error details, and
 * only close codes 1000 and 3000–4999 — to run the browser code path in Node.
 */
export class StandardWebSocket {
  readonly #inner: RawWebSocket;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: SocketMessageEvent) => void) | null = null;
  onclose: ((event: SocketCloseEvent) => void) | null = null;
  onerror: ((event: SocketErrorEvent) => void) | null = null;
  readonly url: string;

  constructor(url: string) {
    this.url = url;
    this.#inner = new RawWebSocket(url);
    this.#inner.binaryType = 'arraybuffer';
    this.#inner.onopen = () => this.onopen?.({});
    this.#inner.onmessage = (event) => this.onmessage?.({ data: event.data });
    this.#inner.onclose = (event) => this.onclose?.({ code: event.code, reason: event.reason });
    this.#inner.onerror = () => this.onerror?.({});
  }

  get binaryType(): string {
    return this.#inner.binaryType;
  }

  set binaryType(value: string) {
    if (value !== 'arraybuffer' && value !== 'blob') throw new Error(`binaryType ${value} is not allowed in a browser`);
  }

  get readyState(): number {
    return this.#inner.readyState;
  }

  get bufferedAmount(): number {
    return this.#inner.bufferedAmount;
  }

  send(data: Uint8Array | string): void {
    this.#inner.send(data);
  }

  close(code?: number, reason?: string): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new Error(`InvalidAccessError: close code ${code}`);
    this.#inner.close(code, reason);
  }
}

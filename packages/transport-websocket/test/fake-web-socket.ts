import type { SocketCloseEvent, SocketErrorEvent, SocketMessageEvent, WebSocketConstructor, WebSocketLike } from '../src/web-socket-like.js';

/**
 * A WebSocket with the standard API only (like a browser's), driven by the
 * test: `open()`, `receive()`, `drop()`, `fail()`; `bufferedAmount` is set by
 * hand. It records what was sent and how it was closed.
 */
export class FakeWebSocket implements WebSocketLike {
  binaryType = 'blob';
  readyState = 0;
  bufferedAmount = 0;
  onopen: ((event: unknown) => void) | null = null;
  onmessage: ((event: SocketMessageEvent) => void) | null = null;
  onclose: ((event: SocketCloseEvent) => void) | null = null;
  onerror: ((event: SocketErrorEvent) => void) | null = null;
  readonly url: string;
  readonly sent: Array<Uint8Array | string> = [];
  closedWith: { code: number | undefined; reason: string | undefined } | undefined;

  constructor(url: string) {
    this.url = url;
  }

  send(data: Uint8Array | string): void {
    if (this.readyState !== 1) throw new Error(`fake socket: send() in readyState ${this.readyState}`);
    this.sent.push(data);
  }

  close(code?: number, reason?: string): void {
    this.closedWith = { code, reason };
    this.readyState = 2;
  }

  /** The binary messages sent so far. */
  binary(): Uint8Array[] {
    return this.sent.filter((data): data is Uint8Array => typeof data !== 'string');
  }

  /** The text frames sent so far. */
  text(): string[] {
    return this.sent.filter((data): data is string => typeof data === 'string');
  }

  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(data: unknown): void {
    this.onmessage?.({ data });
  }

  drop(code = 1006, reason = ''): void {
    this.readyState = 3;
    this.onclose?.({ code, reason });
  }

  fail(message = 'connect ECONNREFUSED'): void {
    this.onerror?.({ message });
    this.drop(1006, '');
  }
}

/** A WebSocket class whose instances are {@link FakeWebSocket}s, listed in `sockets`. */
export function fakeWebSocketClass(): { WebSocket: WebSocketConstructor; sockets: FakeWebSocket[] } {
  const sockets: FakeWebSocket[] = [];
  class Tracked extends FakeWebSocket {
    constructor(url: string) {
      super(url);
      sockets.push(this);
    }
  }
  return { WebSocket: Tracked, sockets };
}

import { describe, expect, it } from 'vitest';
import { EventListeners, TransportError, wrapConnection, type Connection, type ConnectionEvents, type ConnectionState, type SyncError } from './index.js';

/** A hand-driven inner connection: the test emits its events. */
function fakeConnection() {
  const listeners = new EventListeners<ConnectionEvents>(['open', 'message', 'close', 'error', 'drain'], (error) => {
    throw error;
  });
  const sent: Uint8Array[] = [];
  const closed: Array<[number | undefined, string | undefined]> = [];
  let state: ConnectionState = 'open';
  let buffered = 0;
  const connection: Connection = {
    capabilities: { ordered: true, reliable: true, maxMessageBytes: 4, reconnects: true },
    get state() {
      return state;
    },
    get bufferedAmount() {
      return buffered;
    },
    send(bytes) {
      if (state !== 'open') throw new TransportError('E_CLOSED', 'not open');
      if (bytes.length > 4) throw new TransportError('E_TOO_LARGE', 'too large');
      sent.push(bytes);
      buffered += bytes.length;
    },
    on: (event, listener) => listeners.on(event, listener),
    close(code, reason) {
      closed.push([code, reason]);
      state = 'closed';
    },
  };
  return {
    connection,
    sent,
    closed,
    emit: <E extends keyof ConnectionEvents>(event: E, ...args: Parameters<ConnectionEvents[E]>) => listeners.emit(event, ...args),
    setState: (next: ConnectionState) => (state = next),
    drain: () => (buffered = 0),
  };
}

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe('wrapConnection', () => {
  it("shows the inner connection's capabilities, state and bufferedAmount, and closes it", () => {
    const inner = fakeConnection();
    const wrapped = wrapConnection(inner.connection, {});
    expect(wrapped.capabilities.maxMessageBytes).toBe(4);
    wrapped.send(bytes(1, 2, 3));
    expect(wrapped.bufferedAmount).toBe(3);
    inner.drain();
    expect(wrapped.bufferedAmount).toBe(0);
    inner.setState('connecting');
    expect(wrapped.state).toBe('connecting');
    wrapped.close(4000, 'bye');
    expect(inner.closed).toEqual([[4000, 'bye']]);
    expect(wrapped.state).toBe('closed');
  });

  it('lets a send tap count and change what is sent, and passes the inner errors to the caller', () => {
    const inner = fakeConnection();
    let counted = 0;
    const wrapped = wrapConnection(inner.connection, {
      send(message, forward) {
        counted += message.length;
        forward(message.map((b) => b + 1));
      },
    });
    wrapped.send(bytes(1, 2));
    expect(counted).toBe(2);
    expect(inner.sent).toEqual([bytes(2, 3)]);
    expect(() => wrapped.send(bytes(1, 2, 3, 4, 5))).toThrow(expect.objectContaining({ code: 'E_TOO_LARGE' }) as Error);
    inner.setState('connecting');
    expect(() => wrapped.send(bytes(1))).toThrow(expect.objectContaining({ code: 'E_CLOSED' }) as Error);
  });

  it('forwards open, close, error and drain, and delivers messages through the receive tap once per message', () => {
    const inner = fakeConnection();
    const seen: number[] = [];
    const wrapped = wrapConnection(inner.connection, {
      receive(message, deliver) {
        seen.push(message[0]!);
        if (message[0] !== 0) deliver(message);
      },
    });
    const events: string[] = [];
    wrapped.on('open', () => events.push('open'));
    wrapped.on('message', (m) => events.push(`a${m[0]!}`));
    wrapped.on('message', (m) => events.push(`b${m[0]!}`));
    wrapped.on('close', (info) => events.push(`close:${info.code}:${String(info.final)}`));
    wrapped.on('error', (error) => events.push(`error:${error.code}`));
    wrapped.on('drain', () => events.push('drain'));
    inner.emit('open');
    inner.emit('message', bytes(7));
    inner.emit('message', bytes(0));
    inner.emit('drain');
    inner.emit('error', new TransportError('E_TRANSPORT', 'x'));
    inner.emit('close', { code: 1006, reason: '', final: false });
    expect(seen).toEqual([7, 0]);
    expect(events).toEqual(['open', 'a7', 'b7', 'drain', 'error:E_TRANSPORT', 'close:1006:false']);
  });

  it('holds messages until the first listener when the tap wants to, delivering them from a microtask', async () => {
    const inner = fakeConnection();
    const held: Uint8Array[] = [];
    let listening = false;
    const wrapped = wrapConnection(inner.connection, {
      receive(message, deliver) {
        if (listening) deliver(message);
        else held.push(message);
      },
      listening(deliver) {
        listening = true;
        for (const message of held.splice(0)) deliver(message);
      },
    });
    inner.emit('message', bytes(1));
    inner.emit('message', bytes(2));
    const got: number[] = [];
    wrapped.on('message', (m) => got.push(m[0]!));
    expect(got).toEqual([]);
    await Promise.resolve();
    expect(got).toEqual([1, 2]);
    inner.emit('message', bytes(3));
    expect(got).toEqual([1, 2, 3]);
  });

  it('reports a listener that throws as an E_INTERNAL error, without stopping the other listeners', () => {
    const inner = fakeConnection();
    const wrapped = wrapConnection(inner.connection, {});
    const errors: SyncError[] = [];
    const got: number[] = [];
    wrapped.on('error', (error) => errors.push(error));
    wrapped.on('message', () => {
      throw new Error('listener bug');
    });
    wrapped.on('message', (m) => got.push(m[0]!));
    inner.emit('message', bytes(9));
    expect(got).toEqual([9]);
    expect(errors.map((e) => [e.code, e.message])).toEqual([['E_INTERNAL', "a 'message' listener of a connection threw: listener bug"]]);
  });

  it('removes a listener with the function on() returns', () => {
    const inner = fakeConnection();
    const wrapped = wrapConnection(inner.connection, {});
    const got: number[] = [];
    const off = wrapped.on('message', (m) => got.push(m[0]!));
    inner.emit('message', bytes(1));
    off();
    inner.emit('message', bytes(2));
    expect(got).toEqual([1]);
  });
});

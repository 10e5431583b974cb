import { createManualClock, type ManualClock } from '@softadastra/sync-core';
import { beforeEach, describe, expect, it } from 'vitest';
import { FakeWebSocket } from '../test/fake-web-socket.js';
import { DRAIN_POLL_MS, MAX_CONTROL_FRAMES_PER_SECOND, SocketLink, type LinkDown, type LinkSettings } from './socket-link.js';

describe('SocketLink', () => {
  let clock: ManualClock;
  let socket: FakeWebSocket;
  let events: { messages: Uint8Array[]; drains: number; downs: LinkDown[] };
  let link: SocketLink;

  const settings = (overrides: Partial<LinkSettings> = {}): LinkSettings => ({
    clock,
    heartbeatMs: 100,
    maxMessageBytes: 1_000,
    maxBufferedBytes: 10_000,
    peer: 'ws://test',
    ...overrides,
  });

  const start = (overrides: Partial<LinkSettings> = {}): void => {
    link = new SocketLink(socket, settings(overrides), {
      message: (bytes) => events.messages.push(bytes),
      drain: () => events.drains++,
      down: (info) => events.downs.push(info),
    });
  };

  beforeEach(() => {
    clock = createManualClock();
    socket = new FakeWebSocket('ws://test');
    socket.open();
    events = { messages: [], drains: 0, downs: [] };
  });

  it('asks for binary frames as ArrayBuffers', () => {
    start();
    expect(socket.binaryType).toBe('arraybuffer');
  });

  it('sends a ping text frame every heartbeatMs', () => {
    start();
    clock.advance(99);
    expect(socket.text()).toEqual([]);
    socket.receive('pong');
    clock.advance(1);
    expect(socket.text()).toEqual(['ping']);
    socket.receive('pong');
    clock.advance(100);
    expect(socket.text()).toEqual(['ping', 'ping']);
  });

  it('answers a ping with a pong and never delivers text frames as messages', () => {
    start();
    socket.receive('ping');
    socket.receive('something for a later version');
    expect(socket.text()).toEqual(['pong']);
    expect(events.messages).toEqual([]);
  });

  it('closes the link with 1008 (E_RATE_LIMIT) on a flood of control frames', () => {
    start({ heartbeatMs: 10_000 });
    for (let i = 0; i < MAX_CONTROL_FRAMES_PER_SECOND; i++) socket.receive('ping');
    expect(events.downs).toEqual([]);
    clock.advance(1_000);
    // A new second, a new budget: then one frame too many.
    for (let i = 0; i <= MAX_CONTROL_FRAMES_PER_SECOND; i++) socket.receive('ping');
    expect(events.downs).toHaveLength(1);
    expect(events.downs[0]!.code).toBe(1008);
    expect(events.downs[0]!.error?.code).toBe('E_RATE_LIMIT');
  });

  it('sends no pong while the peer does not read what it was sent (its buffer stays bounded)', () => {
    start();
    socket.bufferedAmount = 9_000; // above the low-water mark: the peer is not reading
    for (let i = 0; i < 100; i++) socket.receive('ping');
    expect(socket.text()).toEqual([]);
    socket.bufferedAmount = 0;
    socket.receive('ping');
    expect(socket.text()).toEqual(['pong']);
  });

  it('declares the link dead after exactly 2 × heartbeatMs without any frame, and terminates it', () => {
    start();
    clock.advance(50);
    socket.receive(new Uint8Array([1]).buffer); // data counts as a sign of life
    clock.advance(199);
    expect(events.downs).toEqual([]);
    clock.advance(1); // 200 ms after the last frame
    expect(events.downs).toHaveLength(1);
    expect(events.downs[0]!.code).toBe(1006);
    expect(events.downs[0]!.error?.code).toBe('E_TIMEOUT');
    expect(events.downs[0]!.error?.message).toMatch(/nothing received from ws:\/\/test for 200 ms/);
    expect(socket.closedWith).toBeDefined();
    // Nothing more from a dead link: no pings, no second down.
    const sent = socket.sent.length;
    clock.advance(1_000);
    expect(socket.sent.length).toBe(sent);
    expect(events.downs).toHaveLength(1);
  });

  it('reads what arrived while the event loop was blocked before declaring the link dead', () => {
    start();
    clock.advance(199);
    // t = 200: the watchdog fires first (a blocked loop runs timers before reading sockets)…
    expect(clock.runNext()).toBe(true);
    expect(events.downs).toEqual([]);
    // …then the socket is read: a ping from the other side had arrived meanwhile.
    socket.receive('ping');
    clock.advance(0);
    expect(events.downs).toEqual([]);
    // Silence is then judged from that frame again.
    socket.receive('pong');
    clock.advance(199);
    expect(events.downs).toEqual([]);
    clock.advance(1);
    expect(events.downs).toHaveLength(1);
  });

  it('stays up while pongs keep arriving', () => {
    start();
    for (let i = 0; i < 20; i++) {
      clock.advance(100);
      socket.receive('pong');
    }
    expect(events.downs).toEqual([]);
  });

  it('delivers each binary message in a buffer of its own, copying views', () => {
    start();
    const shared = new Uint8Array([1, 2, 3, 4, 5, 6]);
    socket.receive(shared.subarray(1, 3));
    socket.receive(new Uint8Array([9, 9]).buffer);
    shared.fill(0);
    expect(events.messages.map((m) => [...m])).toEqual([[2, 3], [9, 9]]);
    expect(events.messages[0]!.buffer).not.toBe(shared.buffer);
  });

  it('drops the link with E_TOO_LARGE (1009) on a message over maxMessageBytes from a socket that does not enforce it', () => {
    start();
    socket.receive(new Uint8Array(1_001).buffer);
    expect(events.messages).toEqual([]);
    expect(events.downs).toHaveLength(1);
    expect(events.downs[0]!.code).toBe(1009);
    expect(events.downs[0]!.error?.code).toBe('E_TOO_LARGE');
    // Browsers may only send 1000 or 3000–4999.
    expect(socket.closedWith?.code).toBe(1000);
  });

  it('sends a private copy of the bytes', () => {
    start();
    const bytes = new Uint8Array([1, 2, 3]);
    expect(link.send(bytes)).toBeUndefined();
    bytes.fill(7);
    expect([...socket.binary()[0]!]).toEqual([1, 2, 3]);
  });

  it("emits 'drain' when the buffer falls to the low-water mark after being above it, and again when empty", () => {
    start({ maxBufferedBytes: 4_000 }); // low-water mark: 1000
    socket.bufferedAmount = 3_000;
    link.send(new Uint8Array(10));
    clock.advance(DRAIN_POLL_MS);
    expect(events.drains).toBe(0);
    socket.bufferedAmount = 900;
    clock.advance(DRAIN_POLL_MS);
    expect(events.drains).toBe(1);
    clock.advance(DRAIN_POLL_MS * 5);
    expect(events.drains).toBe(1);
    socket.bufferedAmount = 0;
    clock.advance(DRAIN_POLL_MS);
    expect(events.drains).toBe(2);
    // Polling stops once empty.
    expect(clock.pending()).toBe(2); // the ping and the watchdog
  });

  it("emits 'drain' when a small backlog empties (a sender may pause below the low-water mark)", () => {
    start();
    socket.bufferedAmount = 50;
    link.send(new Uint8Array(10));
    clock.advance(DRAIN_POLL_MS);
    expect(events.drains).toBe(0);
    socket.bufferedAmount = 0;
    clock.advance(DRAIN_POLL_MS);
    expect(events.drains).toBe(1);
  });

  it('does not poll when nothing stays buffered', () => {
    start();
    link.send(new Uint8Array(10));
    expect(clock.pending()).toBe(2);
    clock.advance(DRAIN_POLL_MS * 3);
    expect(events.drains).toBe(0);
  });

  it('refuses a send that would exceed maxBufferedBytes: terminates the socket and says why, without calling down()', () => {
    start({ maxBufferedBytes: 2_000 });
    socket.bufferedAmount = 1_500;
    const down = link.send(new Uint8Array(501));
    expect(down?.error?.code).toBe('E_TRANSPORT');
    expect(down?.reason).toMatch(/maxBufferedBytes/);
    expect(socket.binary()).toEqual([]);
    expect(socket.closedWith).toBeDefined();
    expect(events.downs).toEqual([]);
    expect(link.bufferedAmount).toBe(0);
  });

  it('accepts a send that fills the buffer exactly to maxBufferedBytes', () => {
    start({ maxBufferedBytes: 2_000 });
    socket.bufferedAmount = 1_500;
    expect(link.send(new Uint8Array(500))).toBeUndefined();
  });

  it('reports a close from the other side once, with the error the socket reported before it', () => {
    start();
    socket.onerror?.({ message: 'read ECONNRESET' });
    socket.drop(1006, '');
    socket.drop(1006, '');
    expect(events.downs).toHaveLength(1);
    expect(events.downs[0]!.code).toBe(1006);
    expect(events.downs[0]!.error?.message).toMatch(/ECONNRESET/);
  });

  it('goes quiet after close(): no down(), no pings, the socket closed with the code', () => {
    start();
    link.close(4000, 'bye');
    expect(socket.closedWith).toEqual({ code: 4000, reason: 'bye' });
    socket.drop(4000, 'bye');
    clock.advance(10_000);
    expect(events.downs).toEqual([]);
    expect(socket.text()).toEqual([]);
    expect(clock.pending()).toBe(0);
  });
});

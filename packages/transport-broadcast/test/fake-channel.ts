import type { BroadcastChannelLike, ChannelMessageEvent } from '../src/index.js';

/**
 * A BroadcastChannel stand-in: delivers to every other instance of the same name on the same bus,
 * from a microtask, with a structured clone (as the platform does). `inject()` posts anything, as a
 * buggy or hostile tab would; `mute()` makes an instance vanish without a word, as a crashed tab.
 */
export class FakeBus {
  readonly #members = new Set<FakeChannel>();
  /** Every object posted, in order. */
  readonly posted: unknown[] = [];

  readonly BroadcastChannel = ((bus: FakeBus) =>
    class extends FakeChannel {
      constructor(name: string) {
        super(bus, name);
      }
    })(this);

  join(channel: FakeChannel): void {
    this.#members.add(channel);
  }

  leave(channel: FakeChannel): void {
    this.#members.delete(channel);
  }

  deliver(from: FakeChannel | undefined, name: string, message: unknown): void {
    this.posted.push(message);
    const copy = structuredClone(message);
    for (const member of this.#members) {
      if (member !== from && member.name === name) queueMicrotask(() => member.receive(copy));
    }
  }

  /** Posts `message` on channel `name` from no hub. */
  inject(name: string, message: unknown): void {
    this.deliver(undefined, name, message);
  }
}

export class FakeChannel implements BroadcastChannelLike {
  readonly name: string;
  readonly #bus: FakeBus;
  readonly #listeners: Array<(event: ChannelMessageEvent) => void> = [];
  #muted = false;
  closed = false;

  constructor(bus: FakeBus, name: string) {
    this.#bus = bus;
    this.name = name;
    bus.join(this);
  }

  postMessage(message: unknown): void {
    if (this.closed) throw new Error('InvalidStateError: the channel is closed');
    if (!this.#muted) this.#bus.deliver(this, this.name, message);
  }

  close(): void {
    this.closed = true;
    this.#bus.leave(this);
  }

  addEventListener(type: 'message' | 'messageerror', listener: (event: ChannelMessageEvent) => void): void {
    if (type === 'message') this.#listeners.push(listener);
  }

  /** From now on this instance neither sends nor receives: a tab that crashed. */
  mute(): void {
    this.#muted = true;
    this.#bus.leave(this);
  }

  receive(data: unknown): void {
    if (this.closed || this.#muted) return;
    for (const listener of this.#listeners) listener({ type: 'message', data });
  }
}

// A fixed delay for a stream of packets: what goes in comes out `delayMs` later, in order, so the
// caller hears and sees themselves as in a mirror a moment ago (the "echo" of a test call).
// Time and timers are injected, so the arithmetic is tested without waiting.

export interface Clock {
  now(): number;
  setTimeout(run: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const SYSTEM_CLOCK: Clock = {
  now: () => performance.now(),
  setTimeout: (run, ms) => setTimeout(run, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface DelayLineOptions {
  delayMs: number;
  /**
   * Packets held at most. A video call at 2.5 Mbit/s is ~250 packets a second, so 1.5 s is ~400;
   * past the cap the oldest are dropped (a caller flooding us must not grow our memory).
   */
  maxPackets: number;
  clock?: Clock;
}

export class DelayLine<T> {
  readonly #delayMs: number;
  readonly #max: number;
  readonly #clock: Clock;
  readonly #out: (item: T) => void;
  /** Oldest first: [due time, item]. */
  #queue: Array<[number, T]> = [];
  #timer: unknown;
  #dropped = 0;
  #closed = false;

  constructor(options: DelayLineOptions, out: (item: T) => void) {
    this.#delayMs = options.delayMs;
    this.#max = options.maxPackets;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#out = out;
  }

  /** Packets dropped because the line was full. */
  get dropped(): number {
    return this.#dropped;
  }

  get length(): number {
    return this.#queue.length;
  }

  push(item: T): void {
    if (this.#closed) return;
    if (this.#queue.length >= this.#max) {
      this.#queue.shift();
      this.#dropped++;
    }
    this.#queue.push([this.#clock.now() + this.#delayMs, item]);
    // One timer for the whole line, armed for the oldest packet: not one timer per packet.
    if (this.#timer === undefined) this.#arm();
  }

  /** Drops what is held and stops; nothing comes out any more. */
  close(): void {
    this.#closed = true;
    this.#queue = [];
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm() {
    const head = this.#queue[0];
    if (!head) return;
    this.#timer = this.#clock.setTimeout(() => this.#flush(), Math.max(0, head[0] - this.#clock.now()));
  }

  #flush() {
    this.#timer = undefined;
    const now = this.#clock.now();
    while (this.#queue.length > 0 && this.#queue[0]![0] <= now) {
      const [, item] = this.#queue.shift()!;
      this.#out(item);
      if (this.#closed) return;
    }
    this.#arm();
  }
}

import { describe, expect, it } from "vitest";
import { DelayLine, type Clock } from "../../../services/echo/delay-line.ts";

/** A clock whose time moves only when the test says so. */
function manualClock() {
  let now = 0;
  let timers: Array<{ at: number; run: () => void; id: number }> = [];
  let next = 0;
  const clock: Clock = {
    now: () => now,
    setTimeout: (run, ms) => {
      const id = ++next;
      timers.push({ at: now + ms, run, id });
      return id;
    },
    clearTimeout: (id) => {
      timers = timers.filter((t) => t.id !== id);
    },
  };
  const advance = (ms: number) => {
    const until = now + ms;
    for (;;) {
      const due = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
      if (!due) break;
      timers = timers.filter((t) => t !== due);
      now = due.at;
      due.run();
    }
    now = until;
  };
  return { clock, advance, pending: () => timers.length };
}

describe("DelayLine", () => {
  it("releases each packet delayMs after it came in, in order", () => {
    const { clock, advance } = manualClock();
    const out: Array<[string, number]> = [];
    const line = new DelayLine<string>({ delayMs: 1_000, maxPackets: 10, clock }, (p) => out.push([p, clock.now()]));
    line.push("a");
    advance(20);
    line.push("b");
    advance(979);
    expect(out).toEqual([]);
    advance(1);
    expect(out).toEqual([["a", 1_000]]);
    advance(20);
    expect(out).toEqual([["a", 1_000], ["b", 1_020]]);
  });

  it("keeps one timer for the whole line, not one per packet", () => {
    const { clock, pending } = manualClock();
    const line = new DelayLine<number>({ delayMs: 500, maxPackets: 100, clock }, () => undefined);
    for (let i = 0; i < 50; i++) line.push(i);
    expect(pending()).toBe(1);
  });

  it("drops the oldest packets beyond maxPackets and counts them", () => {
    const { clock, advance } = manualClock();
    const out: number[] = [];
    const line = new DelayLine<number>({ delayMs: 100, maxPackets: 3, clock }, (p) => out.push(p));
    for (let i = 1; i <= 5; i++) line.push(i);
    expect(line.dropped).toBe(2);
    advance(100);
    expect(out).toEqual([3, 4, 5]);
  });

  it("releases nothing once closed", () => {
    const { clock, advance, pending } = manualClock();
    const out: number[] = [];
    const line = new DelayLine<number>({ delayMs: 100, maxPackets: 3, clock }, (p) => out.push(p));
    line.push(1);
    line.close();
    line.push(2);
    advance(1_000);
    expect(out).toEqual([]);
    expect(pending()).toBe(0);
  });
});

import { afterEach, describe, expect, it, vi } from "vitest";
import { LocalTrickle } from "../../../client/src/call/local-trickle.ts";
import { NegotiationState } from "../../../client/src/call/negotiation.ts";

const candidate = (i: number) => ({ candidate: `candidate:${i} 1 udp ${2122260223 - i} 198.51.100.7 ${50000 + i} typ host generation 0`, sdpMid: "0", sdpMLineIndex: 0 });

function trickle() {
  const negotiation = new NegotiationState({ role: "initiator", sid: "s1", onSendable: () => undefined, onAgreed: () => undefined });
  return new LocalTrickle({ negotiation, batchMs: 100, ended: () => false, send: async () => undefined, failed: () => undefined });
}

/** Whether the promise settles without any timer running (fake timers hold them all). */
async function settlesWithoutTimers(p: Promise<void>): Promise<boolean> {
  let done = false;
  void p.then(() => (done = true));
  for (let i = 0; i < 5; i++) await Promise.resolve();
  return done;
}

describe("LocalTrickle: the first stanza after accept", () => {
  afterEach(() => vi.useRealTimers());

  it("goes out at once when candidates were gathered before it (while ringing, or from the candidate pool)", async () => {
    vi.useFakeTimers();
    const t = trickle();
    t.onCandidate(candidate(1));
    expect(await settlesWithoutTimers(t.firstCandidates())).toBe(true);
  });

  it("goes out at once when gathering is already complete", async () => {
    vi.useFakeTimers();
    const t = trickle();
    t.onCandidate(null);
    expect(await settlesWithoutTimers(t.firstCandidates())).toBe(true);
  });

  it("with no candidate yet, waits for the first burst only until the task after it, not a fixed settle time", async () => {
    vi.useFakeTimers();
    const t = trickle();
    const first = t.firstCandidates();
    expect(await settlesWithoutTimers(first)).toBe(false);
    t.onCandidate(candidate(1));
    t.onCandidate(candidate(2));
    await vi.advanceTimersByTimeAsync(0);
    expect(await settlesWithoutTimers(first)).toBe(true);
  });

  it("with no candidate at all, gives up waiting after 20 ms", async () => {
    vi.useFakeTimers();
    const t = trickle();
    const first = t.firstCandidates();
    await vi.advanceTimersByTimeAsync(19);
    expect(await settlesWithoutTimers(first)).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await settlesWithoutTimers(first)).toBe(true);
  });
});

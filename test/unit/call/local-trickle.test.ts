import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { LocalTrickle } from "../../../client/src/call/local-trickle.ts";
import { NegotiationState } from "../../../client/src/call/negotiation.ts";
import { sdpToSession } from "../../../client/src/jingle/index.ts";

/** Our description: a real Chromium audio description (content "0", as the candidates' sdpMid). */
const local = sdpToSession(readFileSync(join(import.meta.dirname, "../../fixtures/sdp/chromium-audio-offer.sdp"), "utf8"), { role: "responder" }).session;

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

describe("LocalTrickle: candidates after our session-initiate/accept", () => {
  afterEach(() => vi.useRealTimers());

  function sending() {
    const negotiation = new NegotiationState({ role: "responder", sid: "s1", onSendable: () => undefined, onAgreed: () => undefined });
    negotiation.setLocal(local.contents);
    const sent: number[] = [];
    const t = new LocalTrickle({
      negotiation, batchMs: 100, ended: () => false, failed: () => undefined,
      send: async () => void sent.push(Date.now()),
    });
    return { t, sent };
  }

  it("when the accept went out without candidates, the first burst follows within 5 ms, not after the 100 ms batch", async () => {
    vi.useFakeTimers();
    const { t, sent } = sending();
    t.withInline(local);
    t.signalled();
    const start = Date.now();
    t.onCandidate(candidate(1));
    t.onCandidate(candidate(2));
    await vi.advanceTimersByTimeAsync(5);
    expect(sent).toEqual([start + 5]);
    // Later candidates are batched as before.
    t.onCandidate(candidate(3));
    await vi.advanceTimersByTimeAsync(99);
    expect(sent).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(2);
  });

  it("when candidates rode inline, the next ones wait for the batch", async () => {
    vi.useFakeTimers();
    const { t, sent } = sending();
    t.onCandidate(candidate(1));
    t.withInline(local);
    t.signalled();
    t.onCandidate(candidate(2));
    await vi.advanceTimersByTimeAsync(99);
    expect(sent).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1);
    expect(sent).toHaveLength(1);
  });
});

// The call-quality reader on real getStats() reports of this machine's Chromium 156 and Firefox 153
// (test/fixtures/stats/, captured by test/fixtures/capture-stats.ts: a loopback audio+video call).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { keepWindow, rateQuality, readQuality, type QualitySample, type StatRecord } from "../../../client/src/call/quality.ts";

const load = (name: string) => JSON.parse(readFileSync(join(import.meta.dirname, "..", "..", "fixtures", "stats", `${name}-call.json`), "utf8")) as { snapshots: StatRecord[][] };

describe.each(["chromium", "firefox"])("readQuality on a %s call", (browser) => {
  const [first, second] = load(browser).snapshots as [StatRecord[], StatRecord[]];
  const sample = readQuality(second, first);

  it("names the selected candidate pair's types and protocol", () => {
    expect(sample.path?.local).toBe("host");
    expect(["host", "prflx"]).toContain(sample.path?.remote);
    expect(sample.path?.protocol).toBe("udp");
  });

  it("computes bitrates in and out from the byte counters of two snapshots a second apart", () => {
    // A 640×360 (Firefox: scaled to 320×180) canvas at up to 30 fps plus Opus: tens of kbit/s at least.
    expect(sample.bitrateIn).toBeGreaterThan(10_000);
    expect(sample.bitrateOut).toBeGreaterThan(10_000);
    expect(sample.bitrateIn).toBeLessThan(10_000_000);
  });

  it("reads no loss on loopback, a small jitter and round trip", () => {
    expect(sample.lossPercent).toBe(0);
    expect(sample.jitterMs).toBeGreaterThanOrEqual(0);
    expect(sample.jitterMs).toBeLessThan(50);
    expect(sample.rttMs).toBeGreaterThan(0);
    expect(sample.rttMs).toBeLessThan(100);
  });

  it("reads the video's resolution and frame rate both ways, and the codecs", () => {
    expect(sample.videoIn?.width).toBeGreaterThan(0);
    expect(sample.videoIn?.fps).toBeGreaterThan(0);
    expect(sample.videoOut?.height).toBeGreaterThan(0);
    expect(sample.codecs).toEqual({ audio: "opus", video: "VP8" });
  });

  it("rates the call good while ICE is connected", () => {
    expect(rateQuality("connected", sample)).toBe("good");
  });

  it("gives no rates from a single snapshot (nothing to compare with)", () => {
    const alone = readQuality(second);
    expect(alone.bitrateIn).toBeUndefined();
    expect(alone.bitrateOut).toBeUndefined();
    expect(alone.path).toEqual(sample.path);
  });
});

describe("readQuality on altered reports", () => {
  const [first, second] = load("chromium").snapshots as [StatRecord[], StatRecord[]];
  const selectedLocalId = () => {
    const transport = second.find((r) => r.type === "transport")!;
    const pair = second.find((r) => r.id === transport["selectedCandidatePairId"])!;
    return pair["localCandidateId"] as string;
  };

  it("reports a relayed path with the protocol to the TURN server (relayProtocol), not the peer's", () => {
    const id = selectedLocalId();
    const relayed = second.map((r) => (r.id === id ? { ...r, candidateType: "relay", relayProtocol: "tls", protocol: "udp" } : r));
    expect(readQuality(relayed, first).path).toMatchObject({ local: "relay", protocol: "tls" });
  });

  it("counts packets lost between the two snapshots in percent of those expected", () => {
    const lossy = second.map((r) => (r.type === "inbound-rtp" && r["kind"] === "audio" ? { ...r, packetsLost: (first.find((p) => p.id === r.id)!["packetsLost"] as number) + 10 } : r));
    const audioIn = (s: StatRecord[]) => s.find((r) => r.type === "inbound-rtp" && r["kind"] === "audio")!;
    const videoIn = (s: StatRecord[]) => s.find((r) => r.type === "inbound-rtp" && r["kind"] === "video")!;
    const received = (audioIn(second)["packetsReceived"] as number) - (audioIn(first)["packetsReceived"] as number) + (videoIn(second)["packetsReceived"] as number) - (videoIn(first)["packetsReceived"] as number);
    const sample = readQuality(lossy, first);
    expect(sample.lossPercent).toBeCloseTo((100 * 10) / (10 + received), 5);
  });
});

describe("rateQuality", () => {
  const base: QualitySample = { at: 0, rttMs: 20, lossPercent: 0, jitterMs: 5, codecs: {} };
  it.each([
    ["good on a clean path", "connected", base, "good"],
    ["poor when the round trip passes 400 ms", "connected", { ...base, rttMs: 450 }, "poor"],
    ["poor when more than 5 % of packets are lost", "completed", { ...base, lossPercent: 8 }, "poor"],
    ["poor when jitter passes 50 ms", "connected", { ...base, jitterMs: 80 }, "poor"],
    ["reconnecting while ICE is disconnected, whatever the last sample said", "disconnected", base, "reconnecting"],
    ["reconnecting while ICE checks again (restart)", "checking", base, "reconnecting"],
  ] as const)("%s", (_name, ice, sample, rating) => {
    expect(rateQuality(ice, sample)).toBe(rating);
  });
});

describe("keepWindow", () => {
  it("keeps the samples of the last minute only", () => {
    const at = (s: number): QualitySample => ({ at: s * 1000, codecs: {} });
    let samples: QualitySample[] = [];
    for (let s = 0; s <= 90; s++) samples = keepWindow(samples, at(s));
    expect(samples.length).toBe(60);
    expect(samples[0]!.at).toBe(31_000);
    expect(samples.at(-1)!.at).toBe(90_000);
  });
});

// Captured browser SDP and the few ways unit tests reshape it. sdp-transform parses and writes
// (CONVENTIONS: no string splicing beyond the ICE credentials); results are memoised because fuzz
// runs shape the same few SDPs thousands of times and 7 KB of parsing per call would dominate them.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, write, type MediaAttributes } from "sdp-transform";

const SDP_FIXTURES = join(import.meta.dirname, "..", "fixtures", "sdp");

/** A captured SDP from test/fixtures/sdp/ (each file's provenance is in test/fixtures/README.md). */
export function sdpFixture(file: string): string {
  return readFileSync(join(SDP_FIXTURES, file), "utf8");
}

// Captured from this machine's Chromium (see test/fixtures/capture-chromium-sdp.ts).
export const CHROMIUM_OFFER_AV = sdpFixture("chromium-audio-video-offer.sdp");
export const CHROMIUM_ANSWER_AV = sdpFixture("chromium-audio-video-answer.sdp");

export type Direction = NonNullable<MediaAttributes["direction"]>;

/** Remembers the last few results of a pure function of strings. */
function memo<T>(limit: number, compute: (key: string) => T): (key: string) => T {
  const cache = new Map<string, T>();
  return (key) => {
    if (cache.has(key)) return cache.get(key)!;
    if (cache.size >= limit) cache.clear();
    const value = compute(key);
    cache.set(key, value);
    return value;
  };
}

const shaped = memo(64, (key) => {
  const [sdp = "", kindList = "", directionList = ""] = key.split("\u0000");
  const kinds = kindList.split(",");
  const directions = directionList.split(",");
  const parsed = parse(sdp);
  const media = kinds.map((k) => parsed.media.find((m) => m.type === k)).filter((m): m is NonNullable<typeof m> => !!m);
  const mids = media.map((m) => String(m.mid));
  for (const m of media) m.direction = (directions[kinds.indexOf(m.type)] || m.direction) as Direction | undefined;
  const groups = parsed.groups?.map((g) => ({ ...g, mids: String(g.mids).split(" ").filter((mid) => mids.includes(mid)).join(" ") }));
  return write({ ...parsed, media, ...(groups ? { groups } : {}) });
});

/**
 * A captured SDP reduced to the m-lines of `kinds` (in that order, with their BUNDLE entries),
 * each with the direction `directionOf` gives (undefined: as captured): what a browser would
 * write for that media.
 */
export function shapeSdp(sdp: string, kinds: readonly string[], directionOf: (kind: string) => Direction | undefined = () => undefined): string {
  return shaped([sdp, kinds.join(), kinds.map((k) => directionOf(k) ?? "").join()].join("\u0000"));
}

/** The SDP without candidate lines: what createOffer()/createAnswer() return, candidates coming apart. */
export function withoutCandidates(sdp: string): string {
  return sdp.replace(/^a=(candidate|end-of-candidates).*\r?\n/gm, "");
}

export type MediaLine = { type: string; mid: string; direction: string | undefined };

const linesOf = memo(64, (sdp): readonly MediaLine[] => parse(sdp).media.map((m) => ({ type: m.type, mid: String(m.mid), direction: m.direction })));

/** The m-line kinds, mids and directions of an SDP, in order. */
export function mediaLines(sdp: string): MediaLine[] {
  return [...linesOf(sdp)];
}

const ufrags = memo(64, (sdp) => {
  const parsed = parse(sdp);
  return String(parsed.media[0]?.iceUfrag ?? parsed.iceUfrag ?? "");
});

/** The a=ice-ufrag of an SDP's first m-line (a browser uses one per BUNDLE group). */
export function ufragOf(sdp: string): string {
  return ufrags(sdp);
}

/** The SDP with ICE credentials of generation `n` (0: as captured). */
export function withIceGeneration(sdp: string, n: number): string {
  if (n === 0) return sdp;
  return sdp.replace(/^a=ice-ufrag:(.*)$/gm, `a=ice-ufrag:g${n}$1`).replace(/^a=ice-pwd:(.*)$/gm, `a=ice-pwd:g${n}$1`);
}

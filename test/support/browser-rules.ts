// What Chromium and Firefox refuse in setRemoteDescription, as far as a call's signalling can
// trigger it, so the fake peer refuses it too.
// - Shape (JSEP, RFC 9429 §5.8, §5.10): an answer has the offer's m-lines, in order, same kinds and
//   mids; RFC 8842 §5.3: its DTLS role is active or passive, never actpass; every m-line needs ICE
//   credentials and a fingerprint; rtcp-mux is required (our RTCPeerConnection's policy); a BUNDLE
//   group names only m-lines of the answer.
// - Codecs (JSEP §5.3.1, RFC 8285 §5): an answer keeps the offer's payload types and extension ids
//   it supports; a later offer restates what was agreed; an answer naming a payload type or
//   extension the offer lacked is refused (Firefox: "Answer has extmap … not present in offer";
//   Chromium: "BUNDLE group contains a codec collision").
import { parse, write, type MediaDescription } from "sdp-transform";
import { mediaLines, sdpFixture, type MediaLine } from "./sdp-shape.js";

export type Browser = "chromium" | "firefox";

/** What each browser supports, from captured offers (test/fixtures/README.md). */
export const CAPABILITIES: Record<Browser, string> = {
  chromium: sdpFixture("chromium-audio-video-offer.sdp"),
  firefox: sdpFixture("firefox-121-audio-video-offer.sdp"),
};

/** Why a browser would refuse `answer` to `offer` for its shape (undefined: it applies it). */
export function answerProblem(offer: string, answer: string): string | undefined {
  const key = `${offer}\u0000${answer}`;
  if (!verdicts.has(key)) {
    // The caller fuzz asks what the browser will say before the call asks the browser: keep the last few.
    if (verdicts.size > 16) verdicts.clear();
    verdicts.set(key, answerVerdict(mediaLines(offer), answer));
  }
  return verdicts.get(key);
}
const verdicts = new Map<string, string | undefined>();

function answerVerdict(offered: readonly MediaLine[], answer: string): string | undefined {
  let parsed;
  try {
    parsed = parse(answer);
  } catch (error) {
    return `unparseable answer: ${String(error)}`;
  }
  if (parsed.media.length !== offered.length) return `${parsed.media.length} m-lines answer ${offered.length}`;
  for (const [i, m] of parsed.media.entries()) {
    const o = offered[i]!;
    if (m.type !== o.type || String(m.mid) !== o.mid) return `m-line ${i} is ${m.type} mid ${String(m.mid)}, offered ${o.type} mid ${o.mid}`;
    if (!(m.iceUfrag ?? parsed.iceUfrag) || !(m.icePwd ?? parsed.icePwd)) return `mid ${o.mid}: no ICE credentials`;
    if (!(m.fingerprint ?? parsed.fingerprint)) return `mid ${o.mid}: no fingerprint`;
    const setup = m.setup ?? parsed.setup;
    if (setup !== "active" && setup !== "passive") return `mid ${o.mid}: answer with setup ${String(setup)}`;
    if (!m.rtcpMux) return `mid ${o.mid}: no rtcp-mux`;
  }
  const mids = new Set(parsed.media.map((m) => String(m.mid)));
  for (const g of parsed.groups ?? []) {
    if (String(g.mids).split(" ").some((mid) => !mids.has(mid))) return `group ${g.type} names a mid the answer lacks`;
  }
  return undefined;
}

export type Codecs = Pick<MediaDescription, "rtp" | "fmtp" | "rtcpFb" | "ext" | "payloads">;
const codecKey = (r: { codec: string; rate?: number }) => `${r.codec.toLowerCase()}/${r.rate ?? ""}`;

export function codecsOf(media: MediaDescription): Codecs {
  return { rtp: media.rtp, fmtp: media.fmtp, rtcpFb: media.rtcpFb ?? [], ext: media.ext ?? [], payloads: media.payloads };
}

/** The codecs and extensions `browser` supports for a kind of media. */
export function supportedCodecs(browser: Browser, type: string): Codecs | undefined {
  const media = parse(CAPABILITIES[browser]).media.find((m) => m.type === type);
  return media && codecsOf(media);
}

/** The offer's codecs and extensions that `supported` knows (by name and URI), with the offer's numbers. */
export function intersectCodecs(offered: Codecs, supported: Codecs): Codecs {
  const names = new Set(supported.rtp.map(codecKey));
  const rtp = offered.rtp.filter((r) => names.has(codecKey(r)));
  const ids = new Set(rtp.map((r) => r.payload));
  const uris = new Set((supported.ext ?? []).map((e) => e.uri));
  return {
    rtp,
    fmtp: offered.fmtp.filter((f) => ids.has(f.payload)),
    rtcpFb: (offered.rtcpFb ?? []).filter((f) => f.payload === "*" || ids.has(Number(f.payload))),
    ext: (offered.ext ?? []).filter((e) => uris.has(e.uri)).map((e) => ({ value: e.value, uri: e.uri })),
    payloads: rtp.map((r) => r.payload).join(" "),
  };
}

/** The SDP with each m-line's codecs replaced by what `codecsFor` gives (undefined: unchanged). */
export function withCodecs(sdp: string, codecsFor: (m: MediaDescription) => Codecs | undefined): string {
  const parsed = parse(sdp);
  for (const m of parsed.media) Object.assign(m, codecsFor(m) ?? {});
  return write(parsed);
}

/** Payload types and header extensions of `answer` that `offer` lacked, as the browser words its refusal. */
export function codecRefusals(offer: string, answer: string): string[] {
  const refusals: string[] = [];
  const offered = parse(offer).media;
  for (const m of parse(answer).media) {
    const mine = offered.find((o) => String(o.mid) === String(m.mid));
    if (!mine) continue;
    const ids = new Set(mine.rtp.map((r) => r.payload));
    const exts = new Set((mine.ext ?? []).map((e) => `${e.value} ${e.uri}`));
    for (const r of m.rtp) if (!ids.has(r.payload)) refusals.push(`answer has payload type ${r.payload} at mid ${m.mid} that was not present in offer`);
    for (const e of m.ext ?? []) if (!exts.has(`${e.value} ${e.uri}`)) refusals.push(`answer has extmap ${e.value} ${e.uri} at mid ${m.mid} that was not present in offer`);
  }
  return refusals;
}

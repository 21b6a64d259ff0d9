// A FakePeer that negotiates codecs and RTP header extensions as browsers do, so renegotiation can be
// checked against the rules Firefox and Chromium enforce (JSEP §5.3.1, RFC 8285 §5): an answer keeps
// the offer's payload types and extension ids it supports; a later offer restates what was agreed;
// an answer naming a payload type or extension the offer lacked is refused (Firefox: "Answer has
// extmap … not present in offer"; Chromium: "BUNDLE group contains a codec collision").
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, write, type MediaDescription, type SessionDescription } from "sdp-transform";
import type { PeerOptions } from "../../../client/src/call/peer.js";
import { FakePeer } from "./fakes.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "sdp");
/** What each browser supports, from captured offers (test/fixtures/README.md). */
export const CAPABILITIES = {
  chromium: readFileSync(join(FIXTURES, "chromium-audio-video-offer.sdp"), "utf8"),
  firefox: readFileSync(join(FIXTURES, "firefox-121-audio-video-offer.sdp"), "utf8"),
};

type Codecs = Pick<MediaDescription, "rtp" | "fmtp" | "rtcpFb" | "ext" | "payloads">;
const codecKey = (r: { codec: string; rate?: number }) => `${r.codec.toLowerCase()}/${r.rate ?? ""}`;

function codecsOf(media: MediaDescription): Codecs {
  return { rtp: media.rtp, fmtp: media.fmtp, rtcpFb: media.rtcpFb ?? [], ext: media.ext ?? [], payloads: media.payloads };
}

/** The offer's codecs and extensions that `supported` knows (by name and URI), with the offer's numbers. */
function intersect(offered: Codecs, supported: Codecs): Codecs {
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

export class BrowserRulesPeer extends FakePeer {
  readonly #capability: SessionDescription;
  /** Codecs and extensions agreed per mid by the first offer/answer. */
  readonly #agreed = new Map<string, Codecs>();
  /** Refusals, as the browser's setRemoteDescription would throw them. */
  readonly refusals: string[] = [];

  constructor(options: PeerOptions, browser: keyof typeof CAPABILITIES) {
    super(options, 2);
    this.#capability = parse(CAPABILITIES[browser]);
  }

  #supported(type: string): Codecs | undefined {
    const media = this.#capability.media.find((m) => m.type === type);
    return media && codecsOf(media);
  }

  #rewrite(sdp: string, codecsFor: (m: MediaDescription) => Codecs | undefined): string {
    const parsed = parse(sdp);
    for (const m of parsed.media) Object.assign(m, codecsFor(m) ?? {});
    return write(parsed);
  }

  override async offer(): Promise<string> {
    const sdp = await super.offer();
    // A first offer lists everything supported; later ones restate what was agreed (JSEP §5.2.2).
    this.localDescription = this.#rewrite(sdp, (m) => this.#agreed.get(String(m.mid)) ?? this.#supported(m.type));
    return this.localDescription;
  }

  override async answer(remoteOffer: string): Promise<string> {
    const sdp = await super.answer(remoteOffer);
    const offered = parse(remoteOffer).media;
    this.localDescription = this.#rewrite(sdp, (m) => {
      const remote = offered.find((o) => String(o.mid) === String(m.mid));
      const supported = this.#supported(m.type);
      if (!remote || !supported) return undefined;
      const codecs = intersect(codecsOf(remote), supported);
      if (!this.#agreed.has(String(m.mid))) this.#agreed.set(String(m.mid), codecs);
      return codecs;
    });
    return this.localDescription;
  }

  override async applyAnswer(remoteAnswer: string): Promise<void> {
    const offer = parse(this.localDescription).media;
    for (const m of parse(remoteAnswer).media) {
      const mine = offer.find((o) => String(o.mid) === String(m.mid));
      if (!mine) continue;
      const ids = new Set(mine.rtp.map((r) => r.payload));
      const exts = new Set((mine.ext ?? []).map((e) => `${e.value} ${e.uri}`));
      for (const r of m.rtp) if (!ids.has(r.payload)) this.refusals.push(`answer has payload type ${r.payload} at mid ${m.mid} that was not present in offer`);
      for (const e of m.ext ?? []) if (!exts.has(`${e.value} ${e.uri}`)) this.refusals.push(`answer has extmap ${e.value} ${e.uri} at mid ${m.mid} that was not present in offer`);
    }
    if (this.refusals.length > 0) throw new Error(`InvalidAccessError: ${this.refusals[0]}`);
    // An m-line's first answer, when we offered it, is what was agreed for it.
    for (const m of parse(remoteAnswer).media) if (!this.#agreed.has(String(m.mid))) this.#agreed.set(String(m.mid), codecsOf(m));
    return super.applyAnswer(remoteAnswer);
  }
}

// A MediaPeer for fuzz runs: no timers, so a call reaches any phase within one turn of the event
// loop and thousands of calls fit in seconds; and a remote answer is held to the rules a
// browser applies in setRemoteDescription, so an answer Chromium would refuse is refused here.
import { parse as parseSdp } from "sdp-transform";
import type { MediaPeer, PeerOptions } from "../../../client/src/call/peer.js";
import type { CallMedia } from "../../../client/src/call/states.js";
import type { RemoteCandidate } from "../../../client/src/jingle/index.js";
import { ANSWER_AV, mediaLines, OFFER_AV, shapeSdp } from "./fakes.js";

/** The few SDPs a fuzz run makes, shaped once (parsing and writing 7 KB of SDP per call would dominate the run). */
const shaped = new Map<string, string>();
function shapedOnce(sdp: string, kinds: readonly string[]): string {
  const key = `${sdp === OFFER_AV ? "offer" : "answer"}:${kinds.join()}`;
  // As createOffer()/createAnswer() return it: candidates come apart (onCandidate).
  if (!shaped.has(key)) shaped.set(key, shapeSdp(sdp, kinds).replace(/^a=(candidate|end-of-candidates).*\r\n/gm, ""));
  return shaped.get(key)!;
}
const offeredLines = new Map<string, ReturnType<typeof mediaLines>>();

/**
 * Why a browser would refuse `answer` to `offer` (undefined: it applies it). JSEP (RFC 9429
 * §5.8, §5.10): the answer has the offer's m-lines, in order, same kinds and mids; RFC 8842
 * §5.3: an answer's DTLS role is active or passive, never actpass; every m-line needs ICE
 * credentials and a fingerprint; rtcp-mux is required (our RTCPeerConnection's policy); a
 * BUNDLE group names only m-lines of the answer.
 */
export function answerProblem(offer: string, answer: string): string | undefined {
  const key = `${offer}\u0000${answer}`;
  if (!verdicts.has(key)) {
    // The harness asks what the browser will say before the call asks the browser: keep the last few.
    if (verdicts.size > 16) verdicts.clear();
    verdicts.set(key, answerVerdict(offer, answer));
  }
  return verdicts.get(key);
}
const verdicts = new Map<string, string | undefined>();

function answerVerdict(offer: string, answer: string): string | undefined {
  let parsed;
  try {
    parsed = parseSdp(answer);
  } catch (error) {
    return `unparseable answer: ${String(error)}`;
  }
  if (!offeredLines.has(offer)) offeredLines.set(offer, mediaLines(offer));
  const offered = offeredLines.get(offer)!;
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

/** Chromium's offer and answer (fakes.ts), shaped to the call's media; candidates at once. */
export class InstantPeer implements MediaPeer {
  readonly remoteCandidates: RemoteCandidate[] = [];
  localDescription = "";
  remoteDescription = "";
  closed = false;
  #gathered = false;
  #connected = false;

  constructor(readonly options: PeerOptions) {}

  async offer() {
    this.localDescription = shapedOnce(OFFER_AV, (["audio", "video"] as const).filter((k) => this.options.media.includes(k)));
    this.#gather();
    return this.localDescription;
  }
  async answer(remoteOffer: string) {
    this.remoteDescription = remoteOffer;
    this.localDescription = shapedOnce(ANSWER_AV, mediaLines(remoteOffer).map((l) => l.type));
    this.#gather();
    return this.localDescription;
  }
  async applyAnswer(remoteAnswer: string) {
    const problem = answerProblem(this.localDescription, remoteAnswer);
    if (problem) throw new Error(`Failed to set remote answer sdp: ${problem}`);
    this.remoteDescription = remoteAnswer;
    this.#maybeConnect();
  }
  async addCandidate(c: RemoteCandidate) {
    if (!this.remoteDescription) throw new Error("candidate before remote description");
    this.remoteCandidates.push(c);
    this.#maybeConnect();
  }
  async restartIce() {
    return this.offer();
  }
  setIceServers() {}
  async setSending(_media: CallMedia, _send: boolean) {}
  async restartSending(_media: CallMedia) {}
  async rollback() {}
  setMuted() {}
  close() {
    this.closed = true;
  }
  /** Two host candidates and the end of gathering, before offer() returns (a browser has them within ms). */
  #gather() {
    if (this.#gathered) return;
    this.#gathered = true;
    for (let i = 0; i < 2; i++) {
      this.options.listeners.onCandidate({ candidate: `candidate:${i + 1} 1 udp ${2122260223 - i} 198.51.100.7 ${50000 + i} typ host generation 0`, sdpMid: "0", sdpMLineIndex: 0 });
    }
    this.options.listeners.onCandidate(null);
  }
  #maybeConnect() {
    if (this.#connected || !this.remoteDescription || this.remoteCandidates.length === 0) return;
    this.#connected = true;
    this.options.listeners.onIceState("checking");
    this.options.listeners.onIceState("connected");
  }
}

// The one fake of the MediaPeer port (client/src/call/peer.ts), so whole JMI + Jingle flows run in
// Node (the mediasoup-client FakeHandler pattern). It writes what a browser would from captured
// SDP, gathers and trickles candidates, connects once a remote candidate of its ICE generation is
// in, and refuses in applyAnswer what Chromium and Firefox refuse (browser-rules.ts). Its modes:
// timed or instant gathering, the answer SDP it starts from, the browser whose codecs it negotiates.
import { parse } from "sdp-transform";
import type { IceState, MediaPeer, PeerOptions } from "../../client/src/call/peer.js";
import type { CallMedia } from "../../client/src/call/states.js";
import type { RemoteCandidate } from "../../client/src/jingle/index.js";
import { answerProblem, codecRefusals, codecsOf, intersectCodecs, supportedCodecs, withCodecs, type Browser, type Codecs } from "./browser-rules.js";
import { CHROMIUM_ANSWER_AV, CHROMIUM_OFFER_AV, mediaLines, shapeSdp, ufragOf, withIceGeneration, withoutCandidates, type Direction } from "./sdp-shape.js";

export interface FakePeerOptions {
  /**
   * Local candidates gathered at once: a count of host UDP candidates (default 2, on new ports
   * each ICE generation), or the lines a browser emits (the same each generation), e.g. TCP and
   * mDNS ones that must never reach a Jingle peer.
   */
  candidates?: number | readonly string[];
  /** Host candidates gathered `lateCandidatesMs` (default 30) after the first ones, as relay candidates come. */
  lateCandidates?: number;
  lateCandidatesMs?: number;
  /** The media the browser sends from the start (default the call's; more: a client that offers more than it proposed). */
  sending?: readonly CallMedia[];
  /** The captured answer the browser's answers are shaped from (default Chromium's answer to its own audio+video offer). */
  answerSdp?: string;
  /**
   * No timers: candidates are gathered before offer()/answer() return, so a call reaches any phase
   * within one turn of the event loop and fuzz runs fit thousands of calls in seconds.
   */
  instant?: boolean;
  /** Negotiate payload types and header extensions as this browser does, refusing answers it refuses. */
  browser?: Browser;
  /** The devices fail to open after the peer connection exists (MediaPeer.media rejects with it). */
  mediaFails?: Error;
}

const sendsIn = (d: string | undefined) => d === undefined || d === "sendrecv" || d === "sendonly";
const receivesIn = (d: string | undefined) => d === undefined || d === "sendrecv" || d === "recvonly";
const direction = (send: boolean, receive: boolean): Direction => (send ? (receive ? "sendrecv" : "sendonly") : receive ? "recvonly" : "inactive");
const hostCandidate = (i: number, port: number) => `candidate:${i + 1} 1 udp ${2122260223 - i} 198.51.100.7 ${port} typ host generation 0`;

/**
 * A browser's offer/answer rules as far as a call needs them: one m-line per medium (audio first)
 * that stays once negotiated, directions from what we send and what the remote side offers, a
 * signalling state that rollback() returns to stable, a new ICE generation per restart.
 */
export class FakePeer implements MediaPeer {
  /** Remote candidates the browser has: from remote descriptions' a=candidate lines and addCandidate(). */
  readonly remoteCandidates: RemoteCandidate[] = [];
  /** addCandidate() calls (addIceCandidate: one blocking trip to the browser's network thread each). */
  addedOneByOne = 0;
  /** Remote candidates handed to the browser, repeats included (a=candidate lines and addCandidate()). */
  candidatesGiven = 0;
  readonly muted = new Set<CallMedia>();
  readonly sending: Set<CallMedia>;
  /** Media with a negotiated m-line. */
  readonly kinds: CallMedia[] = [];
  /** offer/answer/applyAnswer/rollback/restartIce/setSending calls, in order (renegotiation tests read them). */
  readonly calls: string[] = [];
  /** prepareSending() calls, by medium (not in `calls`: it changes no description). */
  readonly prepared: CallMedia[] = [];
  /** restartSending() calls, by medium (not in `calls`: it changes no description). */
  readonly restarted: CallMedia[] = [];
  /** Remote answers refused, as the browser's setRemoteDescription words it. */
  readonly refusals: string[] = [];
  signalingState: "stable" | "have-local-offer" = "stable";
  localDescription = "";
  remoteDescription = "";
  remoteType: "offer" | "answer" | undefined;
  closed = false;
  /** ICE generation: 0 at first, one more per restart (new ufrag/pwd, new candidates). */
  generation = 0;
  /** false: no path to any remote candidate (the network is down); ICE never connects again. */
  reachable = true;
  iceServers: readonly RTCIceServer[] = [];
  readonly #fake: FakePeerOptions;
  /** Codecs and extensions agreed per mid by the first offer/answer (browser mode). */
  readonly #agreed = new Map<string, Codecs>();
  #gathered = false;
  #connected = false;

  readonly media: Promise<void>;

  constructor(readonly options: PeerOptions, fake: FakePeerOptions = {}) {
    this.#fake = fake;
    const { mediaFails } = fake;
    this.media = mediaFails ? new Promise((_, reject) => setTimeout(() => reject(mediaFails), 0)) : Promise.resolve();
    this.sending = new Set(fake.sending ?? options.media);
  }

  async offer() {
    this.calls.push("offer");
    await this.media;
    const kinds = (["audio", "video"] as const).filter((k) => this.kinds.includes(k) || this.sending.has(k));
    // Once negotiated, an m-line stays; the remote side's last word decides whether it may receive.
    let sdp = shapeSdp(CHROMIUM_OFFER_AV, kinds, (k) => direction(this.sending.has(k as CallMedia), true));
    const browser = this.#fake.browser;
    // A first offer lists everything supported; later ones restate what was agreed (JSEP §5.2.2).
    if (browser) sdp = withCodecs(sdp, (m) => this.#agreed.get(String(m.mid)) ?? supportedCodecs(browser, m.type));
    this.localDescription = withIceGeneration(withoutCandidates(sdp), this.generation);
    this.signalingState = "have-local-offer";
    this.#gather();
    return this.localDescription;
  }

  async answer(remoteOffer: string, options: { send?: CallMedia } = {}) {
    // Sending a medium the offer adds: said in this answer, the device following (not awaited).
    if (options.send) this.sending.add(options.send);
    this.calls.push(options.send ? `answer sending ${options.send}` : "answer");
    // JSEP §5.3.1: an offer with new ICE credentials is a restart; the answer gets new ones too.
    if (this.remoteDescription && ufragOf(remoteOffer) !== ufragOf(this.remoteDescription)) this.#newGeneration();
    this.remoteDescription = remoteOffer;
    this.remoteType = "offer";
    this.#takeDescriptionCandidates(remoteOffer);
    // As the browser: the offer is applied while the devices open; the answer waits for them.
    await this.media;
    const lines = mediaLines(remoteOffer);
    const remoteDirection = new Map(lines.map((l) => [l.type, l.direction]));
    const sends = (k: string) => this.sending.has(k as CallMedia) && receivesIn(remoteDirection.get(k));
    let sdp = shapeSdp(this.#fake.answerSdp ?? CHROMIUM_ANSWER_AV, lines.map((l) => l.type), (k) => direction(sends(k), sendsIn(remoteDirection.get(k))));
    const browser = this.#fake.browser;
    if (browser) sdp = withCodecs(sdp, (m) => this.#answerCodecs(browser, remoteOffer, m.type, String(m.mid)));
    this.localDescription = withIceGeneration(withoutCandidates(sdp), this.generation);
    this.#negotiated();
    this.#gather();
    // The offer's candidates are in, but ICE answers only once the caller has our credentials:
    // a few milliseconds on, after our first candidates (#gather) and our answer went out.
    if (this.#fake.instant) this.#maybeConnect();
    else setTimeout(() => this.#maybeConnect(), 5);
    return this.localDescription;
  }

  /** An answer keeps the offer's codecs and extensions the browser supports, with the offer's numbers. */
  #answerCodecs(browser: Browser, remoteOffer: string, type: string, mid: string): Codecs | undefined {
    const remote = parse(remoteOffer).media.find((o) => String(o.mid) === mid);
    const supported = supportedCodecs(browser, type);
    if (!remote || !supported) return undefined;
    const codecs = intersectCodecs(codecsOf(remote), supported);
    if (!this.#agreed.has(mid)) this.#agreed.set(mid, codecs);
    return codecs;
  }

  async applyAnswer(remoteAnswer: string) {
    this.calls.push("applyAnswer");
    if (this.signalingState !== "have-local-offer") throw new Error("answer without a local offer");
    const problem = answerProblem(this.localDescription, remoteAnswer);
    const refusals = [...(problem ? [problem] : []), ...(this.#fake.browser ? codecRefusals(this.localDescription, remoteAnswer) : [])];
    if (refusals.length > 0) {
      this.refusals.push(...refusals);
      throw new Error(`InvalidAccessError: Failed to set remote answer sdp: ${refusals[0]}`);
    }
    // An m-line's first answer, when we offered it, is what was agreed for it.
    if (this.#fake.browser) for (const m of parse(remoteAnswer).media) if (!this.#agreed.has(String(m.mid))) this.#agreed.set(String(m.mid), codecsOf(m));
    this.remoteDescription = remoteAnswer;
    this.remoteType = "answer";
    this.#takeDescriptionCandidates(remoteAnswer);
    this.#negotiated();
    this.#maybeConnect();
  }

  async addCandidate(c: RemoteCandidate) {
    if (!this.remoteDescription) throw new Error("candidate before remote description");
    this.addedOneByOne += 1;
    this.#addRemote(c);
    this.#maybeConnect();
  }

  async restartSending(media: CallMedia) {
    this.restarted.push(media);
  }

  prepareSending(media: CallMedia) {
    this.prepared.push(media);
  }

  startSending(media: CallMedia) {
    this.calls.push(`start ${media}`);
    this.sending.add(media);
  }

  async setSending(media: CallMedia, send: boolean) {
    this.calls.push(`${send ? "send" : "stop"} ${media}`);
    if (send) this.sending.add(media);
    else this.sending.delete(media);
  }

  async rollback() {
    this.calls.push("rollback");
    this.signalingState = "stable";
  }

  async restartIce() {
    this.calls.push("restartIce");
    this.#newGeneration();
    return this.offer();
  }

  setIceServers(servers: readonly RTCIceServer[]) {
    this.iceServers = servers;
  }

  setMuted(media: CallMedia, muted: boolean) {
    if (muted) this.muted.add(media);
    else this.muted.delete(media);
  }

  close() {
    this.closed = true;
  }

  /** The path broke (or came back by itself): what the browser reports as iceConnectionState. */
  setIceState(state: IceState) {
    this.#connected = state === "connected";
    this.options.listeners.onIceState(state);
  }

  #newGeneration() {
    this.generation += 1;
    this.#gathered = false;
    this.#connected = false;
  }

  #negotiated() {
    this.signalingState = "stable";
    for (const l of mediaLines(this.localDescription)) if (!this.kinds.includes(l.type as CallMedia)) this.kinds.push(l.type as CallMedia);
  }

  /**
   * A remote description's a=candidate lines are remote candidates, as addIceCandidate's (JSEP
   * §5.10, RFC 8839 §5.1), taken as written.
   */
  #takeDescriptionCandidates(sdp: string) {
    const [session = "", ...sections] = sdp.split(/\r?\n(?=m=)/);
    const ufrag = (text: string) => /^a=ice-ufrag:(.*)$/m.exec(text)?.[1]?.trim();
    sections.forEach((section, index) => {
      const sdpMid = /^a=mid:(.*)$/m.exec(section)?.[1]?.trim() ?? String(index);
      const usernameFragment = ufrag(section) ?? ufrag(session) ?? null;
      for (const line of section.split(/\r?\n/)) {
        if (line.startsWith("a=candidate:")) this.#addRemote({ candidate: line.slice(2), sdpMid, sdpMLineIndex: index, usernameFragment });
      }
    });
  }

  /** One the peer connection already has changes nothing (Chromium ignores it). */
  #addRemote(c: RemoteCandidate) {
    this.candidatesGiven += 1;
    if (!this.remoteCandidates.some((r) => r.candidate === c.candidate && r.sdpMid === c.sdpMid && r.usernameFragment === c.usernameFragment)) this.remoteCandidates.push(c);
  }

  /** Candidates trickle out right after the local description, as in a browser; once per ICE generation. */
  #gather() {
    if (this.#gathered) return;
    this.#gathered = true;
    const { candidates = 2, lateCandidates = 0, lateCandidatesMs = 30, instant = false } = this.#fake;
    const sdpMid = mediaLines(this.localDescription)[0]?.mid ?? "0";
    const usernameFragment = ufragOf(this.localDescription);
    const lines = typeof candidates === "number"
      ? Array.from({ length: candidates + lateCandidates }, (_, i) => hostCandidate(i, 50000 + 100 * this.generation + i))
      : candidates;
    const first = typeof candidates === "number" ? candidates : candidates.length;
    const emit = (from: number, to: number, complete: boolean) => {
      for (const candidate of lines.slice(from, to)) this.options.listeners.onCandidate({ candidate, sdpMid, sdpMLineIndex: 0, usernameFragment });
      if (complete) this.options.listeners.onCandidate(null);
    };
    if (instant) return emit(0, lines.length, true);
    setTimeout(() => emit(0, first, lateCandidates === 0), 1);
    if (lateCandidates > 0) setTimeout(() => emit(first, lines.length, true), lateCandidatesMs);
  }

  /** Connects once the remote description and a remote candidate of its ICE generation are in. */
  #maybeConnect() {
    const ufrag = ufragOf(this.remoteDescription);
    if (this.#connected || !this.reachable || !this.remoteDescription || !this.remoteCandidates.some((c) => !c.usernameFragment || c.usernameFragment === ufrag)) return;
    this.#connected = true;
    this.options.listeners.onIceState("checking");
    this.options.listeners.onIceState("connected");
  }
}

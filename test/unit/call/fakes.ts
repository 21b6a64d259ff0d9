// An in-memory XMPP router and a fake peer connection, so whole JMI + Jingle flows run in
// Node. The router delivers like ejabberd: a chat message to a bare JID reaches every
// resource, and XEP-0280 carbons copy messages to the sender's and recipient's other devices.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { parse as parseSdp, write as writeSdp, type MediaAttributes } from "sdp-transform";
import { CallManager, type CallPolicy } from "../../../client/src/call/manager.js";
import type { MediaPeer, PeerOptions } from "../../../client/src/call/peer.js";
import type { CallMedia } from "../../../client/src/call/states.js";
import type { CallSignaling, CallTimeouts } from "../../../client/src/call/session.js";
import type { RemoteCandidate } from "../../../client/src/jingle/index.js";
import { bareJid } from "../../../client/src/xmpp/connection.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";
import { deliverJingle, deliverMessage } from "../../../client/src/app/call-stanzas.js";
import { stanzaSignaling } from "../../../client/src/app/call-stanzas.js";

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures", "sdp");
// Captured from this machine's Chromium (see test/fixtures/capture-chromium-sdp.ts).
export const OFFER_AV = readFileSync(join(FIXTURES, "chromium-audio-video-offer.sdp"), "utf8");
export const ANSWER_AV = readFileSync(join(FIXTURES, "chromium-audio-video-answer.sdp"), "utf8");

type Direction = NonNullable<MediaAttributes["direction"]>;
const sendsIn = (d: string | undefined) => d === undefined || d === "sendrecv" || d === "sendonly";
const receivesIn = (d: string | undefined) => d === undefined || d === "sendrecv" || d === "recvonly";
const direction = (send: boolean, receive: boolean): Direction => (send ? (receive ? "sendrecv" : "sendonly") : receive ? "recvonly" : "inactive");

/**
 * A captured Chromium SDP reduced to the m-lines of `kinds` (in that order, with their BUNDLE
 * entries), each with the direction `directionOf` gives: what a browser would write for that media.
 */
export function shapeSdp(sdp: string, kinds: readonly string[], directionOf: (kind: string) => Direction | undefined = () => undefined): string {
  const parsed = parseSdp(sdp);
  const media = kinds.map((k) => parsed.media.find((m) => m.type === k)).filter((m): m is NonNullable<typeof m> => !!m);
  const mids = media.map((m) => String(m.mid));
  for (const m of media) m.direction = directionOf(m.type) ?? m.direction;
  const groups = parsed.groups?.map((g) => ({ ...g, mids: String(g.mids).split(" ").filter((mid) => mids.includes(mid)).join(" ") }));
  return writeSdp({ ...parsed, media, ...(groups ? { groups } : {}) });
}

/** The m-line kinds and directions of an SDP, in order. */
export function mediaLines(sdp: string): Array<{ type: string; mid: string; direction: string | undefined }> {
  return parseSdp(sdp).media.map((m) => ({ type: m.type, mid: String(m.mid), direction: m.direction }));
}

/** The a=ice-ufrag of an SDP's first m-line (a browser uses one per BUNDLE group). */
export function ufragOf(sdp: string): string {
  return String(parseSdp(sdp).media[0]?.iceUfrag ?? parseSdp(sdp).iceUfrag ?? "");
}

/** The SDP with ICE credentials of generation `n` (0: as captured). */
export function withIceGeneration(sdp: string, n: number): string {
  if (n === 0) return sdp;
  return sdp.replace(/^a=ice-ufrag:(.*)$/gm, `a=ice-ufrag:g${n}$1`).replace(/^a=ice-pwd:(.*)$/gm, `a=ice-pwd:g${n}$1`);
}

/**
 * The browser's offer/answer rules as far as a call's renegotiation needs them: one m-line per
 * medium (audio first), directions from what we send and what the remote offers, a signalling
 * state that rollback() returns to stable.
 */
export class FakePeer implements MediaPeer {
  readonly remoteCandidates: RemoteCandidate[] = [];
  readonly muted = new Set<string>();
  readonly sending: Set<CallMedia>;
  /** Media with a negotiated m-line. */
  readonly kinds: CallMedia[] = [];
  /** offer/answer/applyAnswer/rollback/setSending calls, in order (renegotiation tests read them). */
  readonly calls: string[] = [];
  signalingState: "stable" | "have-local-offer" = "stable";
  remoteDescription = "";
  localDescription = "";
  closed = false;
  /** ICE generation: 0 at first, one more per restart (new ufrag/pwd, new candidates). */
  generation = 0;
  iceServers: readonly RTCIceServer[] = [];
  #gathered = false;
  /** `lateCandidates` come 30 ms after the first ones, as relay candidates do. */
  constructor(readonly options: PeerOptions, readonly localCandidates: number, readonly lateCandidates = 0, sending?: readonly CallMedia[], readonly lateCandidatesMs = 30) {
    this.sending = new Set(sending ?? options.media);
  }

  async offer() {
    this.calls.push("offer");
    const kinds = (["audio", "video"] as const).filter((k) => this.kinds.includes(k) || this.sending.has(k));
    // Once negotiated, an m-line stays; the remote side's last word decides whether it may receive.
    this.localDescription = withIceGeneration(shapeSdp(OFFER_AV, kinds, (k) => direction(this.sending.has(k as CallMedia), true)), this.generation);
    this.signalingState = "have-local-offer";
    this.#gather();
    return this.localDescription;
  }
  async answer(remoteOffer: string) {
    this.calls.push("answer");
    // JSEP §5.3.1: an offer with new ICE credentials is a restart; the answer gets new ones too.
    if (this.remoteDescription && ufragOf(remoteOffer) !== ufragOf(this.remoteDescription)) this.#newGeneration();
    this.remoteDescription = remoteOffer;
    const lines = mediaLines(remoteOffer);
    const remoteDirection = new Map(lines.map((l) => [l.type, l.direction]));
    this.localDescription = withIceGeneration(
      shapeSdp(ANSWER_AV, lines.map((l) => l.type), (k) => direction(this.sending.has(k as CallMedia) && receivesIn(remoteDirection.get(k)), sendsIn(remoteDirection.get(k)))),
      this.generation,
    );
    this.#negotiated();
    this.#gather();
    return this.localDescription;
  }
  async applyAnswer(remoteAnswer: string) {
    this.calls.push("applyAnswer");
    if (this.signalingState !== "have-local-offer") throw new Error("answer without a local offer");
    this.remoteDescription = remoteAnswer;
    this.#negotiated();
    this.#maybeConnect();
  }
  /** restartSending() calls, by medium (not in `calls`: it changes no description). */
  readonly restarted: CallMedia[] = [];
  async restartSending(media: CallMedia) {
    this.restarted.push(media);
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
  /** The path broke (or came back by itself): what the browser reports as iceConnectionState. */
  setIceState(state: "disconnected" | "failed" | "connected") {
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
  async addCandidate(c: RemoteCandidate) {
    if (!this.remoteDescription) throw new Error("candidate before remote description");
    this.remoteCandidates.push(c);
    this.#maybeConnect();
  }
  setMuted(media: string, muted: boolean) {
    if (muted) this.muted.add(media);
    else this.muted.delete(media);
  }
  close() {
    this.closed = true;
  }
  /** Host candidates trickle out right after the local description, as in a browser. */
  #gather() {
    if (this.#gathered) return;
    this.#gathered = true;
    const usernameFragment = ufragOf(this.localDescription);
    const emit = (from: number, n: number) => {
      for (let i = from; i < from + n; i++) {
        const port = 50000 + 100 * this.generation + i;
        this.options.listeners.onCandidate({ candidate: `candidate:${i + 1} 1 udp ${2122260223 - i} 198.51.100.7 ${port} typ host generation 0`, sdpMid: "0", sdpMLineIndex: 0, usernameFragment });
      }
    };
    setTimeout(() => {
      emit(0, this.localCandidates);
      if (this.lateCandidates === 0) this.options.listeners.onCandidate(null);
    }, 1);
    if (this.lateCandidates > 0) {
      setTimeout(() => {
        emit(this.localCandidates, this.lateCandidates);
        this.options.listeners.onCandidate(null);
      }, this.lateCandidatesMs);
    }
  }
  #connected = false;
  /** Connects once the remote description and a remote candidate of its ICE generation are in. */
  #maybeConnect() {
    const ufrag = ufragOf(this.remoteDescription);
    if (this.#connected || !this.remoteDescription || !this.remoteCandidates.some((c) => !c.usernameFragment || c.usernameFragment === ufrag)) return;
    this.#connected = true;
    this.options.listeners.onIceState("checking");
    this.options.listeners.onIceState("connected");
  }
}

export interface Sent {
  from: string;
  stanza: Element;
}

export class FakeNetwork {
  readonly log: Sent[] = [];
  readonly devices = new Map<string, Device>();

  device(jid: string, options: DeviceOptions = {}): Device {
    const device = new Device(this, jid, options);
    this.devices.set(jid, device);
    return device;
  }

  resourcesOf(bare: string): Device[] {
    return [...this.devices.values()].filter((d) => bareJid(d.jid) === bare && d.online);
  }

  routeMessage(from: string, message: Element) {
    this.log.push({ from, stanza: message });
    const to = message.attrs.to ?? "";
    const stamped = parse(message.toString());
    stamped.attrs.from = from;
    const targets = to.includes("/") ? [this.devices.get(to)].filter((d): d is Device => !!d?.online) : this.resourcesOf(to);
    const deliver = (device: Device, el: Element) => setTimeout(() => deliverMessage(device.manager, el), 0);
    for (const t of targets) deliver(t, stamped);
    // XEP-0280: sent carbons to the sender's other devices; received carbons to the recipient's others.
    for (const d of this.resourcesOf(bareJid(from))) {
      if (d.jid !== from && !targets.includes(d)) deliver(d, carbon("sent", bareJid(from), d.jid, stamped));
    }
    if (to.includes("/")) {
      for (const d of this.resourcesOf(bareJid(to))) {
        if (!targets.includes(d) && d.jid !== from) deliver(d, carbon("received", bareJid(to), d.jid, stamped));
      }
    }
  }

  async routeIq(from: string, iq: Element): Promise<Element> {
    this.log.push({ from, stanza: iq });
    await new Promise((r) => setTimeout(r, 0));
    const target = this.devices.get(iq.attrs.to ?? "");
    if (!target?.online) throw new StanzaError("service-unavailable", "cancel", "");
    const jingle = iq.getChild("jingle", "urn:xmpp:jingle:1");
    if (!jingle) throw new StanzaError("bad-request", "modify", "");
    try {
      deliverJingle(target.manager, from, jingle);
      const result = xml("iq", { type: "result", id: iq.attrs.id, from: target.jid, to: from });
      this.log.push({ from: target.jid, stanza: result });
      return result;
    } catch (error) {
      if (error instanceof StanzaError) this.log.push({ from: target.jid, stanza: xml("iq", { type: "error", to: from }) });
      throw error;
    }
  }

  /** Jingle actions sent by `from` (or by anyone), in order. */
  jingleActions(from?: string): string[] {
    return this.log
      .filter((s) => (!from || s.from === from) && s.stanza.name === "iq" && s.stanza.attrs.type === "set")
      .map((s) => s.stanza.getChild("jingle", "urn:xmpp:jingle:1")?.attrs.action ?? "");
  }

  jmiActions(from?: string): string[] {
    return this.log
      .filter((s) => (!from || s.from === from) && s.stanza.name === "message")
      .map((s) => s.stanza.getChildElements().find((c) => c.getNS() === "urn:xmpp:jingle-message:0")?.name ?? "");
  }
}

function carbon(kind: "sent" | "received", ownBare: string, to: string, message: Element): Element {
  return xml("message", { from: ownBare, to, type: "chat" }, xml(kind, { xmlns: "urn:xmpp:carbons:2" }, xml("forwarded", { xmlns: "urn:xmpp:forward:0" }, parse(message.toString()))));
}

export interface DeviceOptions {
  trusted?: string[];
  allowStrangers?: boolean;
  timeouts?: Partial<CallTimeouts>;
  /** Host candidates gathered at once, and candidates gathered 30 ms later. */
  candidates?: number;
  lateCandidates?: number;
  /** When the late candidates come (default 30 ms, as relay candidates do). */
  lateCandidatesMs?: number;
  /** The media the browser offers regardless of the call's (a client that offers more than it proposed). */
  offerMedia?: CallMedia[];
  /** Another peer than the plain FakePeer (e.g. one negotiating codecs as a given browser does). */
  createPeer?: (options: PeerOptions) => FakePeer;
}

export class Device {
  readonly manager: CallManager;
  readonly peers: FakePeer[] = [];
  online = true;
  constructor(network: FakeNetwork, readonly jid: string, options: DeviceOptions) {
    const signaling: CallSignaling = stanzaSignaling({
      jid,
      send: async (m) => network.routeMessage(jid, m),
      request: (iq) => network.routeIq(jid, iq),
    });
    const policy: CallPolicy = { isTrusted: (b) => (options.trusted ?? []).includes(b), allowStrangers: options.allowStrangers ?? false };
    let n = 0;
    this.manager = new CallManager({
      signaling,
      policy,
      iceServers: () => [],
      timeouts: { trickleBatchMs: 5, ...options.timeouts },
      newId: () => `${bareJid(jid).split("@")[0]}-call-${++n}`,
      createPeer: async (o) => {
        const peer = options.createPeer?.(o) ?? new FakePeer(o, options.candidates ?? 2, options.lateCandidates, options.offerMedia, options.lateCandidatesMs);
        this.peers.push(peer);
        return peer;
      },
    });
  }
}

/** Alice calls bob (audio, one device each, contacts), bob accepts; resolves once ICE is connected and both are active. */
export async function audioCall() {
  const net = new FakeNetwork();
  const alice = net.device("alice@x/web", { trusted: ["bob@x"] });
  const bob = net.device("bob@x/web", { trusted: ["alice@x"] });
  const call = await alice.manager.call("bob@x", ["audio"]);
  await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
  const theirs = bob.manager.calls[0]!;
  await theirs.accept();
  await until(() => call.iceState === "connected" && theirs.state === "active", "connected");
  return { net, alice, bob, call, theirs };
}

/** Resolves when `predicate` holds, polling the event loop (fake network timers are 0–5 ms). */
export async function until(predicate: () => boolean, what = "condition", timeoutMs = 2000): Promise<void> {
  const start = Date.now();
  while (!predicate()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

/** What a device answers a Jingle iq with: the StanzaError it throws (the iq error), or undefined for an ack. */
export function jingleAnswer(device: Device, from: string, jingle: Element): StanzaError | undefined {
  try {
    deliverJingle(device.manager, from, jingle);
    return undefined;
  } catch (error) {
    if (!(error instanceof StanzaError)) throw error;
    return error;
  }
}

/** A content `0` whose transport carries `count` host candidates (ports from 40 000 + `first`). */
export function candidatesContent(count: number, options: { first?: number; ufrag?: string; pwd?: string; ns?: string } = {}): Element {
  const { first = 0, ufrag = "u", pwd = "p", ns = "urn:xmpp:jingle:transports:ice-udp:1" } = options;
  return xml("content", { creator: "initiator", name: "0" },
    xml("transport", { xmlns: ns, ufrag, pwd },
      ...Array.from({ length: count }, (_, i) => xml("candidate", {
        component: "1", foundation: "1", generation: "0", id: `c${first + i}`, ip: "192.0.2.7", network: "0",
        port: String(40_000 + first + i), priority: "1", protocol: "udp", type: "host",
      }))));
}

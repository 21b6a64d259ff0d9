// The caller's side of a call under hostile input. Alice's client (a CallManager on a recording
// port, with fuzz-peer.ts for a browser) calls bob, and in each phase of the outgoing call gets
// what fuzz-harness.ts sends the callee plus hostile session-accepts (mutated answers of real
// clients) and JMI messages (the XEP's and real clients'). Bob's devices and everyone else are
// played by the cases. For each case the harness knows, before delivering it, the iq answer
// (fuzz-oracle.ts), the state the call must be in afterwards, and every stanza alice may send:
// anything else sent, to anyone, is a failure.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { CallManager } from "../../../client/src/call/manager.js";
import { jmiMessage, readJmi } from "../../../client/src/xmpp/jmi.js";
import type { CallSession } from "../../../client/src/call/session.js";
import type { CallMedia, CallState } from "../../../client/src/call/states.js";
import { jingleToCandidates, sdpToJingle } from "../../../client/src/jingle/index.js";
import { Prng } from "../../support/fuzz/prng.js";
import { cloneElement, mutateElement } from "../../support/fuzz/xml-mutators.js";
import { mutateDescription } from "../../support/fuzz/description-mutators.js";
import { JMI_SEEDS } from "../../support/fuzz/jmi-seeds.js";
import { hostileToken } from "../../support/fuzz/values.js";
import { answerProblem } from "../../support/browser-rules.js";
import { FakePeer } from "../../support/fake-peer.js";
import { CHROMIUM_ANSWER_AV, shapeSdp } from "../../support/sdp-shape.js";
import { deliverIq, hostileIq, hostileJmi, hostileSid, jingleSeedsOf, mutationsFor, type CaseContext, type IqCase } from "./fuzz-harness.js";
import {
  AWAITING_ACCEPT, bareOf, ENDABLE_BY_PEER, expectedAnswer, firstGeneration, NS_JINGLE, NS_JINGLE_RTP_INFO, readDescription, sameAnswer, terminatedState, terminateReason,
  track, UNKNOWN_SESSION, type Answer, type Expected, type IceGeneration, type SessionView,
} from "./fuzz-oracle.js";
import { deliverMessage } from "../../../client/src/app/call-stanzas.js";
import { stanzaSignaling } from "../../../client/src/app/call-stanzas.js";
import { NS_JINGLE_ICE_UDP, NS_JMI } from "../../../client/src/namespaces.js";

export const US = "alice@x/web";
export const CALLEE = "bob@x";
/** The callee's device that answers (or is called directly). */
export const DEVICE = "bob@x/dev1";
/** The callee's other device and bare JID, a trusted contact, a stranger, our own other device and bare JID. */
export const CALLER_THIRD_PARTIES = ["bob@x/dev2", "bob@x", "carol@x/web", "eve@evil/x", "alice@x/phone", "alice@x"];
const TRUSTED: ReadonlySet<string> = new Set(["bob@x", "carol@x"]);

/**
 * The phases of an outgoing call: through XEP-0353, then session-initiate; or session-initiate
 * straight to a device. In "proceeded" the device has answered and our session-initiate is being
 * built: each case crosses it on the wire.
 */
export const PHASES = ["proposed", "ringing", "proceeded", "initiated", "active", "initiating", "alerting"] as const;
export type Phase = (typeof PHASES)[number];

const FIXTURES = join(import.meta.dirname, "..", "..", "fixtures");
const interop = (file: string) => readFileSync(join(FIXTURES, "interop", file), "utf8").trim();
const interopJingle = (file: string) => (parse(interop(file)) as Element).getChild("jingle", NS_JINGLE)!;

const browserAnswers = new Map<string, Element>();

/** Chromium's answer through our codec: the session-accept our client sends as callee, and a browser callee's. */
function browserAnswer(sid: string, media: readonly CallMedia[] = ["audio", "video"]): Element {
  const key = media.join();
  if (!browserAnswers.has(key)) browserAnswers.set(key, sdpToJingle(shapeSdp(CHROMIUM_ANSWER_AV, media), { role: "responder", action: "session-accept", sid: "x", initiator: US, responder: DEVICE }));
  const accept = cloneElement(browserAnswers.get(key)!);
  accept.attrs["sid"] = sid;
  return accept;
}

/**
 * Answers to our audio+video offer (contents 0 and 1) as real clients write them (provenance in
 * test/fixtures/interop/README.md), Chromium's, and XEP-0320's example (content 'voice': an
 * answer the browser must refuse). Movim has no captured session-accept; StanzaJS's rendering of
 * Chromium's answer stands in for it, as in test/unit/interop/movim.test.ts.
 */
const ACCEPT_SEEDS: readonly { client: string; jingle: Element }[] = [
  { client: "conversations", jingle: interopJingle("conversations/session-accept-audio-video.xml") },
  { client: "dino", jingle: interopJingle("dino/session-accept-audio-video.xml") },
  { client: "stanza/movim", jingle: interopJingle("stanza/session-accept-audio-video.xml") },
  { client: "chrome", jingle: browserAnswer("x") },
  ...jingleSeedsOf(join(FIXTURES, "jingle")).filter((j) => j.attrs["action"] === "session-accept").map((jingle) => ({ client: "xep-0320", jingle })),
];

/** JMI messages of the XEP and of Conversations, Dino and Movim (test/fixtures/interop). */
const CALLER_JMI_SEEDS: readonly string[] = [
  ...JMI_SEEDS,
  ...["ringing", "proceed", "retract", "finish", "propose-audio"].map((f) => interop(`conversations/${f}.xml`)),
  ...["proceed", "reject", "retract", "propose-audio-video"].map((f) => interop(`dino/${f}.xml`)),
  ...["ringing", "proceed", "finish", "retract", "propose-video"].map((f) => interop(`movim/${f}.xml`)),
];

export interface Sent {
  to: string;
  stanza: Element;
}

/** Alice's client: one CallManager whose stanzas are recorded (every iq it sends is acked). */
export class CallerWorld {
  readonly sent: Sent[] = [];
  readonly peers: FakePeer[] = [];
  readonly manager: CallManager;
  readonly endedSids = new Set<string>();
  call!: CallSession;
  /** Once active: the callee's ICE generation. */
  ice?: IceGeneration;
  /** The call rings through XEP-0353 (its end is also a JMI finish to the device), not session-initiate straight to it. */
  viaJmi = true;
  remoteCandidates = 0;

  constructor() {
    let n = 0;
    const record = (stanza: Element) => this.sent.push({ to: stanza.attrs["to"] ?? "", stanza });
    this.manager = new CallManager({
      signaling: stanzaSignaling({
        jid: US,
        send: async (m) => {
          record(m);
        },
        request: async (iq) => {
          record(iq);
          return xml("iq", { type: "result", id: iq.attrs["id"] });
        },
      }),
      policy: { isTrusted: (bare) => TRUSTED.has(bare), allowStrangers: false },
      iceServers: () => [],
      timeouts: { trickleBatchMs: 1 },
      newId: () => `alice-call-${++n}`,
      createPeer: async (o) => {
        const peer = new FakePeer(o, { instant: true });
        this.peers.push(peer);
        return peer;
      },
    });
  }

  view(): SessionView {
    return {
      sid: this.call.id, state: this.call.state, peer: this.call.peerJid, role: "initiator", endedSids: this.endedSids,
      isTrusted: (bare) => TRUSTED.has(bare), remoteCandidates: this.remoteCandidates, ice: this.ice, negotiating: this.call.video.request !== undefined,
    };
  }

  context(): CaseContext {
    return { us: US, peer: DEVICE, thirdParties: CALLER_THIRD_PARTIES, sid: this.call.id, endedSid: [...this.endedSids][0] ?? "", keepCallUp: false, jmiSeeds: CALLER_JMI_SEEDS, heavyShare: 0.2 };
  }
}

/** Lets every promise chain the last stanza started run out (the fake peer and port use no timers; the trickle batch does). */
export const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

function deviceMessage(action: "ringing" | "proceed" | "reject", id: string): Element {
  const message = jmiMessage(US, action, id, action === "reject" ? { reason: "decline" } : {});
  message.attrs["from"] = DEVICE;
  return message;
}

/**
 * Alice's client with a live call in `phase`, reached by the peer's legitimate stanzas; and one
 * earlier call bob declined, whose sid is ended (XEP-0166 §6.7).
 */
export async function callerIn(phase: Phase, media: readonly CallMedia[]): Promise<CallerWorld> {
  const w = new CallerWorld();
  const first = await w.manager.call(CALLEE, media);
  deliverMessage(w.manager, deviceMessage("reject", first.id));
  if (first.state !== "rejected") throw new Error(`setup: the declined call is ${first.state}`);
  w.endedSids.add(first.id);
  const direct = phase === "initiating" || phase === "alerting";
  w.viaJmi = !direct;
  w.call = await w.manager.call(direct ? DEVICE : CALLEE, media);
  if (phase === "ringing") deliverMessage(w.manager, deviceMessage("ringing", w.call.id));
  if (phase === "proceeded" || phase === "initiated" || phase === "active") deliverMessage(w.manager, deviceMessage("proceed", w.call.id));
  if (phase === "proceeded") return w;
  await settle();
  if (phase === "alerting") deliverIq(w, DEVICE, xml("jingle", { xmlns: NS_JINGLE, action: "session-info", sid: w.call.id }, xml("ringing", { xmlns: NS_JINGLE_RTP_INFO })));
  if (phase === "active") {
    const accept = browserAnswer(w.call.id, media);
    deliverIq(w, DEVICE, accept);
    w.remoteCandidates += jingleToCandidates(accept).length;
    w.ice = firstGeneration(accept);
    await settle();
  }
  if (w.call.state !== phase) throw new Error(`setup: the call is ${w.call.state}, not ${phase}`);
  return w;
}

// ——— What must happen ———

/** A stanza as the checks compare them: action, reason, which session, to whom. */
export function describeSent(s: Sent, sid: string): string {
  const jingle = s.stanza.getChild("jingle", NS_JINGLE);
  const payload = jingle ?? s.stanza.getChildElements().find((c) => c.attrs["xmlns"] === NS_JMI);
  if (!payload) return `${s.stanza.name}? → ${s.to}`;
  const action = jingle ? (jingle.attrs["action"] ?? "") : payload.name;
  const id = (jingle ? jingle.attrs["sid"] : payload.attrs["id"]) ?? "";
  const reason = payload.getChild("reason")?.getChildElements().find((c) => c.name !== "text")?.name;
  return `${action}${reason ? `(${reason})` : ""}${id === sid ? "" : ` #${id.slice(0, 24)}`} → ${s.to}`;
}

const sent = (action: string, to: string, reason?: string, otherId?: string) =>
  `${action}${reason ? `(${reason})` : ""}${otherId === undefined ? "" : ` #${otherId.slice(0, 24)}`} → ${to}`;

export interface Effect {
  /** The call's state once the case has run out, and its reason when it ended. */
  state: CallState;
  reason?: string;
  /** The peer the call talks to. */
  peer: string;
  /** Every stanza alice sends, in order (describeSent). */
  sends: string[];
  /** Remote candidates a session-accept brings in (transport-infos: see track()). */
  candidates: number;
  /** Actions the call may also send the peer for this case (renegotiation, decided in upgrade.test.ts). */
  peerMay?: string[];
}

/** The call failing (our side ends it): session-terminate to the device, and a JMI finish when it rang through XEP-0353. */
function ourEnd(w: CallerWorld, reason: string, state: "failed" | "finished" = "failed"): Effect {
  const peer = w.call.peerJid;
  return { state, reason, peer, sends: [sent("session-terminate", peer, reason), ...(w.viaJmi ? [sent("finish", peer, reason)] : [])], candidates: 0 };
}

/** What a Jingle iq must do to alice's call beyond its answer (decided before it is delivered). */
export function iqEffect(w: CallerWorld, c: IqCase, expected: Answer): Effect {
  const call = w.call;
  const same: Effect = { state: call.state, peer: call.peerJid, sends: [], candidates: 0 };
  const action = c.jingle.attrs["action"] ?? "";
  const sid = c.jingle.attrs["sid"] ?? "";
  if (sid !== call.id || c.from !== call.peerJid || expected === UNKNOWN_SESSION) {
    // §6.3.3: a new session-initiate while busy is acked, then terminated with busy (to its sender only).
    if (sid !== call.id && action === "session-initiate" && expected.type === "result") return { ...same, sends: [sent("session-terminate", c.from, "busy", sid)] };
    return same;
  }
  switch (action) {
    case "session-accept": {
      if (!AWAITING_ACCEPT.has(call.state)) return same;
      const { refusal, sdp } = readDescription(c.jingle, "initiator");
      // §6.3.3 / XEP-0167: a description we cannot use ends the session with the codec's reason.
      if (refusal !== undefined) return refusal !== "crash" && refusal.terminateReason ? ourEnd(w, refusal.terminateReason) : same;
      // The browser refuses what it cannot apply: the call fails (general-error), the peer is told.
      const problem = answerProblem(w.peers[w.peers.length - 1]?.localDescription ?? "", sdp ?? "");
      if (problem) return ourEnd(w, "general-error");
      return { ...same, state: "active", candidates: jingleToCandidates(c.jingle).length };
    }
    case "session-terminate": {
      if (expected.type !== "result") return same;
      const reason = terminateReason(c.jingle);
      return { ...same, state: terminatedState(call.state, reason), reason };
    }
    case "content-add":
    case "content-accept":
    case "content-modify":
    case "content-remove":
    case "content-reject":
      // A content the call refuses or accepts is answered to the peer (XEP-0166 §7.2.1, upgrade.test.ts).
      return call.state === "active" ? { ...same, peerMay: ["content-reject", "content-accept"] } : same;
    case "session-info":
      // A device called without JMI rings (XEP-0167 §7.2.4).
      return expected.type === "result" && call.state === "initiating" && c.jingle.getChildElements()[0]?.name === "ringing" ? { ...same, state: "alerting" } : same;
    default:
      return same;
  }
}

/** What a JMI message must do to alice's call (decided before it is delivered). */
export function jmiEffect(w: CallerWorld, stanza: Element): Effect {
  const call = w.call;
  const same: Effect = { state: call.state, peer: call.peerJid, sends: [], candidates: 0 };
  const m = readJmi(stanza, bareOf(US));
  // XEP-0353 messages come from devices: one from a bare JID acts on nothing.
  if (!m || m.from === US || !m.from.includes("/")) return same;
  const ownDevice = m.sentCarbon || bareOf(m.from) === bareOf(US);
  if (m.id !== call.id) {
    // A contact's call while we are in one (XEP-0353 §3.2): reject busy. A stranger's gets no answer
    // (it would tell him we are online, and our resource).
    const refused = m.action === "propose" && !ownDevice && m.delayedAt === undefined && !w.endedSids.has(m.id) && TRUSTED.has(bareOf(m.from));
    return refused ? { ...same, sends: [sent("reject", m.from, "busy", m.id)] } : same;
  }
  // Only the callee's devices act on the call.
  if (ownDevice || bareOf(m.from) !== CALLEE) return same;
  const ringing = call.state === "proposed" || call.state === "ringing";
  switch (m.action) {
    case "ringing":
      return call.state === "proposed" ? { ...same, state: "ringing" } : same;
    case "proceed":
      // XEP-0353 §3.3: session-initiate to the device that proceeded.
      return ringing ? { ...same, state: "initiated", peer: m.from, sends: [sent("session-initiate", m.from)] } : same;
    case "reject":
      return ringing ? { ...same, state: "rejected", reason: m.reason ?? "decline" } : same;
    case "finish":
      // §3.5: only the device in the call ends it.
      return m.from === call.peerJid && ENDABLE_BY_PEER.has(call.state) ? { ...same, state: "finished", reason: m.reason ?? "success" } : same;
    default:
      return same;
  }
}

/** Hanging up in `state`: the end our side must reach and say (XEP-0353 retract before a device answered). */
export function hangUpEffect(w: CallerWorld): Effect {
  const { state, peerJid } = w.call;
  if (state === "proposed" || state === "ringing") return { state: "retracted", reason: "cancel", peer: peerJid, sends: [sent("retract", CALLEE, "cancel")], candidates: 0 };
  return ourEnd(w, state === "active" ? "success" : "cancel", "finished");
}

// ——— The cases ———

/** A hostile session-accept: a real client's answer, re-addressed, mostly mutated. */
function hostileAccept(ctx: CaseContext, r: Prng): IqCase {
  const seed = r.pick(ACCEPT_SEEDS);
  const jingle = cloneElement(seed.jingle);
  const labels = [`accept:${seed.client}`];
  jingle.attrs["sid"] = r.chance(0.85) ? ctx.sid : hostileSid(ctx, r);
  const from = r.weighted<string>([[75, ctx.peer], [25, r.pick(ctx.thirdParties)]]);
  const generic = mutationsFor(ctx, r);
  const plan = r.float();
  if (plan < 0.45) labels.push(...mutateDescription(jingle, r));
  else if (plan < 0.8) labels.push(...mutateElement(jingle, r, generic));
  else if (plan < 0.9) labels.push(...mutateDescription(jingle, r), ...mutateElement(jingle, r, generic));
  return { from, jingle, labels };
}

/** The peer (or someone else) ending the session, with any reason or none. */
function terminate(ctx: CaseContext, r: Prng): IqCase {
  const reason = r.pick(["success", "decline", "busy", "cancel", "gone", "timeout", "general-error", "security-error", "x-unknown", undefined]);
  const from = r.weighted<string>([[80, ctx.peer], [20, r.pick(ctx.thirdParties)]]);
  const jingle = xml("jingle", { xmlns: NS_JINGLE, action: "session-terminate", sid: r.chance(0.8) ? ctx.sid : hostileSid(ctx, r) },
    reason ? xml("reason", {}, xml(reason), r.chance(0.3) ? xml("text", {}, hostileToken(r)) : undefined) : undefined);
  return { from, jingle, labels: [`terminate(${reason ?? "none"})`] };
}

/** The device telling how it is doing (XEP-0167 §7: ringing, active, mute…), mostly as it should. */
function peerInfo(ctx: CaseContext, r: Prng): IqCase {
  const payload = r.pick(["ringing", "ringing", "active", "mute", "unmute", "hold"]);
  const from = r.weighted<string>([[80, ctx.peer], [20, r.pick(ctx.thirdParties)]]);
  const jingle = xml("jingle", { xmlns: NS_JINGLE, action: "session-info", sid: r.chance(0.85) ? ctx.sid : hostileSid(ctx, r) },
    xml(payload, { xmlns: r.chance(0.9) ? NS_JINGLE_RTP_INFO : "urn:example" }));
  return { from, jingle, labels: [`info(${payload})`] };
}

let generation = 0;

/**
 * The device restarting ICE as Conversations does (docs/interop.md, "ICE restart"): a
 * transport-info with new ufrag/pwd and no candidate; sometimes without pwd, with a candidate
 * (then it is trickle), or mutated.
 */
function restartOffer(ctx: CaseContext, r: Prng): IqCase {
  const n = ++generation;
  const labels = ["ice-restart"];
  const names = r.chance(0.7) ? ["0", "1"] : [r.pick(["0", "1"])];
  const jingle = xml("jingle", { xmlns: NS_JINGLE, action: "transport-info", sid: r.chance(0.85) ? ctx.sid : hostileSid(ctx, r) },
    ...names.map((name) => xml("content", { creator: "initiator", name }, xml("transport", { xmlns: NS_JINGLE_ICE_UDP, ufrag: `r${n}`, pwd: `restart-pwd-${n}` }))));
  const from = r.weighted<string>([[80, ctx.peer], [20, r.pick(ctx.thirdParties)]]);
  if (r.chance(0.1)) {
    for (const t of jingle.getChildren("content").map((c) => c.getChild("transport", NS_JINGLE_ICE_UDP)!)) delete t.attrs["pwd"];
    labels.push("no-pwd");
  }
  if (r.chance(0.15)) {
    jingle.getChildren("content")[0]!.getChild("transport", NS_JINGLE_ICE_UDP)!.append(
      xml("candidate", { component: "1", foundation: "1", generation: "0", id: `r${n}`, ip: "192.0.2.8", network: "0", port: "40100", priority: "1", protocol: "udp", type: "host" }));
    labels.push("with-candidate");
  }
  if (r.chance(0.3)) labels.push(...mutateElement(jingle, r, mutationsFor(ctx, r)));
  return { from, jingle, labels };
}

export type Case = { kind: "iq"; iq: IqCase } | { kind: "jmi"; stanza: Element; labels: string[] };

/** One case for a call in `w`'s current state: iqs and JMI messages, weighted by what the phase expects. */
export function callerCase(w: CallerWorld, r: Prng): Case {
  const ctx = w.context();
  const state = w.call.state;
  const jmiShare = state === "proposed" || state === "ringing" ? 0.5 : 0.3;
  if (r.chance(jmiShare)) {
    const { stanza, labels } = hostileJmi(ctx, r);
    return { kind: "jmi", stanza, labels };
  }
  const acceptShare = AWAITING_ACCEPT.has(state) ? 0.35 : 0.1;
  const roll = r.float();
  if (roll < acceptShare) return { kind: "iq", iq: hostileAccept(ctx, r) };
  if (roll < acceptShare + 0.04) return { kind: "iq", iq: terminate(ctx, r) };
  if (roll < acceptShare + 0.08) return { kind: "iq", iq: peerInfo(ctx, r) };
  if (state === "active" && roll < acceptShare + 0.12) return { kind: "iq", iq: restartOffer(ctx, r) };
  return { kind: "iq", iq: hostileIq(ctx, r) };
}

export interface CaseOutcome {
  labels: string[];
  /** What went wrong (empty: the case held). */
  problems: string[];
  /** Iq answer or "jmi", for the tally. */
  answer: string;
}

function answerText(a: Answer): string {
  return a.type === "result" ? "result" : `${a.condition}${a.application ? `/${a.application}` : ""}`;
}

/** The effect checked once the case has run out: state, reason, peer, and every stanza sent. */
export function effectProblems(w: CallerWorld, effect: Effect, mark: number): string[] {
  const problems: string[] = [];
  const call = w.call;
  if (call.state !== effect.state) problems.push(`state ${call.state} (${call.reason ?? "no reason"}${call.problem ? `: ${call.problem}` : ""}), expected ${effect.state}`);
  else if (effect.reason !== undefined && call.reason !== effect.reason) problems.push(`ended with ${call.reason}, expected ${effect.reason}`);
  if (call.peerJid !== effect.peer) problems.push(`peer ${call.peerJid}, expected ${effect.peer}`);
  const mayAlso = (d: string) => effect.peerMay?.some((action) => d.startsWith(action) && d.endsWith(` → ${call.peerJid}`) && !d.includes(" #"));
  const got = w.sent.slice(mark).map((s) => describeSent(s, call.id)).filter((d) => !mayAlso(d));
  if (got.join("\n") !== effect.sends.join("\n")) problems.push(`sent [${got.join("; ")}], expected [${effect.sends.join("; ")}]`);
  if (call.ended && w.peers.some((p) => !p.closed)) problems.push("the call ended but its peer connection is open");
  return problems;
}

/** Runs the case of `seed` against `w`'s call: delivered, settled, checked. */
export async function runCallerCase(w: CallerWorld, seed: number): Promise<CaseOutcome> {
  const r = new Prng(seed);
  const c = callerCase(w, r);
  const mark = w.sent.length;
  const problems: string[] = [];
  let answer = "jmi";
  let effect: Effect;
  let restartTaken = false;
  if (c.kind === "iq") {
    const { from, jingle } = c.iq;
    const expected: Expected = expectedAnswer(w.view(), from, jingle);
    effect = iqEffect(w, c.iq, expected.answer);
    let got: Answer | undefined;
    try {
      got = deliverIq(w, from, jingle);
    } catch (error) {
      problems.push(`threw ${String(error).slice(0, 200)}`);
    }
    if (got) {
      track(w, jingle, expected, got);
      restartTaken = expected.restart !== undefined && got.type === "result";
      answer = answerText(got);
      if (expected.deviation !== "renegotiation" && !sameAnswer(expected.answer, got)) problems.push(`answered ${answerText(got)}, expected ${answerText(expected.answer)}`);
    }
    problems.unshift(`${jingle.attrs["action"] ?? ""} from ${from}`.slice(0, 120));
  } else {
    effect = jmiEffect(w, c.stanza);
    try {
      deliverMessage(w.manager, c.stanza);
    } catch (error) {
      problems.push(`threw ${String(error).slice(0, 200)}`);
    }
    problems.unshift(`message from ${c.stanza.attrs["from"] ?? ""}`);
  }
  // Crossing our session-initiate: it still goes out, after the case's own stanzas, unless the call ended.
  if (effect.state === "proceeded") effect = { ...effect, state: "initiated", sends: [...effect.sends, sent("session-initiate", effect.peer)] };
  await settle();
  if (restartTaken) {
    // Our candidates of the new generation are the answer to a restart offer (docs/interop.md,
    // "ICE restart"): one transport-info to the peer, once the trickle batch (1 ms) is out.
    effect = { ...effect, sends: [...effect.sends, sent("transport-info", effect.peer)] };
    await new Promise((resolve) => setTimeout(resolve, 1));
    await settle();
  }
  w.remoteCandidates += effect.candidates;
  problems.push(...effectProblems(w, effect, mark));
  return { labels: c.kind === "iq" ? c.iq.labels : c.labels, problems: problems.length > 1 ? problems : [], answer };
}

/**
 * The end of a call's run: a call still up is hung up and must reach the terminal state its
 * phase prescribes, saying so to the peer only; afterwards its sid is unknown to any iq (§6.7)
 * and hanging up again does nothing.
 */
export async function finishCall(w: CallerWorld): Promise<string[]> {
  const problems: string[] = [];
  if (!w.call.ended) {
    const effect = hangUpEffect(w);
    const mark = w.sent.length;
    await w.call.hangUp();
    await settle();
    problems.push(...effectProblems(w, effect, mark).map((p) => `hang-up: ${p}`));
  }
  const mark = w.sent.length;
  const late = xml("jingle", { xmlns: NS_JINGLE, action: "session-info", sid: w.call.id });
  const answer = deliverIq(w, w.call.peerJid.includes("/") ? w.call.peerJid : DEVICE, late);
  if (!sameAnswer(UNKNOWN_SESSION, answer)) problems.push(`after the end: a session-info got ${answerText(answer)}, expected unknown-session (§6.7)`);
  await w.call.hangUp();
  await settle();
  if (w.sent.length !== mark) problems.push(`after the end: sent ${w.sent.slice(mark).map((s) => describeSent(s, w.call.id)).join("; ")}`);
  return problems;
}

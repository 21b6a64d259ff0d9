// XEP-0166 1.1.2 as a function: what a Jingle iq must be answered with, given the state of the
// call under test, who sent it, for which sid and with which action. Both call-layer fuzz runs
// read it: the callee's established call (fuzz-harness.ts) and every phase of an outgoing call
// (caller-fuzz-harness.ts).
import type { Element } from "@xmpp/xml";
import { jingleToCandidates, jingleToCredentials, jingleToSdp, JingleCodecError, type IceCredentials, type JingleRole } from "../../../client/src/jingle/index.js";
import { CALL_LIMITS } from "../../../client/src/call/limits.js";
import type { CallState } from "../../../client/src/call/states.js";
import { JINGLE_ACTIONS } from "../../support/fuzz/xml-mutators.js";
import { NS_JINGLE, NS_JINGLE_RTP_INFO } from "../../../client/src/namespaces.js";
export { NS_JINGLE, NS_JINGLE_RTP_INFO };


export type Answer = { type: "result" } | { type: "error"; condition: string; application?: string };

/** What XEP-0166 1.1.2 prescribes, and the key of the deviation test that also covers the case, or the reason it is not checked here. */
export interface Expected {
  answer: Answer;
  /** Key of a deviation (see fuzz.test.ts), which also has a test of its own; "renegotiation" is not checked here. */
  deviation?: string;
  /** An ICE restart offer: answered with a result, the call takes these credentials (applyRestart). */
  restart?: Map<string, IceCredentials>;
}

/**
 * The peer's ICE generation in use (docs/interop.md, "ICE restart"): its credentials by content,
 * and the ufrags of the generations an ICE restart replaced.
 */
export interface IceGeneration {
  credentials: Map<string, IceCredentials>;
  retired: Set<string>;
}

/** The generation a session-initiate/-accept starts. */
export function firstGeneration(description: Element): IceGeneration {
  return { credentials: jingleToCredentials(description), retired: new Set() };
}

/** The call under test as the oracle needs to know it. */
export interface SessionView {
  /** Sid of the live call. */
  sid: string;
  state: CallState;
  /** Its peer as the call knows it: the bare JID while proposed/ringing, then the device in the call. */
  peer: string;
  role: JingleRole;
  /** Sids of calls that have ended (XEP-0166 §6.7). */
  endedSids: ReadonlySet<string>;
  /** Bare JIDs that may ring us (roster): the others are strangers (§6.3.2). */
  isTrusted(bare: string): boolean;
  /** Remote candidates the call has taken in so far (CALL_LIMITS.remoteCandidates). */
  remoteCandidates: number;
  /** Once active: the peer's ICE generation. */
  ice?: IceGeneration;
  /** A content-add awaits its answer (an ICE restart would cross it). */
  negotiating: boolean;
}

const ACTIONS: ReadonlySet<string> = new Set(JINGLE_ACTIONS);
const UNDERSTOOD_INFO = new Set(["ringing", "active", "mute", "unmute"]);
/** States in which the peer may trickle (early candidates are kept until their description is in). */
const TRICKLE_STATES: ReadonlySet<CallState> = new Set(["initiated", "initiating", "alerting", "incoming-session", "accepting", "active"]);
/** States in which our session-initiate waits for the peer's session-accept. */
export const AWAITING_ACCEPT: ReadonlySet<CallState> = new Set(["initiated", "initiating", "alerting"]);
/**
 * States in which the peer's device may end the call (XEP-0166 §7.2.16 session-terminate, XEP-0353
 * §3.5 finish): once a device proceeded or a session-initiate was sent or received. Written from
 * the XEPs, apart from the production transition table, so the fuzz run checks one against the other.
 */
export const ENDABLE_BY_PEER: ReadonlySet<CallState> = new Set(["proceeded", "proceeding", "initiated", "initiating", "alerting", "incoming-session", "accepting", "active"]);

export const bareOf = (jid: string) => jid.split("/")[0] ?? "";
const error = (condition: string, application?: string): Answer => ({ type: "error", condition, ...(application ? { application } : {}) });
export const UNKNOWN_SESSION = error("item-not-found", "unknown-session");
export const OUT_OF_ORDER = error("unexpected-request", "out-of-order");
const UNSUPPORTED_INFO = error("feature-not-implemented", "unsupported-info");

export interface DescriptionReading {
  /** The codec's refusal, or "crash" for an exception that is not JingleCodecError. */
  refusal?: JingleCodecError | "crash";
  /** The SDP for setRemoteDescription, when the codec converts it. */
  sdp?: string;
}

const readings = new WeakMap<Element, Map<JingleRole, DescriptionReading>>();

/** How the codec reads a description (session-initiate/-accept) for `role`; memoised, as the oracle and the checks ask more than once. */
export function readDescription(jingle: Element, role: JingleRole): DescriptionReading {
  const byRole = readings.get(jingle) ?? new Map<JingleRole, DescriptionReading>();
  readings.set(jingle, byRole);
  let reading = byRole.get(role);
  if (!reading) {
    try {
      // jingleToSession reads the description as jingleToSdp does: no need to ask it too.
      reading = { sdp: jingleToSdp(jingle, { role }) };
    } catch (e) {
      reading = { refusal: e instanceof JingleCodecError ? e : "crash" };
    }
    byRole.set(role, reading);
  }
  return reading;
}

/** The candidates of a transport-info as the call counts them, or the codec's refusal. */
export function trickled(jingle: Element): number | JingleCodecError | "crash" {
  try {
    return jingleToCandidates(jingle).length;
  } catch (e) {
    return e instanceof JingleCodecError ? e : "crash";
  }
}

const conditionOf = (refusal: JingleCodecError | "crash") => (refusal === "crash" ? "crash" : refusal.condition);

/** XEP-0166 §7.4: the reason a session-terminate carries (none or one we do not know: success). */
export function terminateReason(jingle: Element): string {
  const name = jingle.getChild("reason")?.getChildElements().find((c) => c.name !== "text")?.name;
  return name && ["success", "decline", "busy", "timeout", "cancel", "connectivity-error", "failed-application", "failed-transport", "general-error", "security-error", "gone", "media-error", "unsupported-applications", "unsupported-transports"].includes(name) ? name : "success";
}

/** XEP-0166 §7.4 reasons that say the session broke rather than ended. */
const FAILURES: ReadonlySet<string> = new Set([
  "connectivity-error", "failed-application", "failed-transport", "general-error", "media-error", "security-error", "unsupported-applications", "unsupported-transports",
]);

/** The state a session-terminate from the peer ends the call in: refused while calling, failed when it broke, else finished. */
export function terminatedState(state: CallState, reason: string): CallState {
  if (AWAITING_ACCEPT.has(state) && (reason === "decline" || reason === "busy")) return "rejected";
  return FAILURES.has(reason) ? "failed" : "finished";
}

export function expectedAnswer(view: SessionView, from: string, jingle: Element): Expected {
  const action = jingle.attrs["action"] ?? "";
  const sid = jingle.attrs["sid"] ?? "";
  const fromPeer = from === view.peer;
  // §7.2: an action not defined there MUST be answered with bad-request.
  if (!ACTIONS.has(action)) return { answer: error("bad-request"), deviation: sid === view.sid && fromPeer ? "unknown-action" : "malformed-before-sid" };
  // §7.1: sid is REQUIRED.
  if (sid === "") return { answer: error("bad-request"), deviation: "malformed-before-sid" };
  // §6.7: after session-terminate, any further iq for the session gets unknown-session.
  if (view.endedSids.has(sid)) return { answer: UNKNOWN_SESSION, deviation: fromPeer ? "ended-session" : undefined };
  if (sid !== view.sid) {
    if (action !== "session-initiate") return { answer: UNKNOWN_SESSION };
    // A new session while busy. §6.3.2: a malformed initiate gets bad-request, and an initiator
    // we do not talk to (no subscription) service-unavailable; otherwise §6.3.1: ack, then
    // session-terminate (busy, or unsupported-applications/-transports).
    const { refusal } = readDescription(jingle, "responder");
    if (refusal !== undefined && conditionOf(refusal) !== "feature-not-implemented") return { answer: error(conditionOf(refusal)), deviation: "new-session-initiate" };
    if (!view.isTrusted(bareOf(from))) return { answer: error("service-unavailable"), deviation: "new-session-initiate" };
    return { answer: { type: "result" } };
  }
  // Only the device in the call is a party to the session. Before a device proceeds (XEP-0353)
  // no Jingle session exists yet: its sid is unknown to Jingle, whoever sends.
  if (!fromPeer || !view.peer.includes("/")) return { answer: UNKNOWN_SESSION };
  switch (action) {
    case "session-initiate":
      return { answer: OUT_OF_ORDER };
    case "session-accept": {
      if (!AWAITING_ACCEPT.has(view.state)) return { answer: OUT_OF_ORDER };
      const { refusal } = readDescription(jingle, view.role);
      return { answer: refusal === undefined ? { type: "result" } : error(conditionOf(refusal)) };
    }
    case "transport-info": {
      if (!TRICKLE_STATES.has(view.state)) return { answer: OUT_OF_ORDER };
      const candidates = trickled(jingle);
      if (typeof candidates === "number") {
        const kind = view.state === "active" && view.ice ? generationOf(view.ice, jingle, candidates) : "trickle";
        // New credentials are an ICE restart, which states both (XEP-0176 §5.2, ice-restart.ts).
        if (kind === "malformed") return { answer: error("bad-request") };
        // §10: a restart crossing our content-add is refused; the initiator's would win (neither sends one here).
        if (kind === "restart-offer") return view.negotiating ? { answer: error("conflict", "tie-break") } : { answer: { type: "result" }, restart: jingleToCredentials(jingle) };
        if (kind === "stale") return { answer: { type: "result" } };
        return { answer: view.remoteCandidates + candidates > CALL_LIMITS.remoteCandidates ? error("not-acceptable") : { type: "result" } };
      }
      const condition = conditionOf(candidates);
      // §6.8: a transport not understood is information not understood; the call goes on.
      if (condition === "feature-not-implemented") return { answer: UNSUPPORTED_INFO, deviation: "unsupported-transport-info" };
      return { answer: error(condition) };
    }
    case "session-info": {
      // §7.2.14: an empty session-info is a ping; §6.8: a payload not understood gets unsupported-info.
      const payload = jingle.getChildElements()[0];
      if (!payload) return { answer: { type: "result" } };
      const understood = payload.getNS() === NS_JINGLE_RTP_INFO && UNDERSTOOD_INFO.has(payload.name);
      return { answer: understood ? { type: "result" } : UNSUPPORTED_INFO };
    }
    case "session-terminate":
      return { answer: ENDABLE_BY_PEER.has(view.state) ? { type: "result" } : OUT_OF_ORDER };
    case "description-info":
      // §6.8: an informational payload not understood → feature-not-implemented + unsupported-info.
      return { answer: UNSUPPORTED_INFO, deviation: "description-info" };
    case "content-add":
    case "content-accept":
    case "content-reject":
    case "content-remove":
    case "content-modify":
      // Contents change only in an active call (§7.2: before it, out of order). There (video
      // upgrade) the answer depends on a pending content-add and on which content is named, so
      // these are delivered (the call must survive them) but their answers are held to XEP-0166
      // §7.2 in upgrade.test.ts and test/unit/interop/, not here.
      if (view.state !== "active") return { answer: OUT_OF_ORDER };
      return { answer: error("feature-not-implemented"), deviation: "renegotiation" };
    default:
      // transport-replace…: not supported by this client (XEP-0166 prescribes nothing more).
      return { answer: error("feature-not-implemented") };
  }
}

const sameCredentials = (a: IceCredentials | undefined, b: IceCredentials) => a?.ufrag === b.ufrag && (a.pwd === undefined || b.pwd === undefined || a.pwd === b.pwd);

/**
 * Which generation a transport-info in an active call belongs to, as Conversations signals ICE
 * restarts: the credentials in use (or none of a content we have) → trickle; a replaced generation →
 * its late candidates, or nothing (stale); new credentials without a candidate → a restart offer,
 * with candidates → trickle (we made no offer they could answer); new ones without pwd → malformed.
 */
function generationOf(ice: IceGeneration, jingle: Element, candidates: number): "trickle" | "stale" | "restart-offer" | "malformed" {
  const known = [...jingleToCredentials(jingle)].filter(([name]) => ice.credentials.has(name));
  if (known.length === 0 || known.every(([name, c]) => sameCredentials(ice.credentials.get(name), c))) return "trickle";
  if (known.some(([, c]) => ice.retired.has(c.ufrag))) return candidates === 0 ? "stale" : "trickle";
  if (known.some(([, c]) => c.pwd === undefined)) return "malformed";
  return candidates === 0 ? "restart-offer" : "trickle";
}

/**
 * An ICE restart the call took: the new credentials replace those of the contents they name (all
 * of them when they are one set, as with BUNDLE), the old ufrags are retired, and the remote
 * candidate count starts again.
 */
export function applyRestart(ice: IceGeneration, stated: ReadonlyMap<string, IceCredentials>): void {
  const distinct = new Set([...stated.values()].map((c) => `${c.ufrag}\u0000${c.pwd ?? ""}`));
  const shared = distinct.size === 1 ? [...stated.values()][0] : undefined;
  for (const c of ice.credentials.values()) ice.retired.add(c.ufrag);
  for (const [name, c] of ice.credentials) {
    const next = stated.get(name) ?? shared;
    if (next) ice.credentials.set(name, { ufrag: next.ufrag, pwd: next.pwd ?? c.pwd });
  }
  for (const c of ice.credentials.values()) ice.retired.delete(c.ufrag);
}

/** What an answered iq changes in what the oracle follows: the remote candidates taken in, an ICE restart taken. */
export function track(followed: { remoteCandidates: number; ice?: IceGeneration }, jingle: Element, expected: Expected, got: Answer): void {
  if (got.type !== "result" || jingle.attrs["action"] !== "transport-info") return;
  if (expected.restart && followed.ice) {
    applyRestart(followed.ice, expected.restart);
    followed.remoteCandidates = 0;
  } else followed.remoteCandidates += trickled(jingle) as number;
}

/** Whether an answer is the expected one (a result, or the same condition and application). */
export function sameAnswer(expected: Answer, got: Answer): boolean {
  if (expected.type === "result" || got.type === "result") return expected.type === got.type;
  return expected.condition === got.condition && expected.application === got.application;
}

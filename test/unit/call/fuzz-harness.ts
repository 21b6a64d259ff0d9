// Hostile Jingle iqs and JMI messages at a signed-in client with an established call, on the
// in-memory router of fakes.ts. `expectedAnswer` is XEP-0166 1.1.2 as a function: what the iq
// must be answered with, given who sent it, for which sid, with which action.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { jingleToCandidates, jingleToSdp, JingleCodecError, parseJingleXml } from "../../../client/src/jingle/index.js";
import type { CallSession } from "../../../client/src/call/session.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";
import { Device, FakeNetwork, until } from "./fakes.js";
import type { Prng } from "../../support/fuzz/prng.js";
import { allElements, BOGUS_ACTIONS, cloneElement, JINGLE_ACTIONS, mutateElement, XML_MUTATIONS } from "../../support/fuzz/xml-mutators.js";
import { JMI_SEEDS } from "../../support/fuzz/jmi-seeds.js";
import { hostileToken, hugeString } from "../../support/fuzz/values.js";

export const NS_JINGLE = "urn:xmpp:jingle:1";
const NS_RTP_INFO = "urn:xmpp:jingle:apps:rtp:info:1";

export const PEER = "alice@x/web";
export const TARGET = "bob@x/dev1";
/** Who else sends: the peer's other device, a trusted contact, a stranger, our own other device. */
export const THIRD_PARTIES = ["alice@x/phone", "carol@x/web", "eve@evil/x", "bob@x/dev2", "alice@x"];

export interface Fixture {
  net: FakeNetwork;
  alice: Device;
  bob: Device;
  /** Bob's side of the established call, and alice's. */
  call: CallSession;
  callerSide: CallSession;
  /** A call bob had earlier, declined: its sid is no longer live (XEP-0166 §6.7). */
  endedSid: string;
}

/** Alice calls bob twice: he declines the first, answers the second; both sides active. */
export async function establishedCall(): Promise<Fixture> {
  const net = new FakeNetwork();
  const alice = net.device(PEER, { trusted: ["bob@x", "carol@x"] });
  const bob = net.device(TARGET, { trusted: ["alice@x", "carol@x"] });
  net.device("carol@x/web", { trusted: ["bob@x", "alice@x"] });
  const first = await alice.manager.call("bob@x", ["audio", "video"]);
  await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
  await bob.manager.calls[0]!.reject();
  await until(() => first.state === "rejected", "first call declined");
  const callerSide = await alice.manager.call("bob@x", ["audio", "video"]);
  await until(() => bob.manager.calls[1]?.state === "incoming", "bob rings again");
  const call = bob.manager.calls[1]!;
  await call.accept();
  await until(() => callerSide.state === "active" && call.state === "active" && call.iceState === "connected", "call active");
  return { net, alice, bob, call, callerSide, endedSid: first.id };
}

export type Answer = { type: "result" } | { type: "error"; condition: string; application?: string };

/** As XmppConnection.handleIq: a thrown StanzaError is the iq error; anything else is a crash. */
export function deliverIq(device: Device, from: string, jingle: Element): Answer {
  try {
    device.manager.handleJingle(from, jingle);
    return { type: "result" };
  } catch (error) {
    if (!(error instanceof StanzaError)) throw error;
    return { type: "error", condition: error.condition, ...(error.application ? { application: error.application.name } : {}) };
  }
}

function seedsOf(dir: string): Element[] {
  return readdirSync(dir).filter((f) => f.endsWith(".xml")).sort().flatMap((f) => {
    try {
      return [parseJingleXml(readFileSync(join(dir, f), "utf8"))];
    } catch {
      return [];
    }
  });
}

const JINGLE_SEEDS = seedsOf(join(import.meta.dirname, "..", "..", "fixtures", "jingle"));

/** What XEP-0166 1.1.2 prescribes, and the deviation the fuzzer found (now fixed) or the reason it is not checked here. */
export interface Expected {
  answer: Answer;
  /** Key of a deviation (see fuzz.test.ts), which also has a test of its own; "renegotiation" is not checked here. */
  deviation?: string;
}

const ACTIONS: ReadonlySet<string> = new Set(JINGLE_ACTIONS);
const UNDERSTOOD_INFO = new Set(["ringing", "active", "mute", "unmute"]);

/** Bare JIDs in bob's roster (fuzz fixture): the others are strangers. */
const TRUSTED: ReadonlySet<string> = new Set(["alice@x", "carol@x"]);
const bareOf = (jid: string) => jid.split("/")[0] ?? "";

/** Whether the codec refuses this session-initiate, and with which condition. */
function initiateCondition(jingle: Element): string | undefined {
  try {
    jingleToSdp(jingle, { role: "responder" });
    return undefined;
  } catch (error) {
    return error instanceof JingleCodecError ? error.condition : "crash";
  }
}

/** Whether the codec refuses this transport-info, and with which condition. */
function codecCondition(jingle: Element): string | undefined {
  try {
    jingleToCandidates(jingle);
    return undefined;
  } catch (error) {
    if (error instanceof JingleCodecError) return error.condition;
    return "crash";
  }
}

export function expectedAnswer(f: Fixture, from: string, jingle: Element): Expected {
  const action = jingle.attrs["action"] ?? "";
  const sid = jingle.attrs["sid"] ?? "";
  const unknownSession: Answer = { type: "error", condition: "item-not-found", application: "unknown-session" };
  // §7.2: an action not defined there MUST be answered with bad-request.
  if (!ACTIONS.has(action)) return { answer: { type: "error", condition: "bad-request" }, deviation: sid === f.call.id && from === PEER ? "unknown-action" : "malformed-before-sid" };
  // §7.1: sid is REQUIRED.
  if (sid === "") return { answer: { type: "error", condition: "bad-request" }, deviation: "malformed-before-sid" };
  if (sid === f.endedSid) {
    // §6.7: after session-terminate, any further iq for the session gets unknown-session.
    return { answer: unknownSession, deviation: from === PEER ? "ended-session" : undefined };
  }
  if (sid !== f.call.id) {
    if (action !== "session-initiate") return { answer: unknownSession };
    // A new session while busy. §6.3.2: a malformed initiate gets bad-request, and an initiator
    // we do not talk to (no subscription) service-unavailable; otherwise §6.3.1: ack, then
    // session-terminate (busy, or unsupported-applications/-transports).
    const condition = initiateCondition(jingle);
    if (condition !== undefined && condition !== "feature-not-implemented") return { answer: { type: "error", condition }, deviation: "new-session-initiate" };
    if (!TRUSTED.has(bareOf(from))) return { answer: { type: "error", condition: "service-unavailable" }, deviation: "new-session-initiate" };
    return { answer: { type: "result" } };
  }
  if (from !== PEER) return { answer: unknownSession };
  switch (action) {
    case "session-initiate":
    case "session-accept":
      return { answer: { type: "error", condition: "unexpected-request", application: "out-of-order" } };
    case "transport-info": {
      const condition = codecCondition(jingle);
      if (condition === undefined) return { answer: { type: "result" } };
      // §6.8: a transport not understood is information not understood; the call goes on.
      if (condition === "feature-not-implemented") return { answer: { type: "error", condition, application: "unsupported-info" }, deviation: "unsupported-transport-info" };
      return { answer: { type: "error", condition } };
    }
    case "session-info": {
      const payload = jingle.getChildElements()[0];
      if (!payload) return { answer: { type: "result" } };
      const understood = payload.getNS() === NS_RTP_INFO && UNDERSTOOD_INFO.has(payload.name);
      return { answer: understood ? { type: "result" } : { type: "error", condition: "feature-not-implemented", application: "unsupported-info" } };
    }
    case "description-info":
      // §6.8: an informational payload not understood → feature-not-implemented + unsupported-info.
      return { answer: { type: "error", condition: "feature-not-implemented", application: "unsupported-info" }, deviation: "description-info" };
    case "content-add":
    case "content-accept":
    case "content-reject":
    case "content-remove":
    case "content-modify":
      // Handled (video upgrade): the answer depends on a pending content-add and on which content
      // is named, so these are delivered (the call must survive them) but their answers are held
      // to XEP-0166 §7.2 in upgrade.test.ts and test/unit/interop/, not here.
      return { answer: { type: "error", condition: "feature-not-implemented" }, deviation: "renegotiation" };
    default:
      // transport-replace…: not supported by this client (XEP-0166 prescribes nothing more).
      return { answer: { type: "error", condition: "feature-not-implemented" } };
  }
}

export interface IqCase {
  from: string;
  jingle: Element;
  labels: string[];
}

/** A hostile Jingle iq: a fixture or a built action, re-addressed, then mutated. */
export function hostileIq(f: Fixture, r: Prng): IqCase {
  const labels: string[] = [];
  const from = r.weighted<string>([[45, PEER], [55, r.pick(THIRD_PARTIES)]]);
  let jingle: Element;
  const base = r.int(4);
  if (base === 0) jingle = cloneElement(r.pick(JINGLE_SEEDS));
  else if (base === 1) {
    // A well-formed trickle candidate as the peer would send it.
    jingle = xml("jingle", { xmlns: NS_JINGLE, action: "transport-info", sid: "" },
      xml("content", { creator: "initiator", name: r.pick(["0", "1", "audio"]) },
        xml("transport", { xmlns: "urn:xmpp:jingle:transports:ice-udp:1", ufrag: "u", pwd: "p" },
          xml("candidate", { component: "1", foundation: "1", generation: "0", id: "x", ip: "192.0.2.7", network: "0", port: "40000", priority: "1", protocol: "udp", type: "host" }))));
  } else if (base === 2) {
    const payload = r.pick(["ringing", "active", "mute", "unmute", "hold", "x-unknown"]);
    jingle = xml("jingle", { xmlns: NS_JINGLE, action: "session-info", sid: "" }, r.chance(0.2) ? undefined : xml(payload, { xmlns: r.chance(0.8) ? NS_RTP_INFO : "urn:example" }));
  } else jingle = xml("jingle", { xmlns: NS_JINGLE, action: r.pick(JINGLE_ACTIONS), sid: "" });
  labels.push(`${base === 0 ? "fixture" : "built"}:${jingle.attrs["action"]}`);
  jingle.attrs["sid"] = r.weighted<string>([[55, f.call.id], [15, f.endedSid], [22, r.chance(0.5) ? `unknown-${r.next()}` : hostileToken(r)], [3, ""], [5, hugeString(r)]]);
  if (r.chance(0.15)) jingle.attrs["action"] = r.chance(0.7) ? r.pick(JINGLE_ACTIONS) : r.pick(BOGUS_ACTIONS);
  if (r.chance(0.7)) labels.push(...mutateElement(jingle, r, Object.keys(XML_MUTATIONS).filter((m) => m !== "set-action")));
  // The peer hanging up is legitimate, not hostile: it would end the call under test.
  if (from === PEER && jingle.attrs["sid"] === f.call.id && jingle.attrs["action"] === "session-terminate") jingle.attrs["action"] = "transport-info";
  return { from, jingle, labels };
}

/** A hostile JMI message addressed to bob, with its 'from' as the router would stamp it. */
export function hostileJmi(f: Fixture, r: Prng): { stanza: Element; labels: string[] } {
  const stanza = parse(r.pick(JMI_SEEDS)) as Element;
  const payload = stanza.getChildElements()[0]!;
  const labels = [`jmi:${payload.name}`];
  const from = r.weighted<string>([[40, PEER], [50, r.pick(THIRD_PARTIES)], [10, "bob@x"]]);
  stanza.attrs["from"] = from;
  stanza.attrs["to"] = TARGET;
  payload.attrs["id"] = r.weighted<string>([[50, f.call.id], [15, f.endedSid], [25, `unknown-${r.next()}`], [5, hostileToken(r)], [5, hugeString(r)]]);
  if (r.chance(0.3)) payload.name = r.pick(["propose", "ringing", "proceed", "reject", "retract", "accept", "finish", "x"]);
  if (r.chance(0.6)) labels.push(...mutateElement(stanza, r, Object.keys(XML_MUTATIONS).filter((m) => m !== "set-action")));
  if (r.chance(0.1)) {
    // A carbon: genuine only when our own bare JID sends it (XEP-0280 §11).
    const wrapper = xml("message", { from: r.pick(["bob@x", "eve@evil/x", PEER]), to: TARGET, type: "chat" },
      xml(r.pick(["received", "sent"]), { xmlns: "urn:xmpp:carbons:2" }, xml("forwarded", { xmlns: "urn:xmpp:forward:0" }, stanza)));
    labels.push("carbon");
    return { stanza: neutralise(f, wrapper), labels };
  }
  return { stanza: neutralise(f, stanza), labels };
}

/**
 * The peer's device finishing the call is legitimate, not hostile (XEP-0353 §3.5): turn it into a
 * ringing. A finish from any other sender (the peer's other resources, strangers) stays: it must
 * not end the call.
 */
function neutralise(f: Fixture, stanza: Element): Element {
  for (const message of allElements(stanza).filter((el) => el.name === "message")) {
    if (message.attrs["from"] !== PEER) continue;
    for (const el of message.getChildElements()) {
      if (el.name === "finish" && el.attrs["id"] === f.call.id) el.name = "ringing";
    }
  }
  return stanza;
}

/** Session-terminate or JMI finish bob sent for the established call (there must be none). */
export function endOfCallSent(f: Fixture): string[] {
  return f.net.log
    .filter((s) => s.from === TARGET)
    .flatMap((s) => {
      const jingle = s.stanza.getChild("jingle", NS_JINGLE);
      if (jingle?.attrs["sid"] === f.call.id && jingle.attrs["action"] === "session-terminate") return ["session-terminate"];
      const finish = s.stanza.getChildElements().find((c) => c.name === "finish" && c.attrs["id"] === f.call.id);
      return finish ? ["finish"] : [];
    });
}

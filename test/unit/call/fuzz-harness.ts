// Hostile Jingle iqs and JMI messages at a signed-in client, and the callee's world: an
// established call on the in-memory router of fakes.ts. What each iq must be answered with is
// fuzz-oracle.ts; the caller's phases are caller-fuzz-harness.ts.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { parseJingleXml } from "../../../client/src/jingle/index.js";
import type { CallManager } from "../../../client/src/call/manager.js";
import type { CallSession } from "../../../client/src/call/session.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";
import { FakeNetwork, type Device } from "../../support/fake-network.js";
import { until } from "../../support/until.js";
import type { Prng } from "../../support/fuzz/prng.js";
import { allElements, BOGUS_ACTIONS, cloneElement, JINGLE_ACTIONS, mutateElement, XML_MUTATIONS } from "../../support/fuzz/xml-mutators.js";
import { JMI_SEEDS } from "../../support/fuzz/jmi-seeds.js";
import { hostileToken, hugeString } from "../../support/fuzz/values.js";
import { bareOf, firstGeneration, NS_JINGLE, NS_JINGLE_RTP_INFO, trickled, type Answer, type IceGeneration, type SessionView } from "./fuzz-oracle.js";
import { deliverJingle } from "../../../client/src/app/call-stanzas.js";

export { NS_JINGLE } from "./fuzz-oracle.js";

export const PEER = "alice@x/web";
export const TARGET = "bob@x/dev1";
/** Who else sends: the peer's other device, a trusted contact, a stranger, our own other device. */
export const THIRD_PARTIES = ["alice@x/phone", "carol@x/web", "eve@evil/x", "bob@x/dev2", "alice@x"];

/** Who hostile stanzas come from, to whom, and which sids they name. */
export interface CaseContext {
  /** Our full JID: the client under test. */
  us: string;
  /** The peer's device (the one in the call, or the one that will answer). */
  peer: string;
  thirdParties: readonly string[];
  /** The live call's sid, and the sid of a call that has ended. */
  sid: string;
  endedSid: string;
  /**
   * The peer ending the call (session-terminate, JMI finish from its device) is legitimate, not
   * hostile: with `keepCallUp` it becomes a harmless action, so one call takes the whole run.
   */
  keepCallUp: boolean;
  /** JMI messages to mutate (default: the XEP-0353 examples). */
  jmiSeeds?: readonly string[];
  /**
   * Share of mutated cases that may be huge or deep (multiply, deep-nesting, huge-attr); the
   * others get the light mutations. Default: all may. The codec refuses them all alike
   * (limit-exceeded) and they cost the most, so a run of many calls makes them rarer.
   */
  heavyShare?: number;
}

export interface Fixture {
  net: FakeNetwork;
  alice: Device;
  bob: Device;
  /** Bob's side of the established call, and alice's. */
  call: CallSession;
  callerSide: CallSession;
  /** A call bob had earlier, declined: its sid is no longer live (XEP-0166 §6.7). */
  endedSid: string;
  /** Remote candidates bob's call has taken in (the oracle knows the session-wide cap). */
  remoteCandidates: number;
  /** Alice's ICE generation, as bob's call uses it. */
  ice: IceGeneration;
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
  // What alice's session-initiate and transport-infos brought in counts against bob's cap.
  const fromAlice = net.log
    .filter((s) => s.from === PEER && s.stanza.name === "iq")
    .map((s) => s.stanza.getChild("jingle", NS_JINGLE))
    .filter((j): j is Element => j?.attrs["sid"] === call.id);
  const remoteCandidates = fromAlice.reduce((n, j) => n + (trickled(j) as number), 0);
  const ice = firstGeneration(fromAlice.find((j) => j.attrs["action"] === "session-initiate")!);
  return { net, alice, bob, call, callerSide, endedSid: first.id, remoteCandidates, ice };
}

export function calleeContext(f: Fixture): CaseContext {
  return { us: TARGET, peer: PEER, thirdParties: THIRD_PARTIES, sid: f.call.id, endedSid: f.endedSid, keepCallUp: true };
}

/** Bob's call as the oracle sees it. */
export function calleeView(f: Fixture): SessionView {
  const trusted = new Set(["alice@x", "carol@x"]);
  return {
    sid: f.call.id, state: f.call.state, peer: f.call.peerJid, role: "responder", endedSids: new Set([f.endedSid]),
    isTrusted: (bare) => trusted.has(bare), remoteCandidates: f.remoteCandidates, ice: f.ice, negotiating: f.call.video.request !== undefined,
  };
}

/** As XmppConnection.handleIq: a thrown StanzaError is the iq error; anything else is a crash. */
export function deliverIq(device: { manager: CallManager }, from: string, jingle: Element): Answer {
  try {
    deliverJingle(device.manager, from, jingle);
    return { type: "result" };
  } catch (error) {
    if (!(error instanceof StanzaError)) throw error;
    return { type: "error", condition: error.condition, ...(error.application ? { application: error.application.name } : {}) };
  }
}

/** The <jingle/> of every XML file in `dir` (a file that does not parse is left out). */
export function jingleSeedsOf(dir: string): Element[] {
  return readdirSync(dir).filter((f) => f.endsWith(".xml")).sort().flatMap((f) => {
    try {
      return [parseJingleXml(readFileSync(join(dir, f), "utf8"))];
    } catch {
      return [];
    }
  });
}

const JINGLE_SEEDS = jingleSeedsOf(join(import.meta.dirname, "..", "..", "fixtures", "jingle"));

export interface IqCase {
  from: string;
  jingle: Element;
  labels: string[];
}

/** Mutations for whole stanzas: all but set-action (the case picks its action itself). */
const STANZA_MUTATIONS = Object.keys(XML_MUTATIONS).filter((m) => m !== "set-action");
const LIGHT_MUTATIONS = STANZA_MUTATIONS.filter((m) => !["multiply", "deep-nesting", "huge-attr"].includes(m));

/** The mutations a case may draw from (see CaseContext.heavyShare). */
export function mutationsFor(ctx: CaseContext, r: Prng): readonly string[] {
  return ctx.heavyShare === undefined || r.chance(ctx.heavyShare) ? STANZA_MUTATIONS : LIGHT_MUTATIONS;
}

/** A hostile Jingle iq: a fixture or a built action, re-addressed, then mutated. */
export function hostileIq(ctx: CaseContext, r: Prng): IqCase {
  const labels: string[] = [];
  const from = r.weighted<string>([[45, ctx.peer], [55, r.pick(ctx.thirdParties)]]);
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
    jingle = xml("jingle", { xmlns: NS_JINGLE, action: "session-info", sid: "" }, r.chance(0.2) ? undefined : xml(payload, { xmlns: r.chance(0.8) ? NS_JINGLE_RTP_INFO : "urn:example" }));
  } else jingle = xml("jingle", { xmlns: NS_JINGLE, action: r.pick(JINGLE_ACTIONS), sid: "" });
  labels.push(`${base === 0 ? "fixture" : "built"}:${jingle.attrs["action"]}`);
  jingle.attrs["sid"] = hostileSid(ctx, r);
  if (r.chance(0.15)) jingle.attrs["action"] = r.chance(0.7) ? r.pick(JINGLE_ACTIONS) : r.pick(BOGUS_ACTIONS);
  if (r.chance(0.7)) labels.push(...mutateElement(jingle, r, mutationsFor(ctx, r)));
  if (ctx.keepCallUp && from === ctx.peer && jingle.attrs["sid"] === ctx.sid && jingle.attrs["action"] === "session-terminate") jingle.attrs["action"] = "transport-info";
  return { from, jingle, labels };
}

/** The live sid most of the time, else an ended, unknown, hostile, empty or huge one. */
export function hostileSid(ctx: CaseContext, r: Prng): string {
  return r.weighted<string>([[55, ctx.sid], [15, ctx.endedSid], [22, r.chance(0.5) ? `unknown-${r.next()}` : hostileToken(r)], [3, ""], [5, hugeString(r)]]);
}

/** A hostile JMI message addressed to us, with its 'from' as the router would stamp it. */
export function hostileJmi(ctx: CaseContext, r: Prng): { stanza: Element; labels: string[] } {
  const stanza = parse(r.pick(ctx.jmiSeeds ?? JMI_SEEDS)) as Element;
  const payload = stanza.getChildElements().find((c) => c.attrs["xmlns"] === "urn:xmpp:jingle-message:0") ?? stanza.getChildElements()[0]!;
  const labels = [`jmi:${payload.name}`];
  const ownBare = bareOf(ctx.us);
  const from = r.weighted<string>([[40, ctx.peer], [50, r.pick(ctx.thirdParties)], [10, ownBare]]);
  stanza.attrs["from"] = from;
  stanza.attrs["to"] = ctx.us;
  payload.attrs["id"] = r.weighted<string>([[50, ctx.sid], [15, ctx.endedSid], [25, `unknown-${r.next()}`], [5, hostileToken(r)], [5, hugeString(r)]]);
  if (r.chance(0.3)) payload.name = r.pick(["propose", "ringing", "proceed", "reject", "retract", "accept", "finish", "x"]);
  if (r.chance(0.6)) labels.push(...mutateElement(stanza, r, mutationsFor(ctx, r)));
  if (r.chance(0.1)) {
    // A carbon: genuine only when our own bare JID sends it (XEP-0280 §11).
    const wrapper = xml("message", { from: r.pick([ownBare, "eve@evil/x", ctx.peer]), to: ctx.us, type: "chat" },
      xml(r.pick(["received", "sent"]), { xmlns: "urn:xmpp:carbons:2" }, xml("forwarded", { xmlns: "urn:xmpp:forward:0" }, stanza)));
    labels.push("carbon");
    return { stanza: neutralise(ctx, wrapper), labels };
  }
  return { stanza: neutralise(ctx, stanza), labels };
}

/**
 * The peer's device finishing the call is legitimate, not hostile (XEP-0353 §3.5): with
 * `keepCallUp`, turn it into a ringing. A finish from any other sender (the peer's other
 * resources, strangers) stays: it must not end the call.
 */
function neutralise(ctx: CaseContext, stanza: Element): Element {
  if (!ctx.keepCallUp) return stanza;
  for (const message of allElements(stanza).filter((el) => el.name === "message")) {
    if (message.attrs["from"] !== ctx.peer) continue;
    for (const el of message.getChildElements()) {
      if (el.name === "finish" && el.attrs["id"] === ctx.sid) el.name = "ringing";
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

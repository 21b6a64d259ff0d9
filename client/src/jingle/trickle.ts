// Trickle ICE (XEP-0176 §6.1): a browser's RTCIceCandidateInit ⇄ a transport-info <jingle/>.
import { Element } from "@xmpp/xml";
import { formatCandidateString, keepCandidate, parseCandidateString, type CandidateFilter } from "./candidate.js";
import { JingleCodecError } from "./errors.js";
import type { IceCandidate, JingleRole } from "./model.js";
import { readJingle } from "./xml-read.js";
import { NS_JINGLE } from "./namespaces.js";
import { writeTransport, type JingleAttributes } from "./xml-write.js";

/** Structurally the DOM's RTCIceCandidateInit, so this module needs no DOM types. */
export interface IceCandidateInit {
  candidate?: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
  usernameFragment?: string | null;
}

/** What a local content contributes to a transport-info: a JingleContent fits. */
export interface TrickleContent {
  name: string;
  creator?: JingleRole;
  transport?: { ufrag?: string; pwd?: string };
}

export interface TrickleContext extends CandidateFilter, Omit<JingleAttributes, "action"> {
  /** Local contents in m-line order (sdpMLineIndex indexes this list). */
  contents: readonly TrickleContent[];
}

function contentFor(init: IceCandidateInit, ctx: TrickleContext): TrickleContent {
  const byMid = init.sdpMid != null ? ctx.contents.find((c) => c.name === init.sdpMid) : undefined;
  const byIndex = init.sdpMLineIndex != null ? ctx.contents[init.sdpMLineIndex] : undefined;
  const content = byMid ?? byIndex;
  if (!content) {
    throw new JingleCodecError("unknown-content", `candidate for sdpMid=${String(init.sdpMid)} sdpMLineIndex=${String(init.sdpMLineIndex)} matches no content`);
  }
  return content;
}

/**
 * Local candidates → one transport-info (several candidates may share it, XEP-0176 §6.1).
 * Returns null when nothing is left to send: the end-of-candidates marker (empty string), or
 * candidates filtered out for Jingle peers (TCP, mDNS).
 */
export function candidateToJingle(inits: IceCandidateInit | readonly IceCandidateInit[], ctx: TrickleContext): Element | null {
  const byContent = new Map<TrickleContent, IceCandidate[]>();
  for (const init of Array.isArray(inits) ? inits : [inits as IceCandidateInit]) {
    if (!init.candidate) continue;
    const content = contentFor(init, ctx);
    const candidate = parseCandidateString(init.candidate, { content: content.name });
    if (!keepCandidate(candidate, ctx)) continue;
    const list = byContent.get(content) ?? [];
    list.push(candidate);
    byContent.set(content, list);
  }
  if (byContent.size === 0) return null;
  const jingle = new Element("jingle", { xmlns: NS_JINGLE, action: "transport-info", sid: ctx.sid, initiator: ctx.initiator, responder: ctx.responder });
  for (const [content, candidates] of byContent) {
    // transport-info carries no senders (XEP-0166 §7.2.15).
    const el = jingle.cnode(new Element("content", { creator: content.creator ?? "initiator", name: content.name }));
    // INTEROP: ufrag (and pwd) on every transport-info, so the peer can tell an ICE restart.
    writeTransport(el, { ufrag: content.transport?.ufrag, pwd: content.transport?.pwd, fingerprints: [], candidates });
  }
  return jingle;
}

export interface RemoteCandidate {
  candidate: string;
  sdpMid: string;
  sdpMLineIndex: number | null;
  usernameFragment: string | null;
}

/**
 * Remote transport-info (or any action with candidates) → inits for addIceCandidate.
 * `mids` (remote m-line order) fills sdpMLineIndex when given. Component 2 is dropped: browsers
 * always mux RTCP (INTEROP: Dino sends component 2 anyway).
 */
export function jingleToCandidates(jingle: Element, mids: readonly string[] = []): RemoteCandidate[] {
  const session = readJingle(jingle, { requireDescription: false, requireTransport: false });
  const out: RemoteCandidate[] = [];
  for (const content of session.contents) {
    const index = mids.indexOf(content.name);
    for (const c of content.transport?.candidates ?? []) {
      if (c.component !== 1) continue;
      out.push({
        candidate: formatCandidateString(c),
        sdpMid: content.name,
        sdpMLineIndex: index >= 0 ? index : null,
        usernameFragment: content.transport?.ufrag ?? null,
      });
    }
  }
  return out;
}

/** XEP-0176 §5.2 ICE credentials of one content's transport. `pwd` may be left out of a trickle. */
export interface IceCredentials {
  ufrag: string;
  pwd?: string;
}

/**
 * The credentials a transport-info states, by content name (contents whose transport names no
 * ufrag are left out). New ones are how a peer signals an ICE restart (docs/interop.md).
 */
export function jingleToCredentials(jingle: Element): Map<string, IceCredentials> {
  const session = readJingle(jingle, { requireDescription: false, requireTransport: false });
  const out = new Map<string, IceCredentials>();
  for (const content of session.contents) {
    const ufrag = content.transport?.ufrag;
    if (ufrag !== undefined) out.set(content.name, { ufrag, pwd: content.transport?.pwd });
  }
  return out;
}

/**
 * An ICE restart offer as Conversations sends and expects it (docs/interop.md, "ICE restart"):
 * a transport-info whose transports carry the new ufrag/pwd and no candidate. No fingerprint:
 * the DTLS association outlives the restart (RFC 8842 §4).
 */
export function credentialsToJingle(ctx: Omit<TrickleContext, keyof CandidateFilter>): Element {
  const jingle = new Element("jingle", { xmlns: NS_JINGLE, action: "transport-info", sid: ctx.sid, initiator: ctx.initiator, responder: ctx.responder });
  for (const content of ctx.contents) {
    const el = jingle.cnode(new Element("content", { creator: content.creator ?? "initiator", name: content.name }));
    writeTransport(el, { ufrag: content.transport?.ufrag, pwd: content.transport?.pwd, fingerprints: [], candidates: [] });
  }
  return jingle;
}

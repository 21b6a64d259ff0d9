// Trickle ICE (XEP-0176 §6.1): a browser's RTCIceCandidateInit ⇄ a transport-info <jingle/>.
import type { Element } from "@xmpp/xml";
import { formatCandidateString, keepCandidate, parseCandidateString, type CandidateFilter } from "./candidate.js";
import { JingleCodecError } from "./errors.js";
import type { IceCandidate, JingleContent, JingleRole, JingleSession } from "./model.js";
import { writeJingleRequest } from "./request.js";
import { readJingle } from "./xml-read.js";
import type { JingleAttributes } from "./xml-write.js";

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

function contentFor(init: IceCandidateInit, ctx: { contents: readonly TrickleContent[] }): TrickleContent {
  const byMid = init.sdpMid != null ? ctx.contents.find((c) => c.name === init.sdpMid) : undefined;
  const byIndex = init.sdpMLineIndex != null ? ctx.contents[init.sdpMLineIndex] : undefined;
  const content = byMid ?? byIndex;
  if (!content) {
    throw new JingleCodecError("unknown-content", `candidate for sdpMid=${String(init.sdpMid)} sdpMLineIndex=${String(init.sdpMLineIndex)} matches no content`);
  }
  return content;
}

/**
 * Local candidates placed in the contents they belong to, as the model of a transport-info (or
 * to go inline in session-initiate/accept, XEP-0176 §6.1): each content with its ufrag/pwd and
 * the candidates kept. Null when nothing is left: the end-of-candidates marker (empty string), or
 * candidates filtered out for Jingle peers (TCP, mDNS).
 */
export function placeCandidates(inits: IceCandidateInit | readonly IceCandidateInit[], ctx: CandidateFilter & { contents: readonly TrickleContent[] }): JingleSession | null {
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
  const contents = [...byContent].map(([content, candidates]): JingleContent => ({
    name: content.name,
    creator: content.creator ?? "initiator",
    senders: "both",
    transport: { ufrag: content.transport?.ufrag, pwd: content.transport?.pwd, fingerprints: [], candidates },
  }));
  return { contents, groups: [] };
}

/** Local candidates → one transport-info (several candidates may share it, XEP-0176 §6.1), or null (see placeCandidates). */
export function candidateToJingle(inits: IceCandidateInit | readonly IceCandidateInit[], ctx: TrickleContext): Element | null {
  const session = placeCandidates(inits, ctx);
  return session && writeJingleRequest({ action: "transport-info", sid: ctx.sid, initiator: ctx.initiator, responder: ctx.responder, session });
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
  return sessionCandidates(readJingle(jingle, { requireDescription: false, requireTransport: false }), mids);
}

/** The candidates in a session's transports as inits for addIceCandidate (component 1 only, see jingleToCandidates). */
export function sessionCandidates(session: JingleSession, mids: readonly string[] = []): RemoteCandidate[] {
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
  return sessionCredentials(readJingle(jingle, { requireDescription: false, requireTransport: false }));
}

/** The credentials each content's transport states, by content name (see jingleToCredentials). */
export function sessionCredentials(session: JingleSession): Map<string, IceCredentials> {
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
  return writeJingleRequest({ action: "transport-info", sid: ctx.sid, initiator: ctx.initiator, responder: ctx.responder, session: credentialsSession(ctx.contents) });
}

/** The model of an ICE restart offer (credentialsToJingle): every content with its credentials and no candidate. */
export function credentialsSession(contents: readonly TrickleContent[]): JingleSession {
  return {
    contents: contents.map((c) => ({ name: c.name, creator: c.creator ?? "initiator", senders: "both", transport: { ufrag: c.transport?.ufrag, pwd: c.transport?.pwd, fingerprints: [], candidates: [] } })),
    groups: [],
  };
}

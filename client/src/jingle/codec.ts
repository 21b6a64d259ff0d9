// The public conversions: SDP ⇄ <jingle/> for whole descriptions. Pure functions: no I/O, no
// clock, no randomness; the same input always gives the same stanza or SDP.
import type { Element } from "@xmpp/xml";
import type { CandidateFilter } from "./candidate.js";
import { JingleCodecError } from "./errors.js";
import { otherRole, type JingleRole, type JingleSession } from "./model.js";
import { readSdp, type SdpReadResult } from "./sdp-read.js";
import { writeSdp } from "./sdp-write.js";
import { readJingle } from "./xml-read.js";
import { writeJingle, type JingleAttributes } from "./xml-write.js";

/** XEP-0166 §7.2 actions whose contents answer an offer (RFC 3264 answer semantics). */
const ANSWER_ACTIONS: ReadonlySet<string> = new Set(["session-accept", "content-accept", "transport-accept"]);
/** Actions whose contents must carry a description (XEP-0166 §7.2). */
const DESCRIPTION_ACTIONS: ReadonlySet<string> = new Set(["session-initiate", "session-accept", "content-add", "content-accept"]);
/** Actions whose contents must carry a transport (XEP-0166 §7.2). */
const TRANSPORT_ACTIONS: ReadonlySet<string> = new Set([...DESCRIPTION_ACTIONS, "transport-replace", "transport-accept"]);

export function isAnswerAction(action: string): boolean {
  return ANSWER_ACTIONS.has(action);
}

export interface SdpToJingleOptions extends CandidateFilter, JingleAttributes {
  /** Your role: the SDP is your local description (senders ⇄ direction depends on it). */
  role: JingleRole;
  /** `creator` of the contents; defaults to initiator (XEP-0166 §7.3). */
  creator?: JingleRole;
  /** Told about SDP attributes that have no Jingle form (a=rid, a=simulcast…). */
  onUnmapped?: (items: string[]) => void;
}

export interface SdpToSessionOptions extends CandidateFilter {
  role: JingleRole;
  creator?: JingleRole;
  answer?: boolean;
}

/** SDP → typed model, plus what could not be mapped. */
export function sdpToSession(sdp: string, opts: SdpToSessionOptions): SdpReadResult {
  return readSdp(sdp, opts);
}

/** Typed model → <jingle/>. */
export function sessionToJingle(session: JingleSession, attrs: JingleAttributes): Element {
  return writeJingle(session, attrs);
}

/** Local SDP (offer or answer) → <jingle xmlns='urn:xmpp:jingle:1' action sid …/>. */
export function sdpToJingle(sdp: string, opts: SdpToJingleOptions): Element {
  const { session, unmapped } = readSdp(sdp, { ...opts, answer: isAnswerAction(opts.action) });
  if (unmapped.length && opts.onUnmapped) opts.onUnmapped(unmapped);
  return writeJingle(session, opts);
}

/** <jingle/> → typed model, checked as the action requires (XEP-0166 §7.2). */
export function jingleToSession(jingle: Element): JingleSession {
  const action = jingle.attrs["action"] ?? "";
  return readJingle(jingle, { requireDescription: DESCRIPTION_ACTIONS.has(action), requireTransport: TRANSPORT_ACTIONS.has(action) });
}

export interface JingleToSdpOptions {
  /** Your role; the SDP describes the peer (for setRemoteDescription), so it is written from its side. */
  role: JingleRole;
  /** o= version (RFC 4566 §5.2); raise it on each renegotiation. Default 1. */
  sessionVersion?: number;
}

/** Remote <jingle/> (session-initiate, session-accept, content-add…) → SDP for setRemoteDescription. */
export function jingleToSdp(jingle: Element, opts: JingleToSdpOptions): string {
  const session = readJingle(jingle, { requireDescription: true, requireTransport: true });
  const sid = jingle.attrs["sid"] ?? "";
  return sessionToSdp(session, { ...opts, answer: isAnswerAction(jingle.attrs["action"] ?? ""), sid });
}

export interface SessionToSdpOptions extends JingleToSdpOptions {
  answer: boolean;
  /** Jingle sid: hashed into the o= session id so the same session keeps the same id. */
  sid: string;
}

export function sessionToSdp(session: JingleSession, opts: SessionToSdpOptions): string {
  if (session.contents.length === 0) throw new JingleCodecError("missing-content", "no content to describe");
  return writeSdp(session, {
    author: otherRole(opts.role),
    answer: opts.answer,
    sessionId: sessionIdFromSid(opts.sid),
    sessionVersion: opts.sessionVersion ?? 1,
  });
}

/** RFC 4566 §5.2 wants a numeric session id; a Jingle sid is an opaque string (INTEROP). */
export function sessionIdFromSid(sid: string): string {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < sid.length; i++) {
    h ^= BigInt(sid.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0x7fffffffffffffffn;
  }
  return h.toString();
}

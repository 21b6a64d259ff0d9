// JingleSession → <jingle/> element, built with @xmpp/xml (never by string concatenation).
// Each child in another namespace carries its own xmlns, as in the XEP examples.
import { Element } from "@xmpp/xml";
import { JingleCodecError } from "./errors.js";
import { msidOfSources, sameMsid } from "./msid.js";
import { hasForbiddenChars } from "./limits.js";
import { CANDIDATE_ROWS, FEEDBACK_ROWS, FLAG_ROWS, HDREXT_ROWS, PAYLOAD_ROWS, SCTP_ROWS, TRANSPORT_ROWS, writeRows } from "./mapping.js";
import type { IceTransport, JingleContent, JingleSession, Parameter, PayloadType, RtcpFeedback, RtpDescription } from "./model.js";
import {
  NS_JINGLE, NS_JINGLE_DTLS, NS_JINGLE_DTLS_SCTP, NS_JINGLE_GROUPING, NS_JINGLE_ICE_UDP, NS_JINGLE_RTP,
  NS_JINGLE_RTP_FB, NS_JINGLE_RTP_HDREXT, NS_JINGLE_RTP_MSID, NS_JINGLE_RTP_SSMA,
} from "../namespaces.js";

export interface JingleAttributes {
  /** XEP-0166 §7.2 action, e.g. session-initiate, session-accept, transport-info. */
  action: string;
  sid: string;
  initiator?: string;
  responder?: string;
}

/** Appends a child; attribute values become strings so a built element reads like a parsed one. */
function child(parent: Element, name: string, attrs?: Record<string, string | number | undefined>): Element {
  const el = new Element(name);
  if (attrs) for (const key in attrs) {
    const value = attrs[key];
    if (value !== undefined) el.attrs[key] = typeof value === "string" ? value : String(value);
  }
  return parent.cnode(el);
}

export function writeJingle(session: JingleSession, attrs: JingleAttributes): Element {
  // The caller's sid (a peer's JMI id, say) must not make the stanza we send ill-formed XML.
  for (const [key, value] of Object.entries(attrs)) {
    if (typeof value === "string" && hasForbiddenChars(value)) throw new JingleCodecError("invalid-attribute", `<jingle ${key}/> has control or non-XML characters`);
  }
  const jingle = new Element("jingle", {
    xmlns: NS_JINGLE,
    action: attrs.action,
    sid: attrs.sid,
    initiator: attrs.initiator,
    responder: attrs.responder,
  });
  for (const content of session.contents) writeContent(jingle, content);
  // XEP-0338 §3: <group/> is a child of <jingle/>; its <content name/> children list the mids.
  for (const group of session.groups) {
    const g = child(jingle, "group", { xmlns: NS_JINGLE_GROUPING, semantics: group.semantics });
    for (const name of group.contents) child(g, "content", { name });
  }
  return jingle;
}

export function writeContent(parent: Element, content: JingleContent, withDescription = true): Element {
  const el = child(parent, "content", { creator: content.creator, name: content.name, senders: content.senders });
  if (content.description && withDescription) writeDescription(el, content.description);
  if (content.transport) writeTransport(el, content.transport);
  return el;
}

function writeParameters(parent: Element, params: Parameter[], ns?: string): void {
  for (const p of params) {
    if (p.value === undefined) continue;
    child(parent, "parameter", { xmlns: ns, name: p.name, value: p.value });
  }
}

/**
 * fmtp parameters of a payload type. A token without `=` (RED `111/111`, RFC 2198; DTMF `0-15`,
 * RFC 4733) has no name: it goes out as `<parameter value='111/111'/>`, the form lib-jitsi-meet
 * and Movim write and read, and that Conversations turns back into `a=fmtp:63 111/111` when it is
 * the payload type's only parameter (as browsers always write RED and DTMF). Conversations throws
 * on a nameless parameter among named ones and on StanzaJS's `<parameter name='111/111'/>` (no
 * value), so such a token mixed with name=value pairs is left out (docs/interop.md).
 */
function writeFmtp(parent: Element, params: Parameter[]): void {
  const only = params.length === 1 ? params[0] : undefined;
  if (only && only.value === undefined) child(parent, "parameter", { value: only.name });
  else writeParameters(parent, params);
}

function writeFeedback(parent: Element, feedback: RtcpFeedback[], trrInt: number | undefined): void {
  for (const fb of feedback) child(parent, "rtcp-fb", { xmlns: NS_JINGLE_RTP_FB, ...writeRows(FEEDBACK_ROWS, fb, "xml") });
  if (trrInt !== undefined) child(parent, "rtcp-fb-trr-int", { xmlns: NS_JINGLE_RTP_FB, value: trrInt });
}

function writePayloadType(parent: Element, pt: PayloadType): void {
  const el = child(parent, "payload-type", { ...writeRows(PAYLOAD_ROWS, pt, "xml"), ptime: pt.ptime, maxptime: pt.maxptime });
  writeFmtp(el, pt.parameters);
  writeFeedback(el, pt.feedback, pt.trrInt);
}

function writeDescription(parent: Element, d: RtpDescription): void {
  const el = child(parent, "description", { xmlns: NS_JINGLE_RTP, media: d.media });
  for (const pt of d.payloadTypes) writePayloadType(el, pt);
  writeFeedback(el, d.feedback, d.trrInt);
  for (const b of d.bandwidth) child(el, "bandwidth", { type: b.type }).t(String(b.value));
  for (const ext of d.headerExtensions) {
    child(el, "rtp-hdrext", { xmlns: NS_JINGLE_RTP_HDREXT, ...writeRows(HDREXT_ROWS, ext, "xml"), senders: ext.senders });
  }
  for (const flag of FLAG_ROWS) {
    if (d[flag.model]) child(el, flag.element, flag.ns === NS_JINGLE_RTP ? undefined : { xmlns: flag.ns });
  }
  // Conversations reads msid only from the source parameters (INTEROP: msid).
  const msid = d.msid;
  const sources = d.sources.map((source) =>
    msid && !source.parameters.some((p) => p.name === "msid") ? { ...source, parameters: [...source.parameters, { name: "msid", value: `${msid.stream} ${msid.track}` }] } : source,
  );
  for (const source of sources) writeParameters(child(el, "source", { xmlns: NS_JINGLE_RTP_SSMA, ssrc: source.ssrc }), source.parameters);
  for (const group of d.ssrcGroups) {
    const g = child(el, "ssrc-group", { xmlns: NS_JINGLE_RTP_SSMA, semantics: group.semantics });
    for (const ssrc of group.sources) child(g, "source", { ssrc });
  }
  // StanzaJS's <stream/> only when the sources do not already say the same msid (≈ 140 bytes each;
  // issue 16, nothing sent twice); xml-read.ts takes it back from them. StanzaJS, its only reader,
  // names a stream of its own without it, and the msid still reaches it in the a=ssrc lines.
  if (msid && !sameMsid(msidOfSources(sources), msid)) child(el, "stream", { xmlns: NS_JINGLE_RTP_MSID, id: msid.stream, track: msid.track });
}

export function writeTransport(parent: Element, t: IceTransport): Element {
  const el = child(parent, "transport", { xmlns: NS_JINGLE_ICE_UDP, ...writeRows(TRANSPORT_ROWS, t, "xml") });
  if (t.sctp) child(el, "sctpmap", { xmlns: NS_JINGLE_DTLS_SCTP, ...writeRows(SCTP_ROWS, t.sctp, "xml") });
  for (const fp of t.fingerprints) child(el, "fingerprint", { xmlns: NS_JINGLE_DTLS, hash: fp.hash, setup: fp.setup }).t(fp.value);
  for (const c of t.candidates) child(el, "candidate", { ...writeRows(CANDIDATE_ROWS, c, "xml"), id: c.id });
  return el;
}


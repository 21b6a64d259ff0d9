// <jingle/> element → JingleSession. Lenient where real clients differ (INTEROP: missing
// generation/id, Monal's rel_port, nameless parameters, untrimmed fingerprints, no `initiator`),
// strict where the session cannot work (no transport, ICE credentials or fingerprint).
// Elements in unknown namespaces are ignored (RFC 6120 §8.4, extended content).
import type { Element } from "@xmpp/xml";
import { candidateId } from "./candidate.js";
import { JingleCodecError, type JingleCodecLocation } from "./errors.js";
import { CANDIDATE_ROWS, FEEDBACK_ROWS, FLAG_ROWS, HDREXT_ROWS, PAYLOAD_ROWS, SCTP_ROWS, TRANSPORT_ROWS, checkFingerprint, readRows, readValue } from "./mapping.js";
import type {
  Bandwidth, ContentGroup, DtlsSetup, Fingerprint, HeaderExtension, IceCandidate, IceTransport, JingleContent, JingleRole,
  JingleSession, Parameter, PayloadType, RtcpFeedback, RtpDescription, Senders, Source,
} from "./model.js";
import { checkJingleLimits, checkSessionLimits, LIMITS, capCount } from "./limits.js";
import { msidOfSources } from "./msid.js";
import { checkContentName } from "./names.js";
import {
  NS_JINGLE, NS_JINGLE_DTLS, NS_JINGLE_DTLS_SCTP, NS_JINGLE_GROUPING, NS_JINGLE_ICE_UDP, NS_JINGLE_RTP,
  NS_JINGLE_RTP_FB, NS_JINGLE_RTP_HDREXT, NS_JINGLE_RTP_MSID, NS_JINGLE_RTP_SSMA,
} from "../namespaces.js";

export interface XmlReadOptions {
  /** Every content must carry a description (session-initiate, session-accept, content-add…). */
  requireDescription: boolean;
  /** Every content must carry an ICE transport with ufrag, pwd and a fingerprint. */
  requireTransport: boolean;
}

const SENDERS: ReadonlySet<string> = new Set(["both", "initiator", "responder", "none"]);
const ROLES: ReadonlySet<string> = new Set(["initiator", "responder"]);
const SETUPS: ReadonlySet<string> = new Set(["actpass", "active", "passive", "holdconn"]);

function* elements(el: Element, name: string, ns: string): Generator<Element> {
  for (const c of el.children) {
    if (typeof c !== "string" && c.getName() === name && c.getNS() === ns) yield c;
  }
}

export function assertJingle(el: Element): void {
  if (el.getName() !== "jingle" || el.getNS() !== NS_JINGLE) {
    throw new JingleCodecError("not-jingle", `expected <jingle xmlns='${NS_JINGLE}'/>, got <${el.getName()} xmlns='${el.getNS() ?? ""}'/>`);
  }
}

export function readJingle(jingle: Element, opts: XmlReadOptions): JingleSession {
  assertJingle(jingle);
  checkJingleLimits(jingle);
  const contents: JingleContent[] = [];
  const seen = new Set<string>();
  for (const el of elements(jingle, "content", NS_JINGLE)) {
    capCount(contents.length + 1, LIMITS.contents, "contents");
    const content = readContent(el, opts);
    if (seen.has(content.name)) throw new JingleCodecError("duplicate-content", "two <content/> share one name", { content: content.name });
    seen.add(content.name);
    contents.push(content);
  }
  if (contents.length === 0) throw new JingleCodecError("missing-content", "<jingle/> has no <content/>");
  const groups: ContentGroup[] = [];
  for (const g of elements(jingle, "group", NS_JINGLE_GROUPING)) {
    const names: string[] = [];
    for (const c of g.children) {
      if (typeof c === "string" || c.getName() !== "content") continue;
      const name = (c.attrs["name"] ?? "").trim();
      checkContentName(name, false);
      names.push(name);
    }
    groups.push({ semantics: token(g.attrs["semantics"] ?? g.attrs["type"], "group semantics"), contents: names });
  }
  const session = { contents, groups };
  checkSessionLimits(session);
  return session;
}

/** A value that becomes one SDP token (a=group:BUNDLE, a=ssrc-group:FID…): no whitespace inside. */
function token(raw: string | undefined, what: string, where: JingleCodecLocation = {}): string {
  const value = (raw ?? "").trim();
  if (!/^[\w.+/:-]+$/.test(value)) throw new JingleCodecError("invalid-attribute", `${what} is not a token: ${JSON.stringify(value.slice(0, 40))}`, where);
  return value;
}

export function readContent(el: Element, opts: XmlReadOptions): JingleContent {
  const name = (el.attrs["name"] ?? "").trim();
  checkContentName(name, false);
  const where = { content: name };
  // `creator` is written inconsistently (Conversations: always initiator): not validated strictly.
  const creator = (el.attrs["creator"] ?? "").trim();
  const senders = (el.attrs["senders"] ?? "both").trim();
  if (!SENDERS.has(senders)) throw new JingleCodecError("invalid-attribute", `senders='${senders}' is not one of both|initiator|responder|none`, where);
  const content: JingleContent = { name, creator: (ROLES.has(creator) ? creator : "initiator") as JingleRole, senders: senders as Senders };

  let transportEl: Element | undefined;
  let descriptionEl: Element | undefined;
  for (const c of el.children) {
    if (typeof c === "string") continue;
    const n = c.getName();
    if (n === "transport") {
      if (c.getNS() !== NS_JINGLE_ICE_UDP) throw new JingleCodecError("unsupported-transport", `transport ${c.getNS() ?? "(no namespace)"} (only ${NS_JINGLE_ICE_UDP})`, where);
      transportEl = c;
    } else if (n === "description") {
      if (c.getNS() !== NS_JINGLE_RTP) throw new JingleCodecError("unsupported-application", `description ${c.getNS() ?? "(no namespace)"} (only ${NS_JINGLE_RTP})`, where);
      descriptionEl = c;
    }
  }
  if (transportEl) content.transport = readTransport(transportEl, where, opts.requireTransport);
  else if (opts.requireTransport) throw new JingleCodecError("missing-transport", "no <transport/> (XEP-0176)", where);
  if (descriptionEl) content.description = readDescription(descriptionEl, where);
  else if (opts.requireDescription && !content.transport?.sctp) {
    throw new JingleCodecError("missing-description", "no RTP <description/> and no <sctpmap/> (XEP-0167, XEP-0343)", where);
  }
  return content;
}

function readParameters(el: Element, where: JingleCodecLocation): Parameter[] {
  const out: Parameter[] = [];
  for (const c of el.children) {
    if (typeof c === "string" || c.getName() !== "parameter") continue;
    const name = (c.attrs["name"] ?? "").trim();
    const value = c.attrs["value"];
    if (name === "" && (value === undefined || value.trim() === "")) continue;
    // a=fmtp is `name=value;name=value`: a ';' or '=' in a name, or ';' in a value, would forge parameters.
    if (/[\s;=]/.test(name) || (value !== undefined && value.includes(";"))) {
      throw new JingleCodecError("invalid-attribute", `<parameter name=${JSON.stringify(name.slice(0, 40))}/> would not survive as an fmtp parameter`, where);
    }
    // A value-only <parameter value='111/111'/> (lib-jitsi-meet, ours) and StanzaJS's
    // <parameter name='111/111'/> are both a token without `=` (RED, DTMF ranges): one form in the model.
    if (name === "") {
      const tokenValue = value?.trim() ?? "";
      if (/[\s=]/.test(tokenValue)) throw new JingleCodecError("invalid-attribute", `nameless <parameter value=${JSON.stringify(tokenValue.slice(0, 40))}/> would not survive as an fmtp token`, where);
      out.push({ name: tokenValue });
    }
    else if (value === undefined) out.push({ name });
    else out.push({ name, value: value.trim() });
  }
  return out;
}

function readFeedback(el: Element, where: JingleCodecLocation): { feedback: RtcpFeedback[]; trrInt?: number } {
  const feedback: RtcpFeedback[] = [];
  let trrInt: number | undefined;
  for (const c of el.children) {
    if (typeof c === "string" || c.getNS() !== NS_JINGLE_RTP_FB) continue;
    if (c.getName() === "rtcp-fb") feedback.push(readRows(FEEDBACK_ROWS, c.attrs, "xml", where, "rtcp-fb") as unknown as RtcpFeedback);
    else if (c.getName() === "rtcp-fb-trr-int") {
      trrInt = readValue({ model: "trrInt", xml: "value", sdp: "value", kind: "int", xep: "XEP-0293 §4" }, c.attrs["value"], where, "rtcp-fb-trr-int") as number | undefined;
    }
  }
  return trrInt === undefined ? { feedback } : { feedback, trrInt };
}

function readPayloadType(el: Element, where: JingleCodecLocation): PayloadType {
  const base = readRows(PAYLOAD_ROWS, el.attrs, "xml", where, "payload-type") as unknown as PayloadType;
  const pt: PayloadType = { ...base, parameters: readParameters(el, where), ...readFeedback(el, where) };
  for (const key of ["ptime", "maxptime"] as const) {
    const v = readValue({ model: key, xml: key, sdp: key, kind: "int", xep: "XEP-0167 §4" }, el.attrs[key], where, "payload-type");
    if (typeof v === "number") pt[key] = v;
  }
  // INTEROP: libwebrtc rejects opus without /2 (Dino bug #1189).
  if (pt.name?.toLowerCase() === "opus") pt.channels = 2;
  return pt;
}

function readDescription(el: Element, where: JingleCodecLocation): RtpDescription {
  const media = (el.attrs["media"] ?? "").trim();
  if (media === "") throw new JingleCodecError("invalid-attribute", "<description/> lacks 'media' (XEP-0167 §4)", where);
  // RFC 4566 §5.14: the media of an m= line is a token.
  if (!/^\w+$/.test(media)) throw new JingleCodecError("invalid-attribute", `<description media=${JSON.stringify(media.slice(0, 40))}/> is not a media token`, where);
  const d: RtpDescription = {
    media, payloadTypes: [], headerExtensions: [], bandwidth: [], sources: [], ssrcGroups: [],
    rtcpMux: false, rtcpReducedSize: false, extmapAllowMixed: false, ...readFeedback(el, where),
  };
  for (const c of el.children) {
    if (typeof c === "string") continue;
    const name = c.getName();
    const ns = c.getNS();
    const flag = FLAG_ROWS.find((f) => f.element === name && f.ns === ns);
    if (flag) d[flag.model] = true;
    else if (ns === NS_JINGLE_RTP && name === "payload-type") d.payloadTypes.push(readPayloadType(c, where));
    else if (ns === NS_JINGLE_RTP && name === "bandwidth") d.bandwidth.push(readBandwidth(c, where));
    else if (ns === NS_JINGLE_RTP_HDREXT && name === "rtp-hdrext") d.headerExtensions.push(readHdrext(c, where));
    else if (ns === NS_JINGLE_RTP_SSMA && name === "source") d.sources.push(readSource(c, where));
    else if (ns === NS_JINGLE_RTP_SSMA && name === "ssrc-group") {
      const sources: number[] = [];
      for (const s of elements(c, "source", NS_JINGLE_RTP_SSMA)) sources.push(readSsrc(s, where));
      d.ssrcGroups.push({ semantics: token(c.attrs["semantics"], "ssrc-group semantics", where), sources });
    } else if (ns === NS_JINGLE_RTP_MSID && name === "stream") {
      const stream = (c.attrs["id"] ?? "").trim();
      const track = (c.attrs["track"] ?? "").trim();
      if (stream && track && !/\s/.test(stream + track)) d.msid = { stream, track };
    }
    // <encryption/> (SDES, XEP-0167 §7) and anything else: ignored; SDES is stripped for browsers.
  }
  // No StanzaJS <stream/>: a=msid is the one msid the sources carry (we write it only there, xml-write.ts).
  d.msid ??= msidOfSources(d.sources);
  return d;
}

function readHdrext(el: Element, where: JingleCodecLocation): HeaderExtension {
  const ext = readRows(HDREXT_ROWS, el.attrs, "xml", where, "rtp-hdrext") as unknown as HeaderExtension;
  const senders = el.attrs["senders"]?.trim();
  if (senders !== undefined && senders !== "both") {
    if (!SENDERS.has(senders)) throw new JingleCodecError("invalid-attribute", `rtp-hdrext senders='${senders}'`, where);
    ext.senders = senders as Senders;
  }
  return ext;
}

// RFC 4566 §5.8 bandwidth types sdp-transform (and browsers) know; others are dropped.
const BANDWIDTH_TYPES: ReadonlySet<string> = new Set(["AS", "CT", "RR", "RS", "TIAS"]);

function readBandwidth(el: Element, where: JingleCodecLocation): Bandwidth {
  const type = (el.attrs["type"] ?? "AS").trim();
  if (!BANDWIDTH_TYPES.has(type)) throw new JingleCodecError("invalid-attribute", `bandwidth type ${JSON.stringify(type.slice(0, 40))}`, where);
  const value = readValue({ model: "value", xml: "(text)", sdp: "limit", kind: "int", required: true, max: 0xffff_ffff, xep: "XEP-0167 §4" }, el.getText(), where, "bandwidth");
  if (value === undefined) throw new JingleCodecError("invalid-attribute", "<bandwidth/> has no value", where);
  return { type, value: value as number };
}

function readSsrc(el: Element, where: JingleCodecLocation): number {
  return readValue({ model: "ssrc", xml: "ssrc", sdp: "id", kind: "int", max: 0xffff_ffff, xep: "XEP-0339 §2" }, el.attrs["ssrc"] ?? "x", where, "source") as number;
}

function readSource(el: Element, where: JingleCodecLocation): Source {
  const parameters = readParameters(el, where);
  // a=ssrc:<id> <attribute>[:<value>] (RFC 5576 §4.1): the attribute is a token.
  for (const p of parameters) if (!/^[\w-]+$/.test(p.name)) throw new JingleCodecError("invalid-attribute", `source parameter ${JSON.stringify(p.name.slice(0, 40))}`, where);
  return { ssrc: readSsrc(el, where), parameters };
}

function readTransport(el: Element, where: JingleCodecLocation, strict: boolean): IceTransport {
  const ice = readRows(TRANSPORT_ROWS, el.attrs, "xml", where, "transport") as { ufrag?: string; pwd?: string };
  if (strict && (ice.ufrag === undefined || ice.pwd === undefined)) {
    throw new JingleCodecError("missing-ice-credentials", "<transport/> lacks ufrag or pwd (XEP-0176 §5.2)", where);
  }
  const t: IceTransport = { ...ice, fingerprints: [], candidates: [] };
  for (const c of el.children) {
    if (typeof c === "string") continue;
    const name = c.getName();
    const ns = c.getNS();
    if (name === "candidate" && ns === NS_JINGLE_ICE_UDP) t.candidates.push(readCandidate(c, where));
    else if (name === "fingerprint" && ns === NS_JINGLE_DTLS) t.fingerprints.push(readFingerprint(c, where));
    else if (name === "sctpmap" && ns === NS_JINGLE_DTLS_SCTP) t.sctp = readRows(SCTP_ROWS, c.attrs, "xml", where, "sctpmap") as unknown as NonNullable<IceTransport["sctp"]>;
  }
  if (strict && t.fingerprints.length === 0) throw new JingleCodecError("missing-fingerprint", "<transport/> has no DTLS <fingerprint/> (XEP-0320 §3)", where);
  return t;
}

function readFingerprint(el: Element, where: JingleCodecLocation): Fingerprint {
  const hash = (el.attrs["hash"] ?? "").trim().toLowerCase();
  const value = el.getText().trim(); // XEP-0320's own examples wrap the value in whitespace.
  checkFingerprint(hash, value, where);
  const fp: Fingerprint = { hash, value };
  const setup = el.attrs["setup"]?.trim();
  if (setup !== undefined) {
    if (!SETUPS.has(setup)) throw new JingleCodecError("invalid-attribute", `fingerprint setup='${setup}'`, where);
    fp.setup = setup as DtlsSetup;
  }
  return fp;
}

function readCandidate(el: Element, where: JingleCodecLocation): IceCandidate {
  const attrs = el.attrs;
  // Monal writes rel_port/rel_addr (INTEROP: Transport).
  const source = attrs["rel_port"] !== undefined || attrs["rel_addr"] !== undefined
    ? { ...attrs, "rel-port": attrs["rel-port"] ?? attrs["rel_port"], "rel-addr": attrs["rel-addr"] ?? attrs["rel_addr"] }
    : attrs;
  const read = readRows(CANDIDATE_ROWS, source, "xml", where, "candidate") as unknown as Omit<IceCandidate, "id">;
  const id = attrs["id"]?.trim();
  return { ...read, id: id ? id : candidateId(read) };
}

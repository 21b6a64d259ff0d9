// The codec's intermediate model: a Jingle session description as typed data, shaped after the
// XEPs rather than after SDP, so the session layer can read media, ICE credentials and
// fingerprints without touching XML or SDP text.

/** XEP-0166 §7.1: the two parties of a session. */
export type JingleRole = "initiator" | "responder";
/** XEP-0166 §7.3 `senders`, relative to initiator/responder (not to the local side). */
export type Senders = "both" | "initiator" | "responder" | "none";
/** SDP direction (RFC 3264 §5.1), relative to the author of the SDP. */
export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";
/** DTLS role offered or chosen (RFC 4145 §4, XEP-0320 §3). */
export type DtlsSetup = "actpass" | "active" | "passive" | "holdconn";

export interface JingleSession {
  contents: JingleContent[];
  /** XEP-0338 groups, e.g. BUNDLE; empty when the peer bundles nothing (Dino). */
  groups: ContentGroup[];
}

export interface ContentGroup {
  semantics: string;
  contents: string[];
}

/** XEP-0166 §7.3 <content/>: one SDP m-line; `name` is the SDP mid. */
export interface JingleContent {
  name: string;
  creator: JingleRole;
  senders: Senders;
  /** XEP-0167 RTP description; absent for a WebRTC data channel (XEP-0343 puts it all in the transport). */
  description?: RtpDescription;
  transport?: IceTransport;
}

/** XEP-0167 §4 <description xmlns='urn:xmpp:jingle:apps:rtp:1'/>. */
export interface RtpDescription {
  media: string;
  payloadTypes: PayloadType[];
  /** XEP-0293 §4 feedback valid for every payload type (`a=rtcp-fb:*`). */
  feedback: RtcpFeedback[];
  trrInt?: number;
  headerExtensions: HeaderExtension[];
  /** XEP-0294 §3 / RFC 8285 §6 `a=extmap-allow-mixed`. */
  extmapAllowMixed: boolean;
  /** XEP-0167 §5 <rtcp-mux/>. */
  rtcpMux: boolean;
  /** XEP-0167 §5 <rtcp-reduced-size/> (RFC 5506). */
  rtcpReducedSize: boolean;
  /** XEP-0167 §4 <bandwidth type='AS'>…</bandwidth>. */
  bandwidth: Bandwidth[];
  /** XEP-0339 §2.1 sources with their `a=ssrc` attributes. */
  sources: Source[];
  /** XEP-0339 §2.2 `a=ssrc-group` (FID, SIM, FEC-FR…). */
  ssrcGroups: SsrcGroup[];
  /** RFC 8830 `a=msid`: a msid parameter of every source, and StanzaJS's <stream/> when no source says it (xml-write.ts). */
  msid?: MediaStreamId;
}

export interface PayloadType {
  id: number;
  name?: string;
  clockrate?: number;
  channels?: number;
  /** XEP-0167 §4: ptime and maxptime are payload-type attributes in Jingle, media-level in SDP. */
  ptime?: number;
  maxptime?: number;
  parameters: Parameter[];
  feedback: RtcpFeedback[];
  trrInt?: number;
}

/** An fmtp parameter. `value` undefined: a nameless token such as RED's `111/111`. */
export interface Parameter {
  name: string;
  value?: string;
}

export interface RtcpFeedback {
  type: string;
  subtype?: string;
}

export interface HeaderExtension {
  id: number;
  uri: string;
  /** XEP-0294 §3: absent means both. */
  senders?: Senders;
}

export interface Bandwidth {
  type: string;
  value: number;
}

export interface Source {
  ssrc: number;
  parameters: Parameter[];
}

export interface SsrcGroup {
  semantics: string;
  sources: number[];
}

export interface MediaStreamId {
  stream: string;
  track: string;
}

/** XEP-0176 §5 <transport xmlns='urn:xmpp:jingle:transports:ice-udp:1'/>. */
export interface IceTransport {
  ufrag?: string;
  pwd?: string;
  fingerprints: Fingerprint[];
  candidates: IceCandidate[];
  /** XEP-0343 <sctpmap/>: present only on a data channel content. */
  sctp?: SctpMap;
}

/** XEP-0320 §3 <fingerprint hash setup>value</fingerprint>. */
export interface Fingerprint {
  hash: string;
  setup?: DtlsSetup;
  value: string;
}

/** XEP-0176 §5.3 <candidate/>; attribute names as in the XEP, camel-cased. */
export interface IceCandidate {
  foundation: string;
  component: number;
  protocol: string;
  priority: number;
  ip: string;
  port: number;
  type: string;
  generation: number;
  network: number;
  id: string;
  relAddr?: string;
  relPort?: number;
  tcptype?: string;
}

export interface SctpMap {
  port: number;
  protocol: string;
  streams?: number;
  maxMessageSize?: number;
}

export function otherRole(role: JingleRole): JingleRole {
  return role === "initiator" ? "responder" : "initiator";
}

/**
 * SDP direction → Jingle senders. `author` is the party that wrote the SDP: its `sendonly`
 * means the author sends (XEP-0167 §5 table; StanzaJS `directionToSenders`).
 */
export function directionToSenders(author: JingleRole, direction: Direction): Senders {
  switch (direction) {
    case "sendrecv":
      return "both";
    case "inactive":
      return "none";
    case "sendonly":
      return author;
    case "recvonly":
      return otherRole(author);
  }
}

/** Jingle senders → SDP direction as written by `author`. */
export function sendersToDirection(author: JingleRole, senders: Senders): Direction {
  switch (senders) {
    case "both":
      return "sendrecv";
    case "none":
      return "inactive";
    default:
      return senders === author ? "sendonly" : "recvonly";
  }
}

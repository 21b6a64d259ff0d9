// The one table of the codec (cf. sdp-transform's grammar.js): for every SDP attribute that has a
// Jingle form, the sdp-transform field, the model field and the Jingle XML attribute or element,
// with the XEP section that defines the mapping. sdp-read/sdp-write and xml-read/xml-write all
// walk these rows, so a mapping is added or fixed in exactly one place.
import { JingleCodecError, type JingleCodecLocation } from "./errors.js";
import { hasForbiddenChars } from "./limits.js";
import {
  NS_JINGLE_RTP,
  NS_JINGLE_RTP_HDREXT,
} from "../namespaces.js";

/** How a value is normalised on the way in (both from SDP and from XML). */
export type ValueKind = "string" | "int" | "lower";

export interface AttrRow {
  /** Field of the model object. */
  model: string;
  /** Attribute of the Jingle element. */
  xml: string;
  /** Field of the sdp-transform object. */
  sdp: string;
  kind: ValueKind;
  /** Absent in the XML → error (the XEP marks it REQUIRED and we cannot default it). */
  required?: boolean;
  /** Default when absent on input (XEP-0176 lets generation/network default to 0). */
  fallback?: string | number;
  /** Largest valid integer (the field's width in its RFC); larger is invalid-attribute. */
  max?: number;
  xep: string;
}

// Widths: RFC 8445 component 1–256; ports 16 bits; an RTP payload type 7 bits (RFC 3550 §5.1);
// an RFC 8285 extension id at most 255; RTP clock rates 32 bits. Priority is left unbounded:
// XEP-0176's own transport-info example carries 21149780477, past RFC 8445's 32 bits.
const U32 = 0xffff_ffff;

/** XEP-0176 §5.3 <candidate/> ⇄ RFC 8839 §5.1 a=candidate (sdp-transform `candidates[]`). */
export const CANDIDATE_ROWS: readonly AttrRow[] = [
  { model: "foundation", xml: "foundation", sdp: "foundation", kind: "string", required: true, xep: "XEP-0176 §5.3" },
  { model: "component", xml: "component", sdp: "component", kind: "int", required: true, max: 256, xep: "XEP-0176 §5.3" },
  // Firefox writes UDP/TCP upper-case; XEP-0176 examples use lower case.
  { model: "protocol", xml: "protocol", sdp: "transport", kind: "lower", required: true, xep: "XEP-0176 §5.3" },
  { model: "priority", xml: "priority", sdp: "priority", kind: "int", required: true, xep: "XEP-0176 §5.3" },
  { model: "ip", xml: "ip", sdp: "ip", kind: "string", required: true, xep: "XEP-0176 §5.3" },
  { model: "port", xml: "port", sdp: "port", kind: "int", required: true, max: 65535, xep: "XEP-0176 §5.3" },
  { model: "type", xml: "type", sdp: "type", kind: "lower", required: true, xep: "XEP-0176 §5.3" },
  // StanzaJS omits generation and id; XEP-0176 requires them, so we default on input and always emit.
  { model: "generation", xml: "generation", sdp: "generation", kind: "int", fallback: 0, xep: "XEP-0176 §5.3" },
  { model: "network", xml: "network", sdp: "network-id", kind: "int", fallback: 0, xep: "XEP-0176 §5.3" },
  { model: "relAddr", xml: "rel-addr", sdp: "raddr", kind: "string", xep: "XEP-0176 §5.3" },
  { model: "relPort", xml: "rel-port", sdp: "rport", kind: "int", max: 65535, xep: "XEP-0176 §5.3" },
  { model: "tcptype", xml: "tcptype", sdp: "tcptype", kind: "lower", xep: "XEP-0176 §5.3, RFC 6544" },
];

/** XEP-0167 §4 <payload-type/> ⇄ a=rtpmap (sdp-transform `rtp[]`). */
export const PAYLOAD_ROWS: readonly AttrRow[] = [
  { model: "id", xml: "id", sdp: "payload", kind: "int", required: true, max: 127, xep: "XEP-0167 §4" },
  { model: "name", xml: "name", sdp: "codec", kind: "string", xep: "XEP-0167 §4" },
  { model: "clockrate", xml: "clockrate", sdp: "rate", kind: "int", max: U32, xep: "XEP-0167 §4" },
  { model: "channels", xml: "channels", sdp: "encoding", kind: "int", max: 255, xep: "XEP-0167 §4" },
];

/** XEP-0294 §3 <rtp-hdrext/> ⇄ RFC 8285 a=extmap (sdp-transform `ext[]`); senders is role-relative. */
export const HDREXT_ROWS: readonly AttrRow[] = [
  { model: "id", xml: "id", sdp: "value", kind: "int", required: true, max: 255, xep: "XEP-0294 §3" },
  { model: "uri", xml: "uri", sdp: "uri", kind: "string", required: true, xep: "XEP-0294 §3" },
];

/** XEP-0293 §3 <rtcp-fb/> ⇄ RFC 4585 a=rtcp-fb (sdp-transform `rtcpFb[]`). */
export const FEEDBACK_ROWS: readonly AttrRow[] = [
  { model: "type", xml: "type", sdp: "type", kind: "string", required: true, xep: "XEP-0293 §3" },
  { model: "subtype", xml: "subtype", sdp: "subtype", kind: "string", xep: "XEP-0293 §3" },
];

/** XEP-0176 §5.2 <transport ufrag pwd/> ⇄ RFC 8839 a=ice-ufrag / a=ice-pwd. */
export const TRANSPORT_ROWS: readonly AttrRow[] = [
  { model: "ufrag", xml: "ufrag", sdp: "iceUfrag", kind: "string", xep: "XEP-0176 §5.2" },
  { model: "pwd", xml: "pwd", sdp: "icePwd", kind: "string", xep: "XEP-0176 §5.2" },
];

/** XEP-0343 §4.2 <sctpmap/> ⇄ a=sctp-port + a=max-message-size (RFC 8841), or legacy a=sctpmap. */
export const SCTP_ROWS: readonly AttrRow[] = [
  { model: "port", xml: "number", sdp: "sctpPort", kind: "int", required: true, max: 65535, xep: "XEP-0343 §4.2" },
  { model: "protocol", xml: "protocol", sdp: "app", kind: "string", fallback: "webrtc-datachannel", xep: "XEP-0343 §4.2" },
  { model: "streams", xml: "streams", sdp: "streams", kind: "int", max: 65535, xep: "XEP-0343 §4.2" },
  // Not in XEP-0343 (which predates RFC 8841); carried as an extra attribute so browsers keep it.
  { model: "maxMessageSize", xml: "max-message-size", sdp: "maxMessageSize", kind: "int", xep: "RFC 8841 §6" },
];

/** Flags of the RTP description: an empty element in Jingle, a value-less attribute in SDP. */
export interface FlagRow {
  model: "rtcpMux" | "rtcpReducedSize" | "extmapAllowMixed";
  element: string;
  ns: string;
  sdp: "rtcpMux" | "rtcpRsize" | "extmapAllowMixed";
  xep: string;
}

export const FLAG_ROWS: readonly FlagRow[] = [
  { model: "rtcpMux", element: "rtcp-mux", ns: NS_JINGLE_RTP, sdp: "rtcpMux", xep: "XEP-0167 §5, RFC 5761" },
  { model: "rtcpReducedSize", element: "rtcp-reduced-size", ns: NS_JINGLE_RTP, sdp: "rtcpRsize", xep: "XEP-0167 §5, RFC 5506" },
  { model: "extmapAllowMixed", element: "extmap-allow-mixed", ns: NS_JINGLE_RTP_HDREXT, sdp: "extmapAllowMixed", xep: "XEP-0294 §3, RFC 8285 §6" },
];

/**
 * sdp-transform media fields that the codec maps (through the rows above or structurally), or
 * drops on purpose. Anything else found in a media section is reported as unmapped.
 */
export const HANDLED_MEDIA_FIELDS: ReadonlySet<string> = new Set([
  "type", "port", "protocol", "payloads", "mid", "direction", // XEP-0166 content, senders
  "rtp", "fmtp", "rtcpFb", "rtcpFbTrrInt", "ptime", "maxptime", "bandwidth", // XEP-0167 / 0293
  "ext", "extmapAllowMixed", "rtcpMux", "rtcpRsize", // XEP-0294, XEP-0167 §5
  "ssrcs", "ssrcGroups", "msid", // XEP-0339
  "iceUfrag", "icePwd", "iceOptions", "candidates", "endOfCandidates", // XEP-0176
  "fingerprint", "setup", // XEP-0320
  "sctpPort", "maxMessageSize", "sctpmap", // XEP-0343
  // Regenerated on the way back: JSEP §5.2.1 fixes c=, the port and a=rtcp for ICE media.
  "connection", "rtcp",
  // SDES keys (RFC 4568) are never sent next to DTLS-SRTP: browsers reject them (INTEROP).
  "crypto",
]);

export const HANDLED_SESSION_FIELDS: ReadonlySet<string> = new Set([
  "version", "origin", "name", "timing", "media", "groups", "msidSemantic",
  "fingerprint", "setup", "iceUfrag", "icePwd", "iceOptions", "extmapAllowMixed", "connection", "direction",
]);

/** RFC 8122 §5 fingerprint: hash-func token and hex pairs joined by ':' (XML and SDP alike). */
export function checkFingerprint(hash: string, value: string, where: JingleCodecLocation): void {
  if (hash === "" || value === "") throw new JingleCodecError("missing-fingerprint", "fingerprint lacks hash or value", where);
  if (!/^[\w-]+$/.test(hash) || !/^[0-9a-f]{2}(:[0-9a-f]{2})*$/i.test(value)) {
    throw new JingleCodecError("invalid-attribute", "fingerprint is not hash-func + hex pairs (RFC 8122 §5)", where);
  }
}

/** Reads one value from XML or SDP into the model's type; `undefined` stays undefined. */
export function readValue(
  row: AttrRow,
  raw: string | number | undefined,
  where: JingleCodecLocation,
  element: string,
): string | number | undefined {
  if (raw === undefined || raw === "") return row.fallback;
  const text = typeof raw === "string" ? raw.trim() : raw;
  switch (row.kind) {
    case "string":
    case "lower": {
      // Every string row is one token of an SDP line: whitespace or a control character inside
      // would split the line or inject another (a=candidate:… 1.2.3.4\r\na=fingerprint:…).
      const token = String(text);
      if (token === "" || /\s/.test(token) || hasForbiddenChars(token)) {
        throw new JingleCodecError("invalid-attribute", `<${element}> attribute '${row.xml}' is not a single token: ${JSON.stringify(token.slice(0, 40))}`, where);
      }
      return row.kind === "lower" ? token.toLowerCase() : token;
    }
    case "int": {
      const n = typeof text === "number" ? text : /^\d+$/.test(text) ? Number(text) : NaN;
      if (!Number.isSafeInteger(n) || n < 0 || (row.max !== undefined && n > row.max)) {
        const range = row.max === undefined ? "a non-negative integer" : `an integer from 0 to ${row.max}`;
        throw new JingleCodecError("invalid-attribute", `<${element}> attribute '${row.xml}' is not ${range}: '${String(text).slice(0, 40)}'`, where);
      }
      return n;
    }
  }
}

/** Copies the rows' fields from a source record (XML attrs or sdp-transform object) into a model object. */
export function readRows(
  rows: readonly AttrRow[],
  source: Readonly<Record<string, unknown>>,
  side: "xml" | "sdp",
  where: JingleCodecLocation,
  element: string,
): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const row of rows) {
    const raw = source[side === "xml" ? row.xml : row.sdp];
    const value = readValue(row, typeof raw === "number" || typeof raw === "string" ? raw : undefined, where, element);
    if (value === undefined) {
      if (row.required) {
        throw new JingleCodecError("invalid-attribute", `<${element}> lacks required '${side === "xml" ? row.xml : row.sdp}' (${row.xep})`, where);
      }
      continue;
    }
    out[row.model] = value;
  }
  return out;
}

/** Writes the rows' fields of a model object as XML attributes or sdp-transform fields. */
export function writeRows(
  rows: readonly AttrRow[],
  model: object,
  side: "xml" | "sdp",
): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const values = model as Record<string, unknown>;
  for (const row of rows) {
    const value = values[row.model];
    if (typeof value === "string" || typeof value === "number") out[side === "xml" ? row.xml : row.sdp] = value;
  }
  return out;
}

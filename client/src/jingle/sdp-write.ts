// JingleSession → SDP text a browser accepts in setRemoteDescription. The sdp-transform object is
// built fresh here (its write() mutates what it is given) and written by sdp-transform.
import { write, type SessionDescription } from "sdp-transform";
import { candidateToSdp } from "./candidate.js";
import { FEEDBACK_ROWS, FLAG_ROWS, HDREXT_ROWS, PAYLOAD_ROWS, SCTP_ROWS, TRANSPORT_ROWS, writeRows } from "./mapping.js";
import {
  sendersToDirection, type DtlsSetup, type IceTransport, type JingleContent, type JingleRole, type JingleSession,
  type Parameter, type RtcpFeedback, type RtpDescription,
} from "./model.js";
import { isAuxiliaryFormat } from "./feedback.js";

export interface SdpWriteOptions {
  /** Role of the party the SDP describes (the peer, for a remote description). */
  author: JingleRole;
  /** The Jingle action was an answer (session-accept…): never `setup:actpass` (INTEROP, RFC 5763 §5). */
  answer: boolean;
  /** o= session id: digits only (RFC 4566 §5.2). */
  sessionId: string;
  sessionVersion: number;
}

type Media = SessionDescription["media"][number];
type Writable = Record<string, unknown>;

export function writeSdp(session: JingleSession, opts: SdpWriteOptions): string {
  const sdp: Writable = {
    version: 0,
    origin: { username: "-", sessionId: opts.sessionId, sessionVersion: opts.sessionVersion, netType: "IN", ipVer: 4, address: "127.0.0.1" },
    name: "-",
    timing: { start: 0, stop: 0 },
    msidSemantic: { semantic: "WMS", token: "*" },
    media: session.contents.map((c) => writeMedia(c, opts)),
  };
  // XEP-0338: no <group/> means no BUNDLE (Dino); the browser then keeps one transport per m-line.
  if (session.groups.length) sdp["groups"] = session.groups.map((g) => ({ type: g.semantics, mids: g.contents.join(" ") }));
  return write(sdp as unknown as SessionDescription);
}

function writeMedia(content: JingleContent, opts: SdpWriteOptions): Media {
  const m: Writable = content.description
    ? writeRtp(content.description, content.senders, opts.author)
    : {
        type: "application",
        port: 9,
        protocol: "UDP/DTLS/SCTP",
        payloads: content.transport?.sctp?.protocol ?? "webrtc-datachannel",
        rtp: [],
        fmtp: [],
      };
  m["connection"] = { version: 4, ip: "0.0.0.0" };
  m["mid"] = content.name;
  if (content.transport) writeTransport(m, content.transport, opts);
  return m as unknown as Media;
}

/** A payload type's own feedback, then the description's that it does not already list. */
function withFeedback(own: readonly RtcpFeedback[], shared: readonly RtcpFeedback[]): RtcpFeedback[] {
  const key = (fb: RtcpFeedback) => `${fb.type} ${fb.subtype ?? ""}`;
  const seen = new Set(own.map(key));
  return [...own, ...shared.filter((fb) => !seen.has(key(fb)))];
}

function fmtpConfig(params: Parameter[]): string {
  return params.map((p) => (p.value === undefined ? p.name : `${p.name}=${p.value}`)).join(";");
}

function writeRtp(d: RtpDescription, senders: JingleContent["senders"], author: JingleRole): Writable {
  const rtp: Writable[] = [];
  const fmtp: Writable[] = [];
  const rtcpFb: Writable[] = [];
  const rtcpFbTrrInt: Writable[] = [];
  let ptime: number | undefined;
  let maxptime: number | undefined;
  // Description-level feedback (XEP-0293 §3) is written on each media payload type rather than
  // as a=rtcp-fb:*: Firefox applies `*` to RED and ULPFEC too and then answers with feedback on
  // them, which the original per-codec SDP never had (see feedback.ts). `*` remains only for a
  // description made of auxiliary formats alone.
  const spread = d.payloadTypes.some((pt) => !isAuxiliaryFormat(pt));
  for (const pt of d.payloadTypes) {
    // A rtpmap needs a clock rate; static payload types (RFC 3551 §6) may go without a rtpmap,
    // as XEP-0167's own example writes <payload-type id='18' name='G729'/>.
    if (pt.name !== undefined && pt.clockrate !== undefined) rtp.push(writeRows(PAYLOAD_ROWS, pt, "sdp"));
    if (pt.parameters.length) fmtp.push({ payload: pt.id, config: fmtpConfig(pt.parameters) });
    const shared = spread && !isAuxiliaryFormat(pt);
    for (const fb of shared ? withFeedback(pt.feedback, d.feedback) : pt.feedback) rtcpFb.push({ payload: pt.id, ...writeRows(FEEDBACK_ROWS, fb, "sdp") });
    const trrInt = pt.trrInt ?? (shared ? d.trrInt : undefined);
    if (trrInt !== undefined) rtcpFbTrrInt.push({ payload: pt.id, value: trrInt });
    ptime ??= pt.ptime;
    maxptime ??= pt.maxptime;
  }
  if (!spread) {
    for (const fb of d.feedback) rtcpFb.push({ payload: "*", ...writeRows(FEEDBACK_ROWS, fb, "sdp") });
    if (d.trrInt !== undefined) rtcpFbTrrInt.push({ payload: "*", value: d.trrInt });
  }
  const m: Writable = {
    type: d.media,
    port: 9,
    protocol: "UDP/TLS/RTP/SAVPF",
    payloads: d.payloadTypes.map((p) => p.id).join(" "),
    rtcp: { port: 9, netType: "IN", ipVer: 4, address: "0.0.0.0" },
    direction: sendersToDirection(author, senders),
    rtp,
    fmtp,
    ext: d.headerExtensions.map((ext) => ({
      ...writeRows(HDREXT_ROWS, ext, "sdp"),
      ...(ext.senders && ext.senders !== "both" ? { direction: sendersToDirection(author, ext.senders) } : {}),
    })),
  };
  if (rtcpFb.length) m["rtcpFb"] = rtcpFb;
  if (rtcpFbTrrInt.length) m["rtcpFbTrrInt"] = rtcpFbTrrInt;
  if (ptime !== undefined) m["ptime"] = ptime;
  if (maxptime !== undefined) m["maxptime"] = maxptime;
  if (d.bandwidth.length) m["bandwidth"] = d.bandwidth.map((b) => ({ type: b.type, limit: b.value }));
  const flagValues = { rtcpMux: "rtcp-mux", rtcpRsize: "rtcp-rsize", extmapAllowMixed: "extmap-allow-mixed" } as const;
  for (const flag of FLAG_ROWS) if (d[flag.model]) m[flag.sdp] = flagValues[flag.sdp];
  // Browsers require rtcp-mux (INTEROP: Description); Dino sends <rtcp-mux/> anyway.
  m["rtcpMux"] = "rtcp-mux";
  if (d.msid) m["msid"] = `${d.msid.stream} ${d.msid.track}`;
  if (d.sources.length) {
    m["ssrcs"] = withGroupMembers(d).flatMap((s) =>
      s.parameters.map((p) => (p.value === undefined ? { id: s.ssrc, attribute: p.name } : { id: s.ssrc, attribute: p.name, value: p.value })),
    );
  }
  if (d.ssrcGroups.length) m["ssrcGroups"] = d.ssrcGroups.map((g) => ({ semantics: g.semantics, ssrcs: g.sources.join(" ") }));
  return m;
}

function writeTransport(m: Writable, t: IceTransport, opts: SdpWriteOptions): void {
  Object.assign(m, writeRows(TRANSPORT_ROWS, t, "sdp"));
  // Jingle ICE always trickles (XEP-0176 §2), so the browser may too.
  m["iceOptions"] = "trickle";
  const fp = t.fingerprints[0];
  if (fp) {
    m["fingerprint"] = { type: fp.hash, hash: fp.value };
    let setup: DtlsSetup = fp.setup ?? (opts.answer ? "active" : "actpass");
    if (opts.answer && setup === "actpass") setup = "active";
    m["setup"] = setup;
  }
  if (t.sctp) {
    const sctp = writeRows(SCTP_ROWS, t.sctp, "sdp");
    m["sctpPort"] = sctp["sctpPort"];
    if (sctp["maxMessageSize"] !== undefined) m["maxMessageSize"] = sctp["maxMessageSize"];
  }
  // With rtcp-mux (always, above) component 2 is meaningless: Dino still sends it (INTEROP).
  const candidates = t.candidates.filter((c) => c.component === 1).map(candidateToSdp);
  if (candidates.length) m["candidates"] = candidates;
}

/**
 * StanzaJS's session-accept lists one <source/> per content but an FID group naming a second
 * ssrc (its applyStreamsCompatibility() only runs for session-initiate), and libwebrtc refuses
 * a group member without a=ssrc lines ("Failed to add remote stream ssrc"). Declare such members
 * with the cname (and msid) of the group's first declared source, as StanzaJS itself does for
 * its session-initiate.
 */
function withGroupMembers(d: RtpDescription): RtpDescription["sources"] {
  const sources = [...d.sources];
  const known = new Set(sources.map((s) => s.ssrc));
  for (const group of d.ssrcGroups) {
    const model = sources.find((s) => group.sources.includes(s.ssrc));
    if (!model) continue;
    for (const ssrc of group.sources) {
      if (known.has(ssrc)) continue;
      known.add(ssrc);
      sources.push({ ssrc, parameters: model.parameters.filter((p) => p.name === "cname" || p.name === "msid") });
    }
  }
  return sources;
}

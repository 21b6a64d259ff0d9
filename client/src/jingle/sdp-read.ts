// SDP text → JingleSession. Parsing is sdp-transform's; this module only maps its fields onto the
// model through the rows of mapping.ts and applies the interop rules of INTEROP.md.
import { parse, type SessionDescription } from "sdp-transform";
import { candidateFromSdp, keepCandidate, type CandidateFilter } from "./candidate.js";
import { JingleCodecError } from "./errors.js";
import {
  FEEDBACK_ROWS, FLAG_ROWS, HANDLED_MEDIA_FIELDS, HANDLED_SESSION_FIELDS, HDREXT_ROWS,
  PAYLOAD_ROWS, SCTP_ROWS, TRANSPORT_ROWS, checkFingerprint, readRows, readValue,
} from "./mapping.js";
import {
  directionToSenders, type Direction, type DtlsSetup, type Fingerprint, type IceTransport,
  type JingleContent, type JingleRole, type JingleSession, type Parameter, type PayloadType,
  type RtcpFeedback, type RtpDescription, type Source,
} from "./model.js";
import { capCount, checkSessionLimits, exceeded, hasForbiddenChars, LIMITS } from "./limits.js";
import { checkContentName } from "./names.js";

export interface SdpReadOptions extends CandidateFilter {
  /** Role of the party that wrote the SDP (yours, for a local description). */
  role: JingleRole;
  /** `creator` of every content (XEP-0166 §7.3); defaults to the initiator. */
  creator?: JingleRole;
  /** The SDP is an answer: `setup:actpass` becomes `active` (RFC 5763 §5, INTEROP). */
  answer?: boolean;
}

export interface SdpReadResult {
  session: JingleSession;
  /** SDP attributes with no Jingle form, e.g. "a=rid (content '1')". */
  unmapped: string[];
}

type Media = SessionDescription["media"][number];
type Loose = Readonly<Record<string, unknown>>;

const SDP_LINE = /^[a-z]=/;

/** Rejects text that is not SDP before sdp-transform silently skips it, naming the line. */
function checkLines(sdp: string): void {
  if (typeof sdp !== "string" || sdp.trim() === "") throw new JingleCodecError("malformed-sdp", "empty input");
  if (sdp.length > LIMITS.sdpChars) throw exceeded("characters of SDP", LIMITS.sdpChars);
  const lines = sdp.split(/\r?\n/);
  let sawVersion = false;
  let sawMedia = false;
  let media = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] ?? "").trim();
    if (line === "") continue;
    if (!SDP_LINE.test(line)) throw new JingleCodecError("malformed-sdp", `not an SDP line: '${line.slice(0, 60)}'`, { line: i + 1 });
    // RFC 4566 §5: a line is text up to CRLF; a stray CR or control character would travel
    // into the Jingle we send, where XML 1.0 forbids it.
    if (hasForbiddenChars(line)) throw new JingleCodecError("malformed-sdp", "control or non-XML character", { line: i + 1 });
    if (line.startsWith("m=")) capCount(++media, LIMITS.contents, "m= sections", { line: i + 1 });
    if (!sawVersion && !line.startsWith("v=")) throw new JingleCodecError("malformed-sdp", "SDP must start with v=0", { line: i + 1 });
    sawVersion = true;
    if (line.startsWith("m=")) sawMedia = true;
  }
  if (!sawMedia) throw new JingleCodecError("malformed-sdp", "no m= section");
}

export function readSdp(sdp: string, opts: SdpReadOptions): SdpReadResult {
  checkLines(sdp);
  const parsed = parse(sdp);
  const unmapped: string[] = [];
  for (const key of Object.keys(parsed)) if (!HANDLED_SESSION_FIELDS.has(key)) unmapped.push(`session ${key}`);
  const seen = new Set<string>();
  const names = contentNames(parsed.media);
  const contents = parsed.media.map((media, index) => {
    const content = readContent(parsed, media, names[index] ?? "", opts, unmapped);
    if (seen.has(content.name)) throw new JingleCodecError("duplicate-content", "two m= sections share one mid", { content: content.name });
    seen.add(content.name);
    return content;
  });
  const groups = (parsed.groups ?? []).map((g) => ({
    semantics: g.type,
    contents: String(g.mids).trim().split(/\s+/).filter((m) => m !== ""),
  }));
  const session = { contents, groups };
  checkSessionLimits(session);
  return { session, unmapped };
}

/**
 * Content names, one per m= section: its a=mid (sdp-transform turns a=mid:0 into the number 0,
 * CONVENTIONS pitfalls). An SDP without a=mid (RFC 4566/3264 examples, FreeSWITCH, endpoints older
 * than BUNDLE) gets the media kind, as Dino and lib-jitsi-meet name their contents: `audio`,
 * `video`, then `video-1`… for a second one, never a name another section already has. Written back
 * as a=mid, so the SDP the peer's answer becomes names the same contents.
 */
export function contentNames(media: readonly { mid?: string | number; type: string }[]): string[] {
  const taken = new Set(media.filter((m) => m.mid !== undefined).map((m) => String(m.mid).trim()));
  return media.map((m) => {
    if (m.mid !== undefined) return String(m.mid).trim();
    const kind = String(m.type ?? "").trim() || "media";
    let name = kind;
    for (let n = 1; taken.has(name); n++) name = `${kind}-${n}`;
    taken.add(name);
    return name;
  });
}

function readContent(
  session: SessionDescription,
  media: Media,
  name: string,
  opts: SdpReadOptions,
  unmapped: string[],
): JingleContent {
  checkContentName(name, true);
  const where = { content: name };
  for (const key of Object.keys(media)) {
    if (key === "invalid") {
      for (const inv of media.invalid ?? []) unmapped.push(`a=${inv.value} (content '${name}')`);
    } else if (!HANDLED_MEDIA_FIELDS.has(key)) unmapped.push(`${key} (content '${name}')`);
  }
  const direction = (media.direction ?? (session as unknown as Loose)["direction"] ?? "sendrecv") as Direction;
  // sdp-transform leaves fields out of an m= line it cannot read (a truncated one).
  const protocol = typeof media.protocol === "string" ? media.protocol : "";
  const isSctp = protocol.includes("SCTP");
  const isRtp = protocol.includes("RTP");
  if (!isSctp && !isRtp) {
    throw new JingleCodecError("unsupported-application", `m=${String(media.type)} ${protocol} is neither RTP nor a data channel`, where);
  }
  const description = isRtp ? readDescription(session, media, name, opts.role) : undefined;
  const transport = readTransport(session, media, name, opts, description?.rtcpMux ?? true);
  if (isSctp) transport.sctp = readSctp(media, name);
  const content: JingleContent = {
    name,
    creator: opts.creator ?? "initiator",
    senders: directionToSenders(opts.role, direction),
    transport,
  };
  if (description) content.description = description;
  return content;
}

function readDescription(session: SessionDescription, media: Media, name: string, role: JingleRole): RtpDescription {
  const where = { content: name };
  const byPt = <T extends { payload: string | number }>(list: T[] | undefined) => {
    const map = new Map<string, T[]>();
    for (const item of list ?? []) {
      const key = String(item.payload);
      const bucket = map.get(key);
      if (bucket) bucket.push(item);
      else map.set(key, [item]);
    }
    return map;
  };
  const rtpmaps = byPt(media.rtp);
  const fmtps = byPt(media.fmtp);
  const fbs = byPt(media.rtcpFb);
  const trrs = byPt(media.rtcpFbTrrInt);
  const pts = String(media.payloads ?? "").trim().split(/\s+/).filter((p) => p !== "");
  const payloadTypes = pts.map((pt): PayloadType => {
    const rtpmap = rtpmaps.get(pt)?.[0] ?? { payload: pt };
    const base = readRows(PAYLOAD_ROWS, rtpmap as Loose, "sdp", where, "payload-type") as unknown as PayloadType;
    const payload: PayloadType = { ...base, parameters: [], feedback: [] };
    if (payload.name?.toLowerCase() === "opus") payload.channels = 2; // INTEROP: libwebrtc needs opus/48000/2
    for (const fmtp of fmtps.get(pt) ?? []) payload.parameters.push(...parseFmtp(String(fmtp.config ?? "")));
    for (const fb of fbs.get(pt) ?? []) payload.feedback.push(readFeedback(fb, where));
    const trr = trrs.get(pt)?.[0];
    if (trr) payload.trrInt = trr.value;
    if (media.ptime !== undefined) payload.ptime = media.ptime;
    if (media.maxptime !== undefined) payload.maxptime = media.maxptime;
    return payload;
  });
  const m = media as unknown as Loose;
  const s = session as unknown as Loose;
  const description: RtpDescription = {
    media: media.type,
    payloadTypes,
    feedback: (fbs.get("*") ?? []).map((fb) => readFeedback(fb, where)),
    headerExtensions: (media.ext ?? []).map((ext) => {
      const row = readRows(HDREXT_ROWS, ext as Loose, "sdp", where, "rtp-hdrext") as { id: number; uri: string };
      // Firefox writes a=extmap:2/recvonly (RFC 8285 §5): direction → senders (XEP-0294 §3).
      return ext.direction && ext.direction !== "sendrecv"
        ? { ...row, senders: directionToSenders(role, ext.direction as Direction) }
        : row;
    }),
    rtcpMux: false,
    rtcpReducedSize: false,
    extmapAllowMixed: false,
    bandwidth: (media.bandwidth ?? []).map((b) => ({ type: b.type, value: Number(b.limit) })),
    sources: readSources(media, where),
    // sdp-transform gives a one-ssrc group as a number, not a string.
    ssrcGroups: (media.ssrcGroups ?? []).map((g) => ({
      semantics: String(g.semantics),
      sources: String(g.ssrcs ?? "").trim().split(/\s+/).map((id) => readValue({ model: "ssrc", xml: "ssrc", sdp: "ssrcs", kind: "int", required: true, max: 0xffff_ffff, xep: "XEP-0339 §3" }, id, where, "ssrc-group") as number),
    })),
  };
  const trr = trrs.get("*")?.[0];
  if (trr) description.trrInt = trr.value;
  for (const flag of FLAG_ROWS) {
    // XEP-0294 §3: a session-level extmap-allow-mixed applies to every description.
    description[flag.model] = m[flag.sdp] !== undefined || (flag.model === "extmapAllowMixed" && s[flag.sdp] !== undefined);
  }
  if (media.msid) {
    const [stream, track] = String(media.msid).trim().split(/\s+/);
    if (stream && track) description.msid = { stream, track };
  }
  return description;
}

function readFeedback(fb: { type: string; subtype?: string }, where: { content: string }): RtcpFeedback {
  return readRows(FEEDBACK_ROWS, fb as Loose, "sdp", where, "rtcp-fb") as unknown as RtcpFeedback;
}

/** `a=fmtp` config → parameters; tokens without `=` (RED `111/111`, DTMF `0-15`) keep only a name. */
export function parseFmtp(config: string): Parameter[] {
  const out: Parameter[] = [];
  for (const part of config.split(";")) {
    const token = part.trim();
    if (token === "") continue;
    const eq = token.indexOf("=");
    if (eq < 0) out.push({ name: token });
    else out.push({ name: token.slice(0, eq).trim(), value: token.slice(eq + 1).trim() });
  }
  return out;
}

function readSources(media: Media, where: { content: string }): Source[] {
  const sources: Source[] = [];
  const byId = new Map<number, Source>();
  for (const line of media.ssrcs ?? []) {
    const ssrc = readValue({ model: "ssrc", xml: "ssrc", sdp: "id", kind: "int", required: true, max: 0xffff_ffff, xep: "XEP-0339 §2" }, line.id, where, "source");
    if (typeof ssrc !== "number") throw new JingleCodecError("invalid-attribute", "a=ssrc without an ssrc id", where);
    let source = byId.get(ssrc);
    if (!source) {
      source = { ssrc, parameters: [] };
      byId.set(ssrc, source);
      sources.push(source);
    }
    const param: Parameter = { name: String(line.attribute).trim() };
    if (line.value !== undefined) param.value = String(line.value).trim();
    source.parameters.push(param);
  }
  return sources;
}

function readTransport(
  session: SessionDescription,
  media: Media,
  name: string,
  opts: SdpReadOptions,
  rtcpMux: boolean,
): IceTransport {
  const where = { content: name };
  // ICE credentials and the fingerprint may sit at session level (Firefox): copy them down.
  const ice = readRows(TRANSPORT_ROWS, { iceUfrag: media.iceUfrag ?? session.iceUfrag, icePwd: media.icePwd ?? session.icePwd }, "sdp", where, "transport");
  if (ice["ufrag"] === undefined || ice["pwd"] === undefined) {
    throw new JingleCodecError("missing-ice-credentials", "no a=ice-ufrag/a=ice-pwd (XEP-0176 §5.2 requires both)", where);
  }
  const fp = media.fingerprint ?? session.fingerprint;
  if (!fp) throw new JingleCodecError("missing-fingerprint", "no a=fingerprint (XEP-0320 §3)", where);
  let setup = (media.setup ?? session.setup ?? (opts.answer ? "active" : "actpass")) as DtlsSetup;
  if (opts.answer && setup === "actpass") setup = "active";
  const fingerprint: Fingerprint = { hash: String(fp.type ?? "").trim().toLowerCase(), setup, value: String(fp.hash ?? "").trim() };
  checkFingerprint(fingerprint.hash, fingerprint.value, where);
  const candidates = [];
  for (const raw of media.candidates ?? []) {
    const candidate = candidateFromSdp(raw as Loose, where);
    // RTCP rides on component 1 with rtcp-mux (RFC 5761); component 2 would only confuse the peer.
    if (rtcpMux && candidate.component !== 1) continue;
    if (keepCandidate(candidate, opts)) candidates.push(candidate);
  }
  return { ufrag: String(ice["ufrag"]), pwd: String(ice["pwd"]), fingerprints: [fingerprint], candidates };
}

function readSctp(media: Media, name: string) {
  const m = media as Media & { sctpmap?: { sctpmapNumber: number; app: string; maxMessageSize?: number } };
  // Legacy draft-ietf-mmusic-sctp-sdp-05 form: m=application … DTLS/SCTP 5000 + a=sctpmap (XEP-0343).
  const flat = m.sctpmap
    ? { sctpPort: m.sctpmap.sctpmapNumber, app: m.sctpmap.app, streams: m.sctpmap.maxMessageSize, maxMessageSize: m.maxMessageSize }
    : { sctpPort: m.sctpPort, app: String(m.payloads ?? "").trim(), maxMessageSize: m.maxMessageSize };
  return readRows(SCTP_ROWS, flat, "sdp", { content: name }, "sctpmap") as unknown as NonNullable<IceTransport["sctp"]>;
}

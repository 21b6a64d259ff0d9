// XEP-0293 §3: an <rtcp-fb/> (or <rtcp-fb-trr-int/>) child of <description/> applies to every
// payload type, as SDP's `a=rtcp-fb:*` does (RFC 4585 §4.2). Browsers list the same feedback for
// each video codec (five elements × ten codecs in a Chromium 156 offer, the largest part of a
// session-initiate), so writing the common set once at description level shrinks the stanza.
//
// It is not written by default: Dino (xmpp-vala PayloadType.parse, 0.4.2 and its 2026 master)
// and StanzaJS 12 (jingle/sdp/Protocol.ts reads payload.rtcpFeedback only) ignore
// description-level feedback, so a hoisted nack/pli/ccm fir would be lost and the peer's video
// would freeze on packet loss. Conversations (SessionDescription: `a=rtcp-fb:*`), Movim
// (JingletoSDP.php: `a=rtcp-fb:*`) and this codec read it. Hoist only toward a peer known to
// read it: one whose own description carried description-level feedback (see below).
import type { JingleSession, PayloadType, RtcpFeedback, RtpDescription } from "./model.js";

/**
 * Formats that carry no decodable video or audio of their own: retransmission (RFC 4588),
 * redundancy (RFC 2198), FEC (RFC 5109, RFC 8627), comfort noise (RFC 3389) and DTMF (RFC 4733).
 * Browsers give them no feedback, so they neither keep a set from being hoisted nor receive it
 * back when this codec writes SDP (sdp-write.ts). A peer that maps the hoisted set to
 * `a=rtcp-fb:*` (Conversations, Movim) gives it to them too: Chromium's answer is unchanged by
 * that, Firefox's then lists feedback for RED and ULPFEC as well (both checked with this machine's
 * Chromium 156 and Firefox ESR on the Chromium offer fixture).
 */
const AUXILIARY_FORMATS: ReadonlySet<string> = new Set(["rtx", "red", "ulpfec", "flexfec-03", "cn", "telephone-event"]);

export function isAuxiliaryFormat(pt: PayloadType): boolean {
  return AUXILIARY_FORMATS.has(pt.name?.toLowerCase() ?? "");
}

const key = (fb: RtcpFeedback): string => `${fb.type} ${fb.subtype ?? ""}`;

/**
 * Moves the feedback every media payload type (not an auxiliary format) carries to description
 * level, and drops it from the payload types. Hoists nothing with fewer than two media payload
 * types (nothing to save), and keeps every feedback its payload types do not all share.
 */
export function hoistFeedback(d: RtpDescription): RtpDescription {
  const media = d.payloadTypes.filter((pt) => !isAuxiliaryFormat(pt));
  if (media.length < 2) return d;
  const [first, ...rest] = media as [PayloadType, ...PayloadType[]];
  const common = first.feedback.filter((fb) => rest.every((pt) => pt.feedback.some((o) => key(o) === key(fb))));
  const trrInt = first.trrInt !== undefined && rest.every((pt) => pt.trrInt === first.trrInt) && (d.trrInt === undefined || d.trrInt === first.trrInt)
    ? first.trrInt
    : undefined;
  if (common.length === 0 && trrInt === undefined) return d;
  const hoisted = new Set(common.map(key));
  const feedback = [...d.feedback];
  for (const fb of common) if (!feedback.some((o) => key(o) === key(fb))) feedback.push(fb);
  // Auxiliary formats keep their own feedback: the reader gives description-level feedback to
  // media payload types only (sdp-write.ts).
  const payloadTypes = d.payloadTypes.map((pt) => {
    if (isAuxiliaryFormat(pt)) return pt;
    const out: PayloadType = { ...pt, feedback: pt.feedback.filter((fb) => !hoisted.has(key(fb))) };
    if (trrInt !== undefined) delete out.trrInt;
    return out;
  });
  const out: RtpDescription = { ...d, payloadTypes, feedback };
  if (trrInt !== undefined) out.trrInt = trrInt;
  return out;
}

/** `hoistFeedback` on every RTP content of a session. */
export function hoistSessionFeedback(session: JingleSession): JingleSession {
  return {
    ...session,
    contents: session.contents.map((c) => (c.description ? { ...c, description: hoistFeedback(c.description) } : c)),
  };
}

/**
 * True when the peer wrote feedback at description level itself: it then reads it too, so an
 * answer to it (session-accept, content-accept) may be hoisted. No standard disco feature tells
 * it apart: StanzaJS announces the XEP-0293 namespace (plugins/jingle.ts) and still drops
 * description-level feedback; Dino and Conversations do not announce it at all.
 */
export function writesDescriptionFeedback(session: JingleSession): boolean {
  return session.contents.some((c) => (c.description?.feedback.length ?? 0) > 0 || c.description?.trrInt !== undefined);
}

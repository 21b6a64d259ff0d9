// Our session-accept, made from the browser's answer, restates the offered codec parameters where
// they only declare what we want to receive and our decoder takes any value. Dino 0.4.2 compares
// each payload type of an answer with its own offer, parameters included (PayloadType.equals_func),
// and logs "Counterpart's preferred content type doesn't match any of our sent ones" when
// Chromium's answer adds minptime=10 to the Opus it offered with useinbandfec=1 only.
import { hoistSessionFeedback, writesDescriptionFeedback } from "./feedback.js";
import type { JingleContent, JingleSession, Parameter, PayloadType, RtpDescription } from "./model.js";

/**
 * Per codec (lower-case rtpmap name), the fmtp parameters an answer may take from the offer.
 *
 * Opus (RFC 7587 §6.1, §7.1): maxplaybackrate, maxaveragebitrate, stereo, cbr, useinbandfec,
 * usedtx, ptime and maxptime are receive-side: they tell the *other* side how to encode for us, and
 * an Opus decoder must decode any bandwidth, bit rate, channel count, frame size, FEC and DTX
 * (RFC 6716), so the offered values can stand for ours without the browser decoding anything it
 * cannot. minptime is libwebrtc's receive-side hint of the same kind (RFC 4566 §6 ptime family).
 * sprop-stereo and sprop-maxcapturerate describe what the *author* sends, so ours stay. Video
 * codecs are left alone: H.264 profile-level-id/packetization-mode (RFC 6184 §8.2.2) and VP9/AV1
 * profiles describe what our decoder can take, which the offerer's values need not match.
 */
const RECEIVE_SIDE: Readonly<Record<string, ReadonlySet<string>>> = {
  opus: new Set(["maxplaybackrate", "maxaveragebitrate", "stereo", "cbr", "useinbandfec", "usedtx", "ptime", "maxptime", "minptime"]),
};

const lower = (s: string | undefined) => s?.toLowerCase();

/** The same codec under the same payload type (RFC 3264 §6.1: answers keep the offered numbers). */
function samePayload(a: PayloadType, b: PayloadType): boolean {
  return a.id === b.id && a.name !== undefined && lower(a.name) === lower(b.name) && a.clockrate === b.clockrate && (a.channels ?? 1) === (b.channels ?? 1);
}

function alignParameters(ours: readonly Parameter[], offered: readonly Parameter[], receiveSide: ReadonlySet<string>): Parameter[] {
  const isReceiveSide = (p: Parameter) => p.value !== undefined && receiveSide.has(p.name.toLowerCase());
  const fromOffer = new Map(offered.filter(isReceiveSide).map((p) => [p.name.toLowerCase(), p]));
  const out: Parameter[] = [];
  for (const p of ours) {
    if (!isReceiveSide(p)) out.push(p);
    else {
      const theirs = fromOffer.get(p.name.toLowerCase());
      if (theirs) out.push({ ...theirs });
      fromOffer.delete(p.name.toLowerCase());
    }
  }
  for (const p of fromOffer.values()) out.push({ ...p });
  return out;
}

function alignPayload(pt: PayloadType, offered: RtpDescription): PayloadType {
  const receiveSide = RECEIVE_SIDE[lower(pt.name) ?? ""];
  const offer = receiveSide && offered.payloadTypes.find((o) => samePayload(pt, o));
  if (!receiveSide || !offer) return pt;
  const aligned: PayloadType = { ...pt, parameters: alignParameters(pt.parameters, offer.parameters, receiveSide) };
  // XEP-0167's ptime/maxptime attributes are RFC 4566 §6's receive-side a=ptime/a=maxptime.
  for (const key of ["ptime", "maxptime"] as const) {
    if (offer[key] === undefined) delete aligned[key];
    else aligned[key] = offer[key];
  }
  return aligned;
}

function alignContent(content: JingleContent, offer: JingleSession): JingleContent {
  const offered = offer.contents.find((c) => c.name === content.name)?.description;
  if (!content.description || !offered) return content;
  return { ...content, description: { ...content.description, payloadTypes: content.description.payloadTypes.map((pt) => alignPayload(pt, offered)) } };
}

/**
 * The answer (our session-accept or content-accept, read from the browser's local answer) with
 * every accepted payload type restating the offer's receive-side parameters (see RECEIVE_SIDE),
 * and its shared RTCP feedback written once per description when the offerer wrote feedback that
 * way itself, so it reads it (XEP-0293 §3; feedback.ts says why never otherwise).
 * Pure: neither input is changed. Contents and payload types the offer lacks are returned as they are.
 */
export function alignAnswerToOffer(answer: JingleSession, offer: JingleSession): JingleSession {
  const aligned = { ...answer, contents: answer.contents.map((c) => alignContent(c, offer)) };
  return writesDescriptionFeedback(offer) ? hoistSessionFeedback(aligned) : aligned;
}

import type { CallMedia } from "./states.js";

/** One available device of a contact, as presence and disco#info describe it. */
export interface CallableDevice {
  /** Full JID. */
  jid: string;
  /** RFC 6121 §4.7.2.3 presence priority. */
  priority: number;
  audio: boolean;
  video: boolean;
  /** Advertises urn:xmpp:jingle-message:0 (XEP-0353). */
  jmi: boolean;
  /** Advertises urn:xmpp:jingle:apps:grouping:0 (XEP-0338: takes a BUNDLE group). */
  groups?: boolean;
  /**
   * Reads XEP-0293 feedback given once at description level (jingle/feedback.ts): this app,
   * known by its caps node. Dino and StanzaJS would drop it, losing NACK/PLI.
   */
  sharedFeedback?: boolean;
}

/**
 * Where a call goes, decided as Conversations decides it (RtpCapability.jmiSupport(),
 * docs/interop.md "Ringing"): ring the bare JID through XEP-0353 only if every device able to
 * take this call supports JMI; otherwise session-initiate straight to one device. Conversations
 * lets the user pick that device; we take the best: highest priority, then the one that came
 * online last (`devices` in the order they came online). Undefined: no device can take the call.
 */
export function chooseCallTarget(bare: string, devices: readonly CallableDevice[], media: readonly CallMedia[]): string | undefined {
  const capable = devices.filter((d) => d.audio && (!media.includes("video") || d.video));
  if (capable.length === 0) return undefined;
  if (capable.every((d) => d.jmi)) return bare;
  let best = capable[0]!;
  for (const d of capable) if (d.priority >= best.priority) best = d;
  return best.jid;
}

/** How our offer is written for the devices that may answer it. */
export interface OfferShape {
  /**
   * Every content on one transport (PeerOptions.bundle): half the candidates and no second
   * transport to tear down at the answer. Any device that does not group contents (Dino 0.4)
   * needs a transport per content, which only a `balanced` offer gathers.
   */
  bundle: boolean;
  /** Feedback shared by all codecs written once per description (XEP-0293 §3). */
  sharedFeedback: boolean;
}

/** The offer to `target` takes only what each device that may answer it (chooseCallTarget) reads. */
export function offerShape(target: string, devices: readonly CallableDevice[], media: readonly CallMedia[]): OfferShape {
  const answering = target.includes("/") ? devices.filter((d) => d.jid === target) : devices.filter((d) => d.audio && (!media.includes("video") || d.video));
  const all = (has: (d: CallableDevice) => boolean | undefined) => answering.length > 0 && answering.every((d) => has(d) === true);
  return { bundle: all((d) => d.groups), sharedFeedback: all((d) => d.sharedFeedback) };
}

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

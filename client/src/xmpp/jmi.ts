// XEP-0353 v0.6 Jingle Message Initiation: the protocol edge for its messages, read once into
// JmiMessage and written from OutgoingJmi. No session logic.
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { isJingleReason, type JingleReason, type RtpMedia } from "../jingle/index.js";
import { bareJid } from "./connection.js";
import type { ArchivedMessage } from "./mam.js";
import { NS_CARBONS, NS_FORWARD, NS_HINTS, NS_JINGLE, NS_JINGLE_RTP, NS_JMI, NS_RECEIPTS } from "./ns.js";

type CallMedia = RtpMedia;
/** XEP-0353 §3 actions. */
export type JmiAction = "propose" | "ringing" | "proceed" | "accept" | "reject" | "retract" | "finish";
const ACTIONS: readonly JmiAction[] = ["propose", "ringing", "proceed", "reject", "retract", "accept", "finish"];

export interface JmiMessage {
  action: JmiAction;
  /** The JMI id, which becomes the Jingle sid (XEP-0353 §3.1). */
  id: string;
  from: string;
  to: string;
  /** Media proposed (propose only). */
  media: CallMedia[];
  reason?: JingleReason;
  /** Carbon of a message one of our own devices sent (XEP-0280 §6). */
  sentCarbon: boolean;
  /** XEP-0203 delay stamp (ms) when the message was delivered late (offline storage, MAM). */
  delayedAt?: number;
}

/**
 * Reads a JMI message, unwrapping a carbon (XEP-0280) when it came from our own account.
 * Returns undefined for anything else, including carbons forged by others (§11).
 */
export function readJmi(stanza: Element, ownBareJid: string): JmiMessage | undefined {
  let message = stanza;
  let sentCarbon = false;
  const carbon = stanza.getChild("received", NS_CARBONS) ?? stanza.getChild("sent", NS_CARBONS);
  if (carbon) {
    if (stanza.attrs.from !== ownBareJid) return undefined;
    const inner = carbon.getChild("forwarded", NS_FORWARD)?.getChild("message");
    if (!inner) return undefined;
    message = inner;
    sentCarbon = carbon.name === "sent";
  }
  if (message.attrs.type === "error") return undefined;
  const el = message.getChildElements().find((c) => c.getNS() === NS_JMI && (ACTIONS as readonly string[]).includes(c.name));
  const id = el?.attrs.id;
  if (!el || !id) return undefined;
  const media = el
    .getChildren("description", NS_JINGLE_RTP)
    .map((d) => d.attrs.media)
    .filter((m): m is CallMedia => m === "audio" || m === "video");
  const reasonName = el.getChild("reason", NS_JINGLE)?.getChildElements()[0]?.name;
  const stamp = message.getChild("delay", "urn:xmpp:delay")?.attrs.stamp;
  return {
    action: el.name as JmiAction,
    id,
    from: message.attrs.from ?? "",
    to: message.attrs.to ?? "",
    media,
    reason: reasonName && isJingleReason(reasonName) ? reasonName : undefined,
    sentCarbon,
    delayedAt: stamp ? Date.parse(stamp) : undefined,
  };
}

/**
 * Builds a JMI message. All carry a store hint (XEP-0334) so archives keep them for the
 * call history; propose also asks for a receipt, as Conversations does.
 */
export function jmiMessage(
  to: string,
  action: JmiAction,
  id: string,
  options: { media?: readonly CallMedia[]; reason?: JingleReason } = {},
): Element {
  const payload = xml(action, { xmlns: NS_JMI, id });
  if (action === "propose") {
    for (const media of options.media ?? ["audio"]) payload.append(xml("description", { xmlns: NS_JINGLE_RTP, media }));
  }
  if (options.reason) payload.append(xml("reason", { xmlns: NS_JINGLE }, xml(options.reason)));
  return xml(
    "message",
    { to, type: "chat", id: `jmi-${action}-${id}` },
    payload,
    xml("store", { xmlns: NS_HINTS }),
    action === "propose" && xml("request", { xmlns: NS_RECEIPTS }),
  );
}

/** Whether a JMI message came from another device of our own account. */
export function fromOwnAccount(message: JmiMessage, ownBareJid: string): boolean {
  return message.sentCarbon || bareJid(message.from) === ownBareJid;
}

/** A JMI message the call layer sends (XEP-0353 §3); `media` for propose, `reason` where the XEP allows one. */
export interface OutgoingJmi {
  action: JmiAction;
  id: string;
  media?: readonly CallMedia[];
  reason?: JingleReason;
}

export function writeJmi(to: string, jmi: OutgoingJmi): Element {
  return jmiMessage(to, jmi.action, jmi.id, { media: jmi.media, reason: jmi.reason });
}

/** A JMI message seen live or read from the archive; `outgoing`: sent by this account. */
export interface JmiLogEntry {
  message: JmiMessage;
  outgoing: boolean;
  /** When we saw it (live) or when the archive stored it. */
  at: number;
}

/** The JMI messages among archived ones (XEP-0313), stamped with the archive's time. */
export function jmiFromArchive(archived: readonly ArchivedMessage[], ownBareJid: string): JmiLogEntry[] {
  const entries: JmiLogEntry[] = [];
  for (const { message: stanza, stamp } of archived) {
    const message = readJmi(stanza, ownBareJid);
    if (!message) continue;
    entries.push({ message: { ...message, delayedAt: stamp }, outgoing: bareJid(message.from) === ownBareJid, at: stamp });
  }
  return entries;
}

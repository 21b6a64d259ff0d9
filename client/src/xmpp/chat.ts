// The protocol edge for one-to-one chat messages: XEP-0085 chat states, XEP-0184 receipts,
// XEP-0333 displayed markers, XEP-0308 corrections, XEP-0359 ids, XEP-0280 carbons. Reads a
// stanza into ChatEvents and writes outgoing ones; no state, no I/O.
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { bareJid } from "./connection.js";
import {
  NS_CARBONS, NS_CHAT_MARKERS, NS_CHAT_STATES, NS_CORRECTION, NS_DELAY, NS_FORWARD, NS_HINTS, NS_JMI, NS_RECEIPTS, NS_SID,
} from "../namespaces.js";

/** XEP-0085 §2.1 states. */
export type ChatState = "active" | "composing" | "paused" | "inactive" | "gone";
const CHAT_STATES: readonly ChatState[] = ["active", "composing", "paused", "inactive", "gone"];

/** Longest body kept (characters): a peer could send megabytes in one message. */
export const MAX_BODY_CHARS = 10_000;

export interface ChatMessageEvent {
  kind: "message";
  /** The other side's bare JID. */
  peer: string;
  /** Sent by this account (from here, another of our devices, or our archive). */
  outgoing: boolean;
  /** The message's id attribute (what receipts, markers and corrections refer to). */
  id: string;
  /** XEP-0359 origin-id, set by the sender. */
  originId?: string;
  /** XEP-0359 stanza-id given by our own server (the archive id). */
  stanzaId?: string;
  body: string;
  /** The body was longer than MAX_BODY_CHARS and was cut. */
  truncated: boolean;
  /** XEP-0308: the id of the message this one corrects. */
  replaces?: string;
  receiptRequested: boolean;
  markable: boolean;
  /** Time sent (XEP-0203 delay, the archive's stamp) or received. */
  at: number;
  /** Read from our archive (history), not delivered live. */
  archived: boolean;
}

export type ChatEvent =
  | ChatMessageEvent
  | { kind: "receipt"; peer: string; outgoing: boolean; of: string }
  | { kind: "displayed"; peer: string; outgoing: boolean; of: string }
  | { kind: "state"; peer: string; outgoing: boolean; state: ChatState };

export interface ReadContext {
  ownBareJid: string;
  /** Receive time for messages without a delay stamp. */
  now: number;
  /** Set when the message came from our archive (XEP-0313 result): its id and stamp. */
  archived?: { id: string; stamp: number };
}

/**
 * Reads a message stanza. Carbons (XEP-0280) are unwrapped only when they come from our own
 * bare JID (§11: anyone else could forge them). Error messages, groupchat and JMI call
 * messages give nothing (calls read those).
 */
export function readChat(stanza: Element, context: ReadContext): ChatEvent[] {
  if (stanza.name !== "message") return [];
  let message = stanza;
  const carbon = stanza.getChild("received", NS_CARBONS) ?? stanza.getChild("sent", NS_CARBONS);
  if (carbon) {
    if (stanza.attrs.from !== context.ownBareJid) return [];
    const inner = carbon.getChild("forwarded", NS_FORWARD)?.getChild("message");
    if (!inner) return [];
    message = inner;
  }
  const type = message.attrs.type ?? "normal";
  if (type === "error" || type === "groupchat" || type === "headline") return [];
  if (message.getChildElements().some((c) => c.getNS() === NS_JMI)) return [];
  const from = bareJid(message.attrs.from ?? context.ownBareJid);
  const to = bareJid(message.attrs.to ?? context.ownBareJid);
  const outgoing = from === context.ownBareJid;
  const peer = outgoing ? to : from;
  if (!peer || peer === context.ownBareJid) return [];
  const events: ChatEvent[] = [];
  const body = message.getChildText("body");
  if (body !== null) {
    const stamp = message.getChild("delay", NS_DELAY)?.attrs.stamp;
    const delayed = stamp ? Date.parse(stamp) : Number.NaN;
    const stanzaId = context.archived?.id
      ?? message.getChildren("stanza-id", NS_SID).find((s) => s.attrs.by === context.ownBareJid)?.attrs.id;
    events.push({
      kind: "message",
      peer,
      outgoing,
      id: message.attrs.id ?? "",
      originId: message.getChild("origin-id", NS_SID)?.attrs.id,
      stanzaId,
      body: body.slice(0, MAX_BODY_CHARS),
      truncated: body.length > MAX_BODY_CHARS,
      replaces: message.getChild("replace", NS_CORRECTION)?.attrs.id,
      receiptRequested: message.getChild("request", NS_RECEIPTS) !== undefined,
      markable: message.getChild("markable", NS_CHAT_MARKERS) !== undefined,
      at: context.archived?.stamp ?? (Number.isNaN(delayed) ? context.now : delayed),
      archived: context.archived !== undefined,
    });
  }
  const received = message.getChild("received", NS_RECEIPTS)?.attrs.id;
  if (received) events.push({ kind: "receipt", peer, outgoing, of: received });
  const displayed = message.getChild("displayed", NS_CHAT_MARKERS)?.attrs.id;
  if (displayed) events.push({ kind: "displayed", peer, outgoing, of: displayed });
  // Chat states are transient (XEP-0085 §5.6): none from the archive or from delayed delivery.
  const state = message.getChildElements().find((c) => c.getNS() === NS_CHAT_STATES && (CHAT_STATES as readonly string[]).includes(c.name));
  if (state && !context.archived && !message.getChild("delay", NS_DELAY)) events.push({ kind: "state", peer, outgoing, state: state.name as ChatState });
  return events;
}

/**
 * A chat message as Conversations and Dino send one: origin-id equal to the id (XEP-0359 §3.1),
 * a receipt request (XEP-0184 §5.2), markable (XEP-0333 §3) and the active state (XEP-0085 §5.1).
 */
export function writeChatMessage(to: string, id: string, body: string, replaces?: string): Element {
  return xml(
    "message",
    { to, type: "chat", id },
    xml("body", {}, body),
    xml("origin-id", { xmlns: NS_SID, id }),
    xml("request", { xmlns: NS_RECEIPTS }),
    xml("markable", { xmlns: NS_CHAT_MARKERS }),
    xml("active", { xmlns: NS_CHAT_STATES }),
    replaces !== undefined && xml("replace", { xmlns: NS_CORRECTION, id: replaces }),
  );
}

/** XEP-0184 §5.3: the receipt, to the full JID that asked, with the message's id. */
export function writeReceipt(to: string, of: string): Element {
  return xml("message", { to, id: crypto.randomUUID() }, xml("received", { xmlns: NS_RECEIPTS, id: of }), xml("store", { xmlns: NS_HINTS }));
}

/** XEP-0333 §3: displayed marker; stored so our other devices and the archive learn it was read. */
export function writeDisplayed(to: string, of: string): Element {
  return xml("message", { to, type: "chat", id: crypto.randomUUID() }, xml("displayed", { xmlns: NS_CHAT_MARKERS, id: of }), xml("store", { xmlns: NS_HINTS }));
}

/** XEP-0085 standalone notification; XEP-0334 no-store: the archive has no use for it. */
export function writeChatState(to: string, state: ChatState): Element {
  return xml("message", { to, type: "chat" }, xml(state, { xmlns: NS_CHAT_STATES }), xml("no-store", { xmlns: NS_HINTS }));
}

// A pure model of one-to-one conversations: applies ChatEvents (live, carbons, archive pages
// in any order) and answers what the view shows. No I/O; every function returns new state.
import type { ChatEvent, ChatMessageEvent, ChatState } from "./chat.js";

/** Outgoing: sending → sent (the server took it) → delivered (receipt) → read (displayed marker). */
export type Delivery = "sending" | "sent" | "delivered" | "read" | "failed";

export interface ChatMessage {
  /** The id corrections, receipts and markers refer to (origin-id when the sender set one). */
  id: string;
  stanzaId?: string;
  outgoing: boolean;
  body: string;
  truncated: boolean;
  at: number;
  /** Arrival order, breaking ties between equal times. */
  seq: number;
  /** XEP-0308: corrected at least once. */
  edited: boolean;
  markable: boolean;
  delivery: Delivery;
  /** Incoming: read here or on another of our devices. */
  seen: boolean;
}

export interface Conversation {
  peer: string;
  /** Oldest first. */
  messages: readonly ChatMessage[];
  /** The peer's XEP-0085 state. */
  peerState: ChatState;
  /** Corrections whose original has not arrived yet (an archive page can bring it later). */
  pendingCorrections: readonly ChatMessageEvent[];
  /** Messages dropped at the front because the conversation reached its cap. */
  dropped: number;
}

export function emptyConversation(peer: string): Conversation {
  return { peer, messages: [], peerState: "active", pendingCorrections: [], dropped: 0 };
}

/** Messages kept in memory per conversation; older ones can be paged in again from the archive. */
export const MAX_MESSAGES = 1_000;

let sequence = 0;

const DELIVERY_RANK: Record<Delivery, number> = { failed: 0, sending: 1, sent: 2, delivered: 3, read: 4 };
const atLeast = (current: Delivery, next: Delivery): Delivery => (DELIVERY_RANK[next] > DELIVERY_RANK[current] ? next : current);

/**
 * The same message seen twice (live and as a carbon, live and from the archive, two archive
 * pages): XEP-0359 §2 stanza-id from our server decides first; otherwise the sender's id
 * within the same direction (XEP-0359 origin-id, or the id attribute).
 */
function findSame(messages: readonly ChatMessage[], event: ChatMessageEvent): number {
  const senderId = event.originId ?? event.id;
  return messages.findIndex((m) =>
    (event.stanzaId !== undefined && m.stanzaId === event.stanzaId) ||
    (senderId !== "" && m.outgoing === event.outgoing && m.id === senderId));
}

function byTime(a: ChatMessage, b: ChatMessage): number {
  return a.at - b.at || a.seq - b.seq;
}

function capped(conversation: Conversation, messages: ChatMessage[]): Conversation {
  const over = messages.length - MAX_MESSAGES;
  return over > 0
    ? { ...conversation, messages: messages.slice(over), dropped: conversation.dropped + over }
    : { ...conversation, messages };
}

/**
 * XEP-0308 §5: a correction applies only to a message of the same sender; we accept the bare
 * JID's direction (Conversations and Dino do), never a peer's edit of our own message.
 */
function applyCorrection(conversation: Conversation, event: ChatMessageEvent): Conversation | undefined {
  const index = conversation.messages.findIndex((m) => m.outgoing === event.outgoing && m.id === event.replaces);
  if (index === -1) return undefined;
  const messages = [...conversation.messages];
  const original = messages[index]!;
  messages[index] = { ...original, body: event.body, truncated: event.truncated, edited: true };
  return { ...conversation, messages };
}

function addMessage(conversation: Conversation, event: ChatMessageEvent, delivery: Delivery): Conversation {
  if (event.replaces !== undefined && event.replaces !== "") {
    // A correction seen twice (carbon + archive) must not be applied as a new message.
    const corrected = applyCorrection(conversation, event);
    if (corrected) return corrected;
    if (conversation.pendingCorrections.some((c) => c.replaces === event.replaces && (c.originId ?? c.id) === (event.originId ?? event.id))) return conversation;
    return { ...conversation, pendingCorrections: [...conversation.pendingCorrections, event].slice(-50) };
  }
  const same = findSame(conversation.messages, event);
  if (same !== -1) {
    const messages = [...conversation.messages];
    const old = messages[same]!;
    // The archive's copy brings the stanza-id and the server's time; keep what we learned.
    messages[same] = { ...old, stanzaId: old.stanzaId ?? event.stanzaId, delivery: event.outgoing ? atLeast(old.delivery, "sent") : old.delivery };
    return { ...conversation, messages };
  }
  const message: ChatMessage = {
    id: event.originId ?? event.id,
    stanzaId: event.stanzaId,
    outgoing: event.outgoing,
    body: event.body,
    truncated: event.truncated,
    at: event.at,
    seq: sequence++,
    edited: false,
    markable: event.markable,
    delivery: event.outgoing ? delivery : "sent",
    // History from the archive is not news; offline messages delivered at sign-in are.
    seen: event.outgoing || event.archived,
  };
  let next = capped(conversation, [...conversation.messages, message].sort(byTime));
  // Corrections that waited for this message apply now, in arrival order.
  const waiting = next.pendingCorrections.filter((c) => c.outgoing === message.outgoing && c.replaces === message.id);
  if (waiting.length > 0) {
    next = { ...next, pendingCorrections: next.pendingCorrections.filter((c) => !waiting.includes(c)) };
    for (const c of waiting) next = applyCorrection(next, c) ?? next;
  }
  return next;
}

/** Marks messages of one direction up to and including the one with `id` (XEP-0333 §4: markers are cumulative). */
function markUpTo(conversation: Conversation, outgoing: boolean, id: string, mark: (m: ChatMessage) => ChatMessage): Conversation {
  const index = conversation.messages.findIndex((m) => m.outgoing === outgoing && (m.id === id || m.stanzaId === id));
  if (index === -1) return conversation;
  const messages = conversation.messages.map((m, i) => (i <= index && m.outgoing === outgoing ? mark(m) : m));
  return { ...conversation, messages };
}

/**
 * Applies one event. `delivery` is the state of an outgoing message we add ourselves
 * (sending); carbons and archived copies of our own messages count as sent.
 */
export function applyChatEvent(conversation: Conversation, event: ChatEvent, delivery: Delivery = "sent"): Conversation {
  switch (event.kind) {
    case "message": {
      const next = addMessage(conversation, event, delivery);
      // A message from the peer ends its typing (XEP-0085 §5.2: a message implies active).
      return event.outgoing ? next : { ...next, peerState: "active" };
    }
    case "receipt":
      // The peer's receipt is about our message; our own receipt (a carbon) changes nothing shown.
      return event.outgoing ? conversation : markUpTo(conversation, true, event.of, (m) => (m.id === event.of || m.stanzaId === event.of ? { ...m, delivery: atLeast(m.delivery, "delivered") } : m));
    case "displayed":
      return event.outgoing
        ? markUpTo(conversation, false, event.of, (m) => ({ ...m, seen: true }))
        : markUpTo(conversation, true, event.of, (m) => ({ ...m, delivery: m.delivery === "failed" ? m.delivery : atLeast(m.delivery, "read") }));
    case "state":
      return event.outgoing ? conversation : { ...conversation, peerState: event.state };
  }
}

/** Sets the delivery of our own message `id` (sent once the server took it, failed if it could not). */
export function setDelivery(conversation: Conversation, id: string, delivery: Delivery): Conversation {
  return { ...conversation, messages: conversation.messages.map((m) => (m.outgoing && m.id === id ? { ...m, delivery: delivery === "failed" ? delivery : atLeast(m.delivery, delivery) } : m)) };
}

/** Incoming messages not read here nor on another device. */
export function unreadCount(conversation: Conversation): number {
  return conversation.messages.reduce((n, m) => n + (!m.outgoing && !m.seen ? 1 : 0), 0);
}

/** The newest incoming markable message not yet seen: the one a displayed marker should name. */
export function lastUnseenMarkable(conversation: Conversation): ChatMessage | undefined {
  for (let i = conversation.messages.length - 1; i >= 0; i--) {
    const m = conversation.messages[i]!;
    if (!m.outgoing) return !m.seen && m.markable ? m : undefined;
  }
  return undefined;
}

/** Our newest message, the one XEP-0308 lets us correct. */
export function lastOwnMessage(conversation: Conversation): ChatMessage | undefined {
  return [...conversation.messages].reverse().find((m) => m.outgoing);
}

/** Marks every incoming message seen (the user opened the conversation). */
export function markAllSeen(conversation: Conversation): Conversation {
  return conversation.messages.some((m) => !m.outgoing && !m.seen)
    ? { ...conversation, messages: conversation.messages.map((m) => (m.outgoing || m.seen ? m : { ...m, seen: true })) }
    : conversation;
}

/** The oldest archive id we hold: the RSM `before` for the next older page. */
export function oldestArchiveId(conversation: Conversation): string | undefined {
  return conversation.messages.find((m) => m.stanzaId !== undefined)?.stanzaId;
}

// The messaging service: one-to-one chat on top of the connection. Reads every message
// stanza (live, carbons) through chat.ts, keeps conversations in the pure model of
// conversation.ts, answers receipt requests, sends chat states and markers, and pages the
// archive backwards per contact. No DOM.
import type { Element } from "@xmpp/xml";
import { readChat, writeChatMessage, writeChatState, writeDisplayed, writeReceipt, type ChatEvent, type ChatState } from "./chat.js";
import {
  applyChatEvent, emptyConversation, lastOwnMessage, lastUnseenMarkable, markAllSeen, oldestArchiveId, setDelivery, unreadCount,
  type ChatMessage, type Conversation,
} from "./conversation.js";
import { TypedEmitter } from "./emitter.js";
import { queryArchivePage, type ArchiveConnection } from "./mam.js";

/** What the service needs from the connection (XmppConnection fits; tests pass a fake). */
export interface MessagingConnection extends ArchiveConnection {
  readonly jid: string;
  send(stanza: Element): Promise<void>;
}

export interface MessagingPolicy {
  /** A contact (any subscription): their messages go to the conversation list, they get receipts and markers. */
  isContact(bare: string): boolean;
}

// A type, not an interface: closed (a misspelt event fails the type check) yet an EventMap.
export type MessagingEvents = {
  /** A conversation changed (new message, tick, typing, history page). */
  conversation: [conversation: Conversation];
  /** A new incoming message delivered live (not history, not our own). */
  incoming: [peer: string, message: ChatMessage];
};

/** Strangers can open conversations at will: keep only so many, each short. */
export const MAX_STRANGER_CONVERSATIONS = 20;
export const MAX_STRANGER_MESSAGES = 50;
/** Messages per archive page, and how many messages one "load older" aims for. */
export const HISTORY_PAGE = 30;
/** Archive pages one "load older" may read looking for messages among receipts and markers. */
const MAX_PAGES_PER_LOAD = 5;

export class MessagingService extends TypedEmitter<MessagingEvents> {
  readonly #connection: MessagingConnection;
  readonly #policy: MessagingPolicy;
  readonly #conversations = new Map<string, Conversation>();
  /** Peers whose archive has no older page. */
  readonly #historyComplete = new Set<string>();
  readonly #loading = new Map<string, Promise<void>>();
  /** The last chat state we sent per peer (XEP-0085 §5.3: do not repeat a state). */
  readonly #sentState = new Map<string, ChatState>();

  constructor(connection: MessagingConnection, policy: MessagingPolicy) {
    super();
    this.#connection = connection;
    this.#policy = policy;
    connection.on("stanza", (stanza) => this.#onStanza(stanza));
  }

  get conversations(): readonly Conversation[] {
    return [...this.#conversations.values()];
  }

  conversation(peer: string): Conversation {
    return this.#conversations.get(peer) ?? emptyConversation(peer);
  }

  unread(peer: string): number {
    return unreadCount(this.conversation(peer));
  }

  hasOlderHistory(peer: string): boolean {
    return !this.#historyComplete.has(peer);
  }

  /** Sends a message (or, with `correct`, a correction of our last one: XEP-0308). Resolves with its id. */
  async send(peer: string, body: string, options: { correct?: boolean } = {}): Promise<string> {
    const id = crypto.randomUUID();
    const replaces = options.correct ? lastOwnMessage(this.conversation(peer))?.id : undefined;
    const stanza = writeChatMessage(peer, id, body, replaces);
    this.#sentState.set(peer, "active");
    this.#apply(peer, { kind: "message", peer, outgoing: true, id, originId: id, body, truncated: false, replaces, receiptRequested: true, markable: true, at: Date.now(), archived: false }, "sending");
    try {
      await this.#connection.send(stanza);
      this.#update(peer, (c) => setDelivery(c, id, "sent"));
    } catch (error) {
      this.#update(peer, (c) => setDelivery(c, id, "failed"));
      throw error;
    }
    return id;
  }

  /** Tells a contact we are typing or stopped (XEP-0085); strangers learn nothing. */
  async setChatState(peer: string, state: ChatState): Promise<void> {
    if (!this.#policy.isContact(peer) || this.#sentState.get(peer) === state) return;
    this.#sentState.set(peer, state);
    await this.#connection.send(writeChatState(peer, state));
  }

  /**
   * The user sees the conversation: everything in it is read, and a contact gets one displayed
   * marker for the newest message (XEP-0333 §4: it covers the earlier ones).
   */
  async markRead(peer: string): Promise<void> {
    const conversation = this.#conversations.get(peer);
    if (!conversation) return;
    const newest = lastUnseenMarkable(conversation);
    this.#update(peer, markAllSeen);
    if (newest && this.#policy.isContact(peer)) await this.#connection.send(writeDisplayed(peer, newest.id));
  }

  /** Loads the next older page of this conversation from our archive (XEP-0313, RSM before). */
  loadOlder(peer: string): Promise<void> {
    if (this.#historyComplete.has(peer)) return Promise.resolve();
    let loading = this.#loading.get(peer);
    if (!loading) {
      loading = this.#loadPage(peer).finally(() => this.#loading.delete(peer));
      this.#loading.set(peer, loading);
    }
    return loading;
  }

  /**
   * Pages back until a page's worth of messages with a body came in: receipts and markers are
   * archived too (they carry a store hint, as Conversations sends them), so a page of the
   * archive can hold few messages or none.
   */
  async #loadPage(peer: string) {
    const context = { ownBareJid: this.#connection.bareJid, now: Date.now() };
    let before = oldestArchiveId(this.conversation(peer)) ?? "";
    let bodies = 0;
    for (let page = 0; page < MAX_PAGES_PER_LOAD && bodies < HISTORY_PAGE; page++) {
      const result = await queryArchivePage(this.#connection, { with: peer, pageSize: HISTORY_PAGE }, before);
      // Applied to the conversation as it is now, not as it was when the query left: what was
      // sent or received meanwhile (the archive may not hold it yet) must not be lost.
      let conversation = this.conversation(peer);
      // Oldest first, so a correction or marker meets the message it names when both are in the page.
      for (const archived of result.messages) {
        for (const event of readChat(archived.message, { ...context, archived: { id: archived.id, stamp: archived.stamp } })) {
          if (event.peer !== peer) continue;
          if (event.kind === "message" && !event.replaces) bodies++;
          conversation = applyChatEvent(conversation, event);
        }
      }
      this.#conversations.set(peer, conversation);
      if (result.complete || !result.first) {
        this.#historyComplete.add(peer);
        break;
      }
      before = result.first;
    }
    this.emit("conversation", this.conversation(peer));
  }

  #onStanza(stanza: Element) {
    if (stanza.name !== "message") return;
    // Archive results are read by the query that asked for them.
    if (stanza.getChild("result", "urn:xmpp:mam:2")) return;
    const events = readChat(stanza, { ownBareJid: this.#connection.bareJid, now: Date.now() });
    for (const event of events) {
      if (!this.#admit(event.peer)) return;
      const before = this.#conversations.get(event.peer);
      this.#apply(event.peer, event);
      if (event.kind === "message" && !event.outgoing) {
        const added = this.conversation(event.peer).messages.find((m) => !m.outgoing && m.id === (event.originId ?? event.id));
        const isNew = added !== undefined && !before?.messages.some((m) => m === added || (!m.outgoing && m.id === added.id));
        // XEP-0184 §5.4: a receipt for a message we received (not for a carbon of one another device got too).
        const direct = stanza.getChild("received", "urn:xmpp:carbons:2") === undefined;
        if (event.receiptRequested && direct && this.#policy.isContact(event.peer) && stanza.attrs.from && event.id) {
          void this.#connection.send(writeReceipt(stanza.attrs.from, event.id)).catch(() => undefined);
        }
        if (isNew && added && !event.replaces) this.emit("incoming", event.peer, added);
      }
    }
  }

  /** Whether a message from `peer` is kept: contacts always; a bounded number of strangers. */
  #admit(peer: string): boolean {
    if (this.#policy.isContact(peer) || this.#conversations.has(peer)) return true;
    const strangers = [...this.#conversations.keys()].filter((p) => !this.#policy.isContact(p));
    return strangers.length < MAX_STRANGER_CONVERSATIONS;
  }

  #apply(peer: string, event: ChatEvent, delivery?: ChatMessage["delivery"]) {
    this.#update(peer, (c) => {
      const next = applyChatEvent(c, event, delivery);
      if (this.#policy.isContact(peer) || next.messages.length <= MAX_STRANGER_MESSAGES) return next;
      const over = next.messages.length - MAX_STRANGER_MESSAGES;
      return { ...next, messages: next.messages.slice(over), dropped: next.dropped + over };
    });
  }

  #update(peer: string, change: (c: Conversation) => Conversation) {
    const before = this.conversation(peer);
    const after = change(before);
    if (after === before && this.#conversations.has(peer)) return;
    this.#conversations.set(peer, after);
    this.emit("conversation", after);
  }
}

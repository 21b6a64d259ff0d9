import { describe, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { readChat, writeChatMessage, MAX_BODY_CHARS, type ChatEvent } from "../../../client/src/xmpp/chat.js";
import {
  applyChatEvent, emptyConversation, lastUnseenMarkable, markAllSeen, oldestArchiveId, unreadCount, type Conversation,
} from "../../../client/src/xmpp/conversation.js";

// Stanzas shaped as Conversations 2.x (MessageGenerator: body, request, markable, origin-id,
// active) and Dino 0.4 (body, origin-id, markable, request; receipts and displayed markers as
// separate messages) send them, written from their source, with our server's XEP-0359
// stanza-id added as ejabberd 23.01 stamps it; carbons and MAM wrappers per XEP-0280 §6 and
// XEP-0313 §4.2. Hand-built, not captured.
const ME = "me@x";
const fromConversations = (id: string, body: string, extra = "") => parse(
  `<message xmlns='jabber:client' from='bob@x/Conversations.Ab1' to='me@x/web' type='chat' id='${id}'><body>${body}</body>` +
  `<request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/><origin-id xmlns='urn:xmpp:sid:0' id='${id}'/>` +
  `<active xmlns='http://jabber.org/protocol/chatstates'/>${extra}<stanza-id xmlns='urn:xmpp:sid:0' by='me@x' id='S-${id}'/></message>`);
const dinoReceipt = (of: string) => parse(`<message xmlns='jabber:client' from='bob@x/dino.7f' to='me@x/web' id='r-${of}'><received xmlns='urn:xmpp:receipts' id='${of}'/></message>`);
const dinoDisplayed = (of: string) => parse(`<message xmlns='jabber:client' from='bob@x/dino.7f' to='me@x/web' type='chat' id='d-${of}'><displayed xmlns='urn:xmpp:chat-markers:0' id='${of}'/></message>`);
const chatState = (state: string) => parse(`<message xmlns='jabber:client' from='bob@x/Conversations.Ab1' to='me@x/web' type='chat'><${state} xmlns='http://jabber.org/protocol/chatstates'/><no-store xmlns='urn:xmpp:hints'/></message>`);
const carbon = (kind: "sent" | "received", inner: Element, from = ME) => {
  const wrapper = parse(`<message xmlns='jabber:client' from='${from}' to='me@x/web'><${kind} xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'/></${kind}></message>`);
  wrapper.getChild(kind)!.getChild("forwarded")!.append(inner);
  return wrapper;
};
const ownFromPhone = (id: string, body: string) => parse(
  `<message xmlns='jabber:client' from='me@x/phone' to='bob@x' type='chat' id='${id}'><body>${body}</body><origin-id xmlns='urn:xmpp:sid:0' id='${id}'/><markable xmlns='urn:xmpp:chat-markers:0'/></message>`);

const NOW = Date.parse("2026-01-01T12:00:00Z");
function apply(conversation: Conversation, stanza: Element, archived?: { id: string; stamp: number }, now = NOW): Conversation {
  return readChat(stanza, { ownBareJid: ME, now, archived }).reduce((c, e: ChatEvent) => applyChatEvent(c, e), conversation);
}
const bodies = (c: Conversation) => c.messages.map((m) => m.body);

describe("reading chat stanzas", () => {
  it("reads a Conversations message: peer, ids, receipt request, markable and our server's stanza-id", () => {
    const [message, state] = readChat(fromConversations("m1", "hello"), { ownBareJid: ME, now: NOW });
    expect(message).toMatchObject({ kind: "message", peer: "bob@x", outgoing: false, id: "m1", originId: "m1", stanzaId: "S-m1", body: "hello", receiptRequested: true, markable: true, at: NOW });
    expect(state).toMatchObject({ kind: "state", state: "active" });
  });

  it("ignores a stanza-id stamped by anyone but our own server (XEP-0359 §6)", () => {
    const stanza = fromConversations("m2", "hi");
    stanza.getChildren("stanza-id")[0]!.attrs.by = "bob@x";
    expect(readChat(stanza, { ownBareJid: ME, now: NOW })[0]).toMatchObject({ stanzaId: undefined });
  });

  it("unwraps a sent carbon from our own account as an outgoing message to the peer", () => {
    const [event] = readChat(carbon("sent", ownFromPhone("p1", "on my way")), { ownBareJid: ME, now: NOW });
    expect(event).toMatchObject({ kind: "message", peer: "bob@x", outgoing: true, body: "on my way" });
  });

  it("drops a carbon forged by someone else (XEP-0280 §11)", () => {
    expect(readChat(carbon("received", fromConversations("m1", "pwned"), "bob@x"), { ownBareJid: ME, now: NOW })).toEqual([]);
  });

  it("leaves call messages (XEP-0353) and error messages to others", () => {
    expect(readChat(parse("<message from='bob@x/a' to='me@x/web' type='chat'><propose xmlns='urn:xmpp:jingle-message:0' id='c'/><body>call</body></message>"), { ownBareJid: ME, now: NOW })).toEqual([]);
    expect(readChat(parse("<message from='bob@x/a' to='me@x/web' type='error'><body>x</body></message>"), { ownBareJid: ME, now: NOW })).toEqual([]);
  });

  it("caps a huge body and says it was cut", () => {
    const [event] = readChat(fromConversations("big", "a".repeat(MAX_BODY_CHARS + 5)), { ownBareJid: ME, now: NOW });
    expect(event).toMatchObject({ truncated: true });
    expect(event!.kind === "message" && event!.body.length).toBe(MAX_BODY_CHARS);
  });

  it("keeps the delay stamp of a message delivered from offline storage, and drops its stale chat state", () => {
    const events = readChat(fromConversations("o1", "while you were away", "<delay xmlns='urn:xmpp:delay' from='x' stamp='2026-01-01T08:00:00Z'/>"), { ownBareJid: ME, now: NOW });
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ at: Date.parse("2026-01-01T08:00:00Z") });
  });

  it("writes messages as Conversations does: origin-id equal to the id, receipt request, markable, active", () => {
    const stanza = writeChatMessage("bob@x", "id1", "hi", "id0");
    expect(stanza.getChild("origin-id", "urn:xmpp:sid:0")?.attrs.id).toBe("id1");
    for (const [name, ns] of [["request", "urn:xmpp:receipts"], ["markable", "urn:xmpp:chat-markers:0"], ["active", "http://jabber.org/protocol/chatstates"]]) {
      expect(stanza.getChild(name!, ns)).toBeDefined();
    }
    expect(stanza.getChild("replace", "urn:xmpp:message-correct:0")?.attrs.id).toBe("id0");
  });
});

describe("the conversation model", () => {
  it("orders by time whatever the arrival order (an archive page after live messages)", () => {
    let c = apply(emptyConversation("bob@x"), fromConversations("live", "now"));
    c = apply(c, fromConversations("old", "earlier"), { id: "S-old", stamp: NOW - 60_000 });
    expect(bodies(c)).toEqual(["earlier", "now"]);
    expect(oldestArchiveId(c)).toBe("S-old");
  });

  it("counts a message once when it arrives live and again from the archive", () => {
    let c = apply(emptyConversation("bob@x"), fromConversations("m1", "hello"));
    c = apply(c, fromConversations("m1", "hello"), { id: "S-m1", stamp: NOW });
    expect(bodies(c)).toEqual(["hello"]);
  });

  it("counts our message once when sent here and seen again as the archive copy", () => {
    let c = applyChatEvent(emptyConversation("bob@x"), { kind: "message", peer: "bob@x", outgoing: true, id: "o1", originId: "o1", body: "yo", truncated: false, receiptRequested: true, markable: true, at: NOW, archived: false }, "sending");
    c = apply(c, ownFromPhone("o1", "yo"), { id: "S-o1", stamp: NOW });
    expect(c.messages).toHaveLength(1);
    expect(c.messages[0]).toMatchObject({ delivery: "sent", stanzaId: "S-o1" });
  });

  it("keeps apart an incoming and an outgoing message that happen to share an id", () => {
    let c = apply(emptyConversation("bob@x"), fromConversations("same", "theirs"));
    c = apply(c, carbon("sent", ownFromPhone("same", "mine")));
    expect(bodies(c)).toEqual(["theirs", "mine"]);
  });

  it("applies a correction from the same sender and shows it edited (XEP-0308)", () => {
    let c = apply(emptyConversation("bob@x"), fromConversations("m1", "helo"));
    c = apply(c, fromConversations("m2", "hello", "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>"));
    expect(c.messages).toHaveLength(1);
    expect(c.messages[0]).toMatchObject({ body: "hello", edited: true });
  });

  it("refuses a peer's 'correction' of our own message", () => {
    let c = apply(emptyConversation("bob@x"), carbon("sent", ownFromPhone("mine", "I owe you 5")));
    c = apply(c, fromConversations("evil", "I owe you 500", "<replace xmlns='urn:xmpp:message-correct:0' id='mine'/>"));
    expect(c.messages.map((m) => [m.body, m.edited])).toEqual([["I owe you 5", false]]);
  });

  it("applies a correction that arrived before its original once the original comes (archive order)", () => {
    let c = apply(emptyConversation("bob@x"), fromConversations("m2", "fixed", "<replace xmlns='urn:xmpp:message-correct:0' id='m1'/>"));
    expect(c.messages).toHaveLength(0);
    c = apply(c, fromConversations("m1", "fxed"), { id: "S-m1", stamp: NOW - 1000 });
    expect(c.messages[0]).toMatchObject({ body: "fixed", edited: true });
  });

  it("turns Dino's receipt into delivered and its displayed marker into read for every earlier message", () => {
    const sent = (id: string, at: number) => ({ kind: "message" as const, peer: "bob@x", outgoing: true, id, originId: id, body: id, truncated: false, receiptRequested: true, markable: true, at, archived: false });
    let c = applyChatEvent(applyChatEvent(emptyConversation("bob@x"), sent("a", NOW), "sent"), sent("b", NOW + 1), "sent");
    c = apply(c, dinoReceipt("a"));
    expect(c.messages.map((m) => m.delivery)).toEqual(["delivered", "sent"]);
    c = apply(c, dinoDisplayed("b"));
    expect(c.messages.map((m) => m.delivery)).toEqual(["read", "read"]);
    c = apply(c, dinoReceipt("b"));
    expect(c.messages.map((m) => m.delivery)).toEqual(["read", "read"]);
  });

  it("counts unread incoming messages; our other device's displayed marker (a sent carbon) clears them", () => {
    let c = apply(apply(emptyConversation("bob@x"), fromConversations("m1", "one")), fromConversations("m2", "two"));
    expect(unreadCount(c)).toBe(2);
    expect(lastUnseenMarkable(c)?.id).toBe("m2");
    c = apply(c, carbon("sent", parse("<message xmlns='jabber:client' from='me@x/phone' to='bob@x' type='chat'><displayed xmlns='urn:xmpp:chat-markers:0' id='m2'/></message>")));
    expect(unreadCount(c)).toBe(0);
  });

  it("does not count history from the archive as unread", () => {
    const c = apply(emptyConversation("bob@x"), fromConversations("h1", "old news"), { id: "S-h1", stamp: NOW - 1000 });
    expect(unreadCount(c)).toBe(0);
    expect(unreadCount(markAllSeen(apply(c, fromConversations("n1", "new"))))).toBe(0);
  });

  it("shows typing, then paused, and a message ends typing (XEP-0085)", () => {
    let c = apply(emptyConversation("bob@x"), chatState("composing"));
    expect(c.peerState).toBe("composing");
    c = apply(c, chatState("paused"));
    expect(c.peerState).toBe("paused");
    c = apply(apply(c, chatState("composing")), fromConversations("m1", "done"));
    expect(c.peerState).toBe("active");
  });
});

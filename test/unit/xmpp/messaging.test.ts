import { describe, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { MAX_STRANGER_CONVERSATIONS, MAX_STRANGER_MESSAGES, MessagingService, type MessagingConnection } from "../../../client/src/xmpp/messaging.js";

/** A connection that records what the service sends and lets the test deliver stanzas. */
function fakeConnection() {
  const sent: Element[] = [];
  const listeners = new Set<(stanza: Element) => void>();
  const connection: MessagingConnection = {
    jid: "me@x/web",
    bareJid: "me@x",
    send: async (stanza) => { sent.push(stanza); },
    request: async () => parse("<iq type='result'/>"),
    on: (_event, listener) => { listeners.add(listener); return () => listeners.delete(listener); },
  };
  return { connection, sent, deliver: (xmlText: string) => { for (const l of listeners) l(parse(xmlText)); } };
}

// Written after Conversations' MessageGenerator (body, receipt request, markable, origin-id); hand-built.
const message = (from: string, id: string, body = "hi") =>
  `<message xmlns='jabber:client' from='${from}' to='me@x/web' type='chat' id='${id}'><body>${body}</body><request xmlns='urn:xmpp:receipts'/><markable xmlns='urn:xmpp:chat-markers:0'/><origin-id xmlns='urn:xmpp:sid:0' id='${id}'/></message>`;

const contacts = new Set(["bob@x"]);
const service = () => {
  const fake = fakeConnection();
  return { ...fake, messaging: new MessagingService(fake.connection, { isContact: (bare) => contacts.has(bare) }) };
};

describe("the messaging service", () => {
  it("answers a contact's receipt request at the full JID that asked, with the message id (XEP-0184 §5)", () => {
    const { messaging, sent, deliver } = service();
    deliver(message("bob@x/phone", "m1"));
    expect(messaging.conversation("bob@x").messages).toHaveLength(1);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.attrs.to).toBe("bob@x/phone");
    expect(sent[0]!.getChild("received", "urn:xmpp:receipts")?.attrs.id).toBe("m1");
  });

  it("sends no receipt for a carbon (the device that received it answers) nor to a stranger", () => {
    const { sent, deliver } = service();
    deliver(`<message xmlns='jabber:client' from='me@x' to='me@x/web'><received xmlns='urn:xmpp:carbons:2'><forwarded xmlns='urn:xmpp:forward:0'>${message("bob@x/phone", "m1")}</forwarded></received></message>`);
    deliver(message("mallory@evil/a", "m2"));
    expect(sent).toEqual([]);
  });

  it("marks read with one displayed marker for the newest message, to contacts only", async () => {
    const { messaging, sent, deliver } = service();
    deliver(message("bob@x/phone", "m1"));
    deliver(message("bob@x/phone", "m2"));
    sent.length = 0;
    await messaging.markRead("bob@x");
    expect(sent.map((s) => s.getChild("displayed", "urn:xmpp:chat-markers:0")?.attrs.id)).toEqual(["m2"]);
    expect(messaging.unread("bob@x")).toBe(0);
    deliver(message("mallory@evil/a", "s1"));
    sent.length = 0;
    await messaging.markRead("mallory@evil");
    expect(sent).toEqual([]);
  });

  it("keeps a bounded number of strangers' conversations, each with its newest messages only", () => {
    const { messaging, deliver } = service();
    for (let i = 0; i < MAX_STRANGER_MESSAGES + 10; i++) deliver(message("mallory@evil/a", `f${i}`, `spam ${i}`));
    const kept = messaging.conversation("mallory@evil").messages;
    expect(kept).toHaveLength(MAX_STRANGER_MESSAGES);
    expect(kept.at(-1)?.body).toBe(`spam ${MAX_STRANGER_MESSAGES + 9}`);
    for (let i = 0; i < MAX_STRANGER_CONVERSATIONS + 5; i++) deliver(message(`s${i}@evil/a`, "x"));
    expect(messaging.conversations.filter((c) => !contacts.has(c.peer))).toHaveLength(MAX_STRANGER_CONVERSATIONS);
    deliver(message("bob@x/phone", "still-here"));
    expect(messaging.conversation("bob@x").messages).toHaveLength(1);
  });

  it("sends a chat state once per change, and none to strangers (XEP-0085 §5.3)", async () => {
    const { messaging, sent } = service();
    await messaging.setChatState("bob@x", "composing");
    await messaging.setChatState("bob@x", "composing");
    await messaging.setChatState("bob@x", "paused");
    await messaging.setChatState("mallory@evil", "composing");
    expect(sent.map((s) => `${s.attrs.to} ${s.getChildElements()[0]?.name}`)).toEqual(["bob@x composing", "bob@x paused"]);
  });

  it("corrects our last message: the correction names its id and the conversation shows it edited (XEP-0308)", async () => {
    const { messaging, sent } = service();
    const first = await messaging.send("bob@x", "helo");
    await messaging.send("bob@x", "hello", { correct: true });
    expect(sent[1]!.getChild("replace", "urn:xmpp:message-correct:0")?.attrs.id).toBe(first);
    expect(messaging.conversation("bob@x").messages.map((m) => [m.body, m.edited, m.delivery])).toEqual([["hello", true, "sent"]]);
  });

  it("keeps what happened while an archive page was loading: a message sent, a marker received and a message received", async () => {
    const fake = fakeConnection();
    let answer: (iq: Element) => void = () => undefined;
    fake.connection.request = () => new Promise<Element>((resolve) => { answer = resolve; });
    const messaging = new MessagingService(fake.connection, { isContact: (bare) => contacts.has(bare) });
    const loading = messaging.loadOlder("bob@x");
    const id = await messaging.send("bob@x", "are you there?");
    fake.deliver(`<message xmlns='jabber:client' from='bob@x/phone' to='me@x/web' type='chat' id='d1'><displayed xmlns='urn:xmpp:chat-markers:0' id='${id}'/></message>`);
    fake.deliver(message("bob@x/phone", "m1", "yes"));
    // The archive answers for a moment before any of it: nothing in it.
    answer(parse("<iq xmlns='jabber:client' type='result'><fin xmlns='urn:xmpp:mam:2' complete='true'><set xmlns='http://jabber.org/protocol/rsm'/></fin></iq>"));
    await loading;
    expect(messaging.conversation("bob@x").messages.map((m) => [m.body, m.outgoing ? m.delivery : "in"])).toEqual([["are you there?", "read"], ["yes", "in"]]);
    expect(messaging.hasOlderHistory("bob@x")).toBe(false);
  });
});

// Messaging against a real ejabberd 23.01 (issue 17): the archive paged backwards per contact
// (XEP-0313 with=, RSM before=), carbons that put two devices of one account in the same
// conversation (XEP-0280), receipts and displayed markers back to the sender.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";
import { installWebSocket } from "../support/xmpp.ts";
import { XmppAccount } from "../../client/src/xmpp/account.js";
import { HISTORY_PAGE, MessagingService } from "../../client/src/xmpp/messaging.js";

let server: TestServer;
const open: XmppAccount[] = [];

beforeAll(async () => {
  server = await startTestServer();
  installWebSocket(server);
});
afterAll(async () => {
  await Promise.all(open.map((a) => a.signOut()));
  await server?.stop();
});

async function device(account: TestAccount, resource: string): Promise<{ account: XmppAccount; messaging: MessagingService }> {
  const a = await XmppAccount.signIn({ service: server.wsUrl, jid: account.jid, password: account.password, resource });
  open.push(a);
  return { account: a, messaging: new MessagingService(a.connection, { isContact: (bare) => a.roster.get(bare) !== undefined }) };
}

/** Resolves once `messaging`'s conversation with `peer` satisfies `predicate`. */
async function until(messaging: MessagingService, peer: string, predicate: (bodies: string[], m: MessagingService) => boolean): Promise<void> {
  const check = () => predicate(messaging.conversation(peer).messages.map((m) => m.body), messaging);
  if (check()) return;
  await messaging.next("conversation", (c) => c.peer === peer && check());
}

describe("messaging through ejabberd", () => {
  it("alice's second device loads the conversation from the archive page by page, oldest pages last, without duplicates", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const a = await device(alice, "laptop");
    const b = await device(bob, "phone");
    const total = HISTORY_PAGE + 12;
    // One at a time, each received before the next is sent: the archive's order is then the sending order.
    for (let i = 0; i < total; i++) {
      const [from, to, peer] = i % 2 ? [b, a, bob.jid] : [a, b, alice.jid];
      await from.messaging.send(i % 2 ? alice.jid : bob.jid, `m${i}`);
      await until(to.messaging, peer, (bodies) => bodies.includes(`m${i}`));
    }

    const later = await device(alice, "tablet");
    await later.messaging.loadOlder(bob.jid);
    const all = Array.from({ length: total }, (_, i) => `m${i}`);
    // The newest messages first (receipts and markers in the archive do not count as messages)…
    const firstPage = later.messaging.conversation(bob.jid).messages.map((m) => m.body);
    expect(firstPage.length).toBeGreaterThanOrEqual(HISTORY_PAGE);
    expect(firstPage).toEqual(all.slice(total - firstPage.length));
    expect(later.messaging.hasOlderHistory(bob.jid)).toBe(true);
    // …then older pages until the archive has no more.
    for (let i = 0; i < 5 && later.messaging.hasOlderHistory(bob.jid); i++) await later.messaging.loadOlder(bob.jid);
    expect(later.messaging.conversation(bob.jid).messages.map((m) => m.body)).toEqual(all);
    expect(later.messaging.hasOlderHistory(bob.jid)).toBe(false);
    // Our own messages come back as ours; history is not unread.
    expect(later.messaging.conversation(bob.jid).messages.filter((m) => m.outgoing).length).toBe(total / 2);
    expect(later.messaging.unread(bob.jid)).toBe(0);
    // The device that saw them live gets the same messages from the archive: counted once.
    await a.messaging.loadOlder(bob.jid);
    expect(a.messaging.conversation(bob.jid).messages.map((m) => m.body)).toEqual(all);
  });

  it("carbons: a message sent from one device and one received by the other show in both conversations; reading on one clears the other's unread", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const laptop = await device(alice, "laptop");
    const phone = await device(alice, "phone");
    const b = await device(bob, "pc");
    await laptop.messaging.send(bob.jid, "from my laptop");
    await until(phone.messaging, bob.jid, (bodies) => bodies.includes("from my laptop"));
    expect(phone.messaging.conversation(bob.jid).messages[0]).toMatchObject({ outgoing: true });
    await b.messaging.send(alice.jid, "hi both");
    await until(laptop.messaging, bob.jid, (bodies) => bodies.includes("hi both"));
    await until(phone.messaging, bob.jid, (bodies) => bodies.includes("hi both"));
    expect(laptop.messaging.unread(bob.jid)).toBe(1);
    await phone.messaging.markRead(bob.jid);
    await until(laptop.messaging, bob.jid, (_, m) => m.unread(bob.jid) === 0);
  });

  it("bob's receipt and displayed marker turn alice's message delivered, then read", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const a = await device(alice, "laptop");
    const b = await device(bob, "pc");
    const delivery = () => a.messaging.conversation(bob.jid).messages[0]?.delivery;
    await a.messaging.send(bob.jid, "did you get this?");
    await until(a.messaging, bob.jid, () => delivery() === "delivered");
    await until(b.messaging, alice.jid, (bodies) => bodies.length === 1);
    await b.messaging.markRead(alice.jid);
    await until(a.messaging, bob.jid, () => delivery() === "read");
  });
});

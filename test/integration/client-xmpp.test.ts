import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";
import { connectTestClient, installWebSocket } from "../support/xmpp.ts";
import { XmppAccount, type ContactView } from "../../client/src/xmpp/account.js";
import { XmppConnection } from "../../client/src/xmpp/connection.js";
import { AuthenticationError } from "../../client/src/xmpp/errors.js";
import { OWN_INFO, readDiscoInfo } from "../../client/src/xmpp/disco.js";

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

async function signIn(account: TestAccount, resource?: string): Promise<XmppAccount> {
  const a = await XmppAccount.signIn({ service: server.wsUrl, jid: account.jid, password: account.password, resource });
  open.push(a);
  return a;
}

function waitContact(account: XmppAccount, jid: string, predicate: (c: ContactView) => boolean): Promise<ContactView> {
  const now = account.contacts.find((c) => c.jid === jid);
  if (now && predicate(now)) return Promise.resolve(now);
  return account.next("contacts", (cs) => cs.some((c) => c.jid === jid && predicate(c))).then(
    ([cs]) => cs.find((c) => c.jid === jid)!,
  );
}

describe("signing in to ejabberd over WebSocket with TLS", () => {
  it("two mutual contacts each see the other online and callable with audio and video", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const a = await signIn(alice);
    const b = await signIn(bob);
    const bobSeenByAlice = await waitContact(a, bob.jid, (c) => c.availability === "online" && c.callable.video);
    const aliceSeenByBob = await waitContact(b, alice.jid, (c) => c.availability === "online" && c.callable.video);
    expect(bobSeenByAlice).toMatchObject({ subscription: "both", callable: { audio: true, video: true, jmi: true } });
    expect(aliceSeenByBob.resources).toHaveLength(1);
  });

  it("a contact's away and offline presence reach the other side", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const a = await signIn(alice);
    const b = await signIn(bob);
    await waitContact(a, bob.jid, (c) => c.availability === "online");
    await b.setAvailability("away");
    await waitContact(a, bob.jid, (c) => c.availability === "away");
    await b.signOut();
    await waitContact(a, bob.jid, (c) => c.availability === "offline");
  });

  it("a wrong password rejects with AuthenticationError not-authorized", async () => {
    const alice = await server.createAccount();
    const error = await XmppConnection.connect({ service: server.wsUrl, jid: alice.jid, password: "wrong" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticationError);
    expect((error as AuthenticationError).condition).toBe("not-authorized");
  });

  it("answers disco#info without a node with the full feature list (as Dino asks)", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const a = await signIn(alice);
    const raw = await connectTestClient(server, { username: bob.username, password: bob.password });
    try {
      const query = await raw.iqCaller.get(xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }), a.jid);
      expect(readDiscoInfo(query).features).toEqual(OWN_INFO.features);
    } finally {
      await raw.stop();
    }
  });

  it("refuses disco#info and the caps node to a non-contact with service-unavailable, as for an offline resource", async () => {
    const [alice, mallory] = [await server.createAccount(), await server.createAccount()];
    const a = await signIn(alice);
    const c = await a.disco.capsElement();
    const raw = await connectTestClient(server, { username: mallory.username, password: mallory.password });
    try {
      for (const node of [undefined, `${c.attrs.node}#${c.attrs.ver}`]) {
        const error = await raw.iqCaller.get(xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node }), a.jid).catch((e: unknown) => e);
        expect(error).toMatchObject({ name: "StanzaError", condition: "service-unavailable" });
      }
      // What the server itself answers for a resource that is not online: the stranger cannot tell.
      const offline = await raw.iqCaller.get(xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }), `${alice.jid}/gone`).catch((e: unknown) => e);
      expect(offline).toMatchObject({ name: "StanzaError", condition: "service-unavailable" });
    } finally {
      await raw.stop();
    }
  });

  it("answers a non-contact's disco#info once the user allows calls from strangers", async () => {
    const [alice, mallory] = [await server.createAccount(), await server.createAccount()];
    const a = await XmppAccount.signIn({ service: server.wsUrl, jid: alice.jid, password: alice.password }, { allowStrangers: () => true });
    open.push(a);
    const raw = await connectTestClient(server, { username: mallory.username, password: mallory.password });
    try {
      const query = await raw.iqCaller.get(xml("query", { xmlns: "http://jabber.org/protocol/disco#info" }), a.jid);
      expect(readDiscoInfo(query).features).toEqual(OWN_INFO.features);
    } finally {
      await raw.stop();
    }
  });

  it("gets STUN and TURN servers with credentials from XEP-0215", async () => {
    const a = await signIn(await server.createAccount());
    const servers = a.iceServers.iceServers;
    expect(servers.some((s) => String(s.urls).startsWith("stun:"))).toBe(true);
    const turn = servers.find((s) => String(s.urls).startsWith("turn:"));
    expect(turn?.username).toMatch(/^\d+/);
    expect(turn?.credential).toBeTruthy();
  });
});

describe("subscriptions", () => {
  it("adding a contact sends a request the other side can accept, making them mutual contacts", async () => {
    const [carol, dave] = [await server.createAccount(), await server.createAccount()];
    const c = await signIn(carol);
    const d = await signIn(dave);
    const requested = d.next("requests", (r) => r.includes(carol.jid));
    await c.roster.add(dave.jid, "Dave");
    await requested;
    await d.accept(carol.jid);
    const seen = await waitContact(c, dave.jid, (x) => x.subscription === "both" && x.availability === "online");
    expect(seen.name).toBe("Dave");
    expect(d.roster.requests).toEqual([]);
  });

  it("a refused request leaves the asker without a subscription", async () => {
    const [carol, dave] = [await server.createAccount(), await server.createAccount()];
    const c = await signIn(carol);
    const d = await signIn(dave);
    const requested = d.next("requests", (r) => r.includes(carol.jid));
    await c.roster.add(dave.jid);
    await requested;
    await d.roster.refuse(carol.jid);
    const seen = await waitContact(c, dave.jid, (x) => !x.pendingOut);
    expect(seen.subscription).toBe("none");
    expect(d.roster.requests).toEqual([]);
  });

  it("removing a contact drops it from the roster and ends presence sharing", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const a = await signIn(alice);
    const b = await signIn(bob);
    await waitContact(b, alice.jid, (x) => x.availability === "online");
    const gone = a.next("contacts", (cs) => !cs.some((x) => x.jid === bob.jid));
    await a.roster.remove(bob.jid);
    await gone;
    await waitContact(b, alice.jid, (x) => x.subscription === "none" && x.availability === "offline");
  });
});

describe("reconnection", () => {
  it("a dropped connection comes back by resuming the XEP-0198 session", async () => {
    const a = await signIn(await server.createAccount());
    expect(a.connection.streamManagementEnabled).toBe(true);
    const online = a.connection.next("online");
    a.connection.interrupt();
    const [{ resumed }] = await online;
    expect(resumed).toBe(true);
    expect(a.connection.state).toBe("online");
  });
});

// The same server behaviour on both storages (issue 19): ejabberd's embedded Mnesia (the
// local default) and PostgreSQL with the new SQL schema (what docker-compose deploys).
// A representative subset: accounts (SCRAM-stored), rosters across a restart, and a
// call's JMI messages in the archive (XEP-0313). Each storage runs one server.
import { randomBytes } from "node:crypto";
import { xml } from "@xmpp/xml";
import type { Client } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestAccount, type TestDb, type TestServer } from "../support/ejabberd.ts";
import { connectTestClient } from "../support/xmpp.ts";

const JMI = "urn:xmpp:jingle-message:0";
const MAM = "urn:xmpp:mam:2";

describe.each<TestDb>(["mnesia", "postgres"])("ejabberd on %s", (db) => {
  let server: TestServer;
  const clients: Client[] = [];

  beforeAll(async () => {
    server = await startTestServer({ db });
  }, 120_000);
  afterAll(async () => {
    await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
    await server?.stop();
  }, 60_000);

  async function online(account: TestAccount, resource = "test"): Promise<Client> {
    const client = await connectTestClient(server, { ...account, resource });
    clients.push(client);
    await client.send(xml("presence"));
    return client;
  }

  /** The JMI elements (by name) archived in the account's archive for one call id. */
  async function archivedJmi(client: Client, callId: string): Promise<string[]> {
    const queryid = randomBytes(4).toString("hex");
    const names: string[] = [];
    const onStanza = (stanza: Element): void => {
      const result = stanza.getChild("result", MAM);
      if (!stanza.is("message") || result?.attrs.queryid !== queryid) return;
      const jmi = result.getChild("forwarded", "urn:xmpp:forward:0")?.getChild("message")?.children
        .find((child): child is Element => typeof child !== "string" && child.attrs.xmlns === JMI && child.attrs.id === callId);
      if (jmi) names.push(jmi.name);
    };
    client.on("stanza", onStanza);
    try {
      await client.iqCaller.set(xml("query", { xmlns: MAM, queryid }, xml("set", { xmlns: "http://jabber.org/protocol/rsm" }, xml("max", {}, "100"))));
    } finally {
      client.off("stanza", onStanza);
    }
    return names;
  }

  it("signs an account in with the password it was created with, and stores only SCRAM hashes", async () => {
    const account = await server.createAccount();
    const client = await online(account);
    expect(client.status).toBe("online");
    await expect(connectTestClient(server, { ...account, password: "wrong-password" })).rejects.toThrow(/not-authorized/);
    if (db === "postgres") {
      // With SCRAM storage the password column holds the base64 StoredKey (RFC 5802), beside ServerKey and salt.
      const [row] = server.postgres!.query(`SELECT password, length(serverkey) > 0, length(salt) > 0, iterationcount FROM users WHERE username = '${account.username}' AND server_host = 'localhost'`);
      const [storedKey, hasServerKey, hasSalt, iterations] = row!.split("|");
      expect(storedKey).not.toBe(account.password);
      expect(Buffer.from(storedKey!, "base64")).toHaveLength(20);
      expect([hasServerKey, hasSalt]).toEqual(["t", "t"]);
      expect(Number(iterations)).toBeGreaterThanOrEqual(4096);
    }
  });

  it("keeps a roster across a server restart", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    await Promise.all(clients.splice(0).map((c) => c.stop().catch(() => undefined)));
    await server.restart();
    expect(await server.instance.roster(alice.username)).toEqual([expect.objectContaining({ jid: bob.jid, subscription: "both" })]);
    if (db === "postgres") {
      expect(server.postgres!.query(`SELECT jid, subscription FROM rosterusers WHERE username = '${alice.username}'`)).toEqual([`${bob.jid}|B`]);
    }
  }, 90_000);

  it("archives a contact's call request and its answer for both parties (XEP-0313, XEP-0353)", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const a = await online(alice, "phone");
    const b = await online(bob, "laptop");
    const callId = randomBytes(8).toString("hex");
    const proposed = new Promise<void>((resolve) => b.on("stanza", (s: Element) => { if (s.getChild("propose", JMI)) resolve(); }));
    await a.send(xml("message", { to: bob.jid, type: "chat", id: randomBytes(6).toString("hex") },
      xml("propose", { xmlns: JMI, id: callId }, xml("description", { xmlns: "urn:xmpp:jingle:apps:rtp:1", media: "audio" })),
      xml("store", { xmlns: "urn:xmpp:hints" })));
    await proposed;
    await b.send(xml("message", { to: `${alice.jid}/phone`, type: "chat", id: randomBytes(6).toString("hex") },
      xml("proceed", { xmlns: JMI, id: callId }), xml("store", { xmlns: "urn:xmpp:hints" })));
    // A ping after the send returns once the message has been routed (one ordered stream).
    await b.iqCaller.request(xml("iq", { type: "get", to: server.domain }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    expect((await archivedJmi(b, callId)).sort()).toEqual(["proceed", "propose"]);
    expect((await archivedJmi(a, callId)).sort()).toEqual(["proceed", "propose"]);
    if (db === "postgres") {
      const rows = server.postgres!.query(`SELECT username FROM archive WHERE xml LIKE '%${callId}%' ORDER BY username`);
      expect(rows.sort()).toEqual([alice.username, alice.username, bob.username, bob.username].sort());
    }
  });
});

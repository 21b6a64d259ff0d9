// The message archive (XEP-0313) under a flood of call requests (issue 15, item 7): with
// mod_mam's `default: roster`, a stranger's JMI proposes (XEP-0353, sent with a store hint
// as Conversations does) are not archived, so they cannot push real calls out of the
// call history; a contact's call requests still are.
import { randomBytes } from "node:crypto";
import { xml } from "@xmpp/xml";
import type { Client } from "@xmpp/client";
import type { Element } from "@xmpp/xml";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";
import { connectTestClient } from "../support/xmpp.ts";

const JMI = "urn:xmpp:jingle-message:0";
const MAM = "urn:xmpp:mam:2";

let server: TestServer;
const clients: Client[] = [];

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.stop().catch(() => undefined)));
  await server?.stop();
});

async function online(account: TestAccount): Promise<Client> {
  const client = await connectTestClient(server, account);
  clients.push(client);
  await client.send(xml("presence"));
  return client;
}

function propose(to: string): Element {
  return xml("message", { to, type: "chat", id: randomBytes(6).toString("hex") },
    xml("propose", { xmlns: JMI, id: randomBytes(8).toString("hex") }, xml("description", { xmlns: "urn:xmpp:jingle:apps:rtp:1", media: "audio" })),
    xml("request", { xmlns: "urn:xmpp:receipts" }),
    xml("store", { xmlns: "urn:xmpp:hints" }));
}

/** The senders (bare JIDs) of the call requests in the account's archive. */
async function archivedProposeSenders(client: Client): Promise<string[]> {
  const queryid = randomBytes(4).toString("hex");
  const senders: string[] = [];
  const onStanza = (stanza: Element): void => {
    const result = stanza.getChild("result", MAM);
    if (stanza.is("message") && result?.attrs.queryid === queryid) {
      const forwarded = result.getChild("forwarded", "urn:xmpp:forward:0")?.getChild("message");
      if (forwarded?.getChild("propose", JMI)) senders.push(String(forwarded.attrs.from).split("/")[0]!);
    }
  };
  client.on("stanza", onStanza);
  try {
    await client.iqCaller.set(xml("query", { xmlns: MAM, queryid }, xml("set", { xmlns: "http://jabber.org/protocol/rsm" }, xml("max", {}, "500"))));
  } finally {
    client.off("stanza", onStanza);
  }
  return senders;
}

describe("the archive and call requests", () => {
  it("keeps a contact's call requests and none of a stranger's", async () => {
    const [alice, bob, mallory] = [await server.createAccount(), await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const a = await online(alice);
    const b = await online(bob);
    const m = await online(mallory);
    for (let i = 0; i < 20; i++) await m.send(propose(alice.jid));
    await b.send(propose(alice.jid));
    // Each client's own stream is ordered: a ping after the sends returns once they are routed.
    await m.iqCaller.request(xml("iq", { type: "get", to: server.domain }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    await b.iqCaller.request(xml("iq", { type: "get", to: server.domain }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    const senders = await archivedProposeSenders(a);
    expect(senders.filter((jid) => jid === mallory.jid)).toEqual([]);
    expect(senders.filter((jid) => jid === bob.jid)).toEqual([bob.jid]);
  });
});

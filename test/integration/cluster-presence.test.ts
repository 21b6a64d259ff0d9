import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import type { Client } from "@xmpp/client";
import { jmiMessage } from "../../client/src/xmpp/jmi.ts";
import { sdpToJingle } from "../../client/src/jingle/index.ts";
import { NS_JINGLE, NS_JMI } from "../../client/src/xmpp/ns.ts";
import { connectToEndpoint, nextStanza, startTestCluster, type TestCluster } from "../support/cluster.ts";

const OFFER = readFileSync(join(import.meta.dirname, "../fixtures/sdp/chromium-audio-video-offer.sdp"), "utf8");

let tc: TestCluster;
const clients: Client[] = [];

beforeAll(async () => {
  tc = await startTestCluster(2);
});
afterAll(async () => {
  for (const c of clients) await c.stop().catch(() => undefined);
  await tc?.stop();
});

describe("a two-node ejabberd cluster", () => {
  it("has both nodes in one Mnesia cluster, seen alike from either node", async () => {
    const names = tc.nodes.map((n) => n.nodeName).sort();
    expect((await tc.instance(1).api<string[]>("list_cluster", {})).sort()).toEqual(names);
    expect((await tc.instance(2).api<string[]>("list_cluster", {})).sort()).toEqual(names);
  });

  it("a user on node 1 and a user on node 2 see each other's presence and exchange a Jingle session-initiate and JMI messages", async () => {
    const [alice, bob] = [await tc.createAccount(), await tc.createAccount()];
    await tc.makeContacts(alice.username, bob.username);
    const a = await connectToEndpoint(tc, tc.nodes[0]!.wsUrl, alice);
    const b = await connectToEndpoint(tc, tc.nodes[1]!.wsUrl, bob);
    clients.push(a, b);

    const aliceSeesBob = nextStanza(a, (s) => s.is("presence") && s.attrs.from?.startsWith(`${bob.jid}/`) === true && !s.attrs.type);
    const bobSeesAlice = nextStanza(b, (s) => s.is("presence") && s.attrs.from?.startsWith(`${alice.jid}/`) === true && !s.attrs.type);
    await a.send(xml("presence"));
    await b.send(xml("presence"));
    const [bobPresence, alicePresence] = await Promise.all([aliceSeesBob, bobSeesAlice]);
    const bobFull = bobPresence.attrs.from!;
    expect(alicePresence.attrs.from).toBe(a.jid!.toString());

    // XEP-0353 ringing crosses nodes both ways (to the bare JID, then back to the full JID).
    const proposed = nextStanza(b, (s) => s.is("message") && s.getChild("propose", NS_JMI) !== undefined);
    await a.send(jmiMessage(bob.jid, "propose", "cluster-call-1", { media: ["audio", "video"] }));
    expect((await proposed).attrs.from).toBe(a.jid!.toString());
    const proceeded = nextStanza(a, (s) => s.is("message") && s.getChild("proceed", NS_JMI) !== undefined);
    await b.send(jmiMessage(a.jid!.toString(), "proceed", "cluster-call-1"));
    expect((await proceeded).attrs.from).toBe(bobFull);

    // A real Chromium offer as Jingle (several KB) arrives on the other node unchanged.
    const jingle = sdpToJingle(OFFER, { action: "session-initiate", sid: "cluster-call-1", role: "initiator", initiator: a.jid!.toString() });
    const received = nextStanza(b, (s) => s.is("iq") && s.getChild("jingle", NS_JINGLE) !== undefined);
    b.iqCallee.set(NS_JINGLE, "jingle", () => true);
    const result = a.iqCaller.request(xml("iq", { to: bobFull, type: "set" }, jingle), 10_000);
    const iq = await received;
    expect(jingle.toString().length).toBeGreaterThan(3000);
    expect(iq.getChild("jingle", NS_JINGLE)!.toString()).toBe(jingle.toString());
    expect((await result).attrs.type).toBe("result");
  });
});

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import type { Element } from "@xmpp/xml";
import { jmiMessage } from "../../client/src/xmpp/jmi.ts";
import { XmppConnection } from "../../client/src/xmpp/connection.ts";
import { NS_JMI } from "../../client/src/xmpp/ns.ts";
import { startTcpBalancer, startTestCluster, type TcpBalancer, type TestCluster } from "../support/cluster.ts";
import { installWebSocket } from "../support/xmpp.ts";

let tc: TestCluster;
let balancer: TcpBalancer;
const connections: XmppConnection[] = [];

beforeAll(async () => {
  tc = await startTestCluster(2);
  installWebSocket(tc);
  balancer = await startTcpBalancer(tc.nodes.map((n) => n.httpsPort));
});
afterAll(async () => {
  for (const c of connections) await c.stop();
  await balancer?.close();
  await tc?.stop();
});

function next(connection: XmppConnection, matches: (s: Element) => boolean, timeoutMs = 15_000): Promise<Element> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no matching stanza within ${timeoutMs} ms`)), timeoutMs);
    const off = connection.on("stanza", (s) => {
      if (!matches(s)) return;
      clearTimeout(timer);
      off();
      resolve(s);
    });
  });
}

const isProposeFrom = (jid: string) => (s: Element) => s.is("message") && s.attrs.from === jid && s.getChild("propose", NS_JMI) !== undefined;

describe("losing a cluster node", () => {
  it("clients of a crashed node reconnect through the balancer to the surviving node, see presence and ring each other again", async () => {
    const [alice, bob] = [await tc.createAccount(), await tc.createAccount()];
    await tc.makeContacts(alice.username, bob.username);
    const service = `wss://localhost:${balancer.port}/ws`;
    const fastRetry = { baseMs: 200, capMs: 1_000, floorMs: 100 };
    // Round robin: alice lands on node 1, bob on node 2.
    const a = await XmppConnection.connect({ service, jid: alice.jid, password: alice.password, resource: "web", backoff: fastRetry });
    const b = await XmppConnection.connect({ service, jid: bob.jid, password: bob.password, resource: "web", backoff: fastRetry });
    connections.push(a, b);
    expect([...balancer.active().values()]).toEqual([1, 1]);
    await a.send(xml("presence"));
    await b.send(xml("presence"));

    const rung = next(b, isProposeFrom(a.jid));
    await a.send(jmiMessage(bob.jid, "propose", "before-crash", { media: ["audio"] }));
    await rung;

    const reconnected = new Promise<{ resumed: boolean }>((resolve) => a.once("online", resolve));
    const bobSeesAliceAgain = next(b, (s) => s.is("presence") && s.attrs.from?.startsWith(`${alice.jid}/`) === true && !s.attrs.type, 30_000);
    await tc.cluster.stopNode(tc.nodes[0]!.nodeName, { kill: true });
    // Resumption (XEP-0198) is impossible: the session died with its node. A fresh one starts on node 2.
    expect((await reconnected).resumed).toBe(false);
    expect(a.state).toBe("online");
    expect([...balancer.active().values()]).toEqual([0, 2]);
    await a.send(xml("presence"));
    await bobSeesAliceAgain;

    // The fresh session may first re-send the earlier propose (XEP-0198 could not tell whether the
    // dead node had received it): a duplicate, which clients ignore by its id.
    const rungAgain = next(b, (s) => isProposeFrom(a.jid)(s) && s.getChild("propose", NS_JMI)?.attrs.id === "after-crash");
    await a.send(jmiMessage(bob.jid, "propose", "after-crash", { media: ["audio", "video"] }));
    expect((await rungAgain).getChild("propose", NS_JMI)!.getChildren("description").map((d) => d.attrs.media)).toEqual(["audio", "video"]);
    const answered = next(a, (s) => s.is("message") && s.getChild("proceed", NS_JMI) !== undefined);
    await b.send(jmiMessage(a.jid, "proceed", "after-crash"));
    expect((await answered).attrs.from).toBe(b.jid);
  });
});

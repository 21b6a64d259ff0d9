import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectToEndpoint, startTestCluster, type TestCluster } from "../support/cluster.ts";

let tc: TestCluster;

beforeAll(async () => {
  tc = await startTestCluster(2);
});
afterAll(async () => {
  await tc?.stop();
});

describe("cluster data (Mnesia replicated on every node)", () => {
  it("accounts and rosters made through node 1 survive node 1's crash: node 2 lists them and signs the user in", async () => {
    const [alice, bob] = [await tc.createAccount(), await tc.createAccount()];
    await tc.instance(1).makeContacts(alice.username, bob.username);

    await tc.cluster.stopNode(tc.nodes[0]!.nodeName, { kill: true });

    const survivor = tc.instance(2);
    expect(await survivor.registeredUsers()).toEqual(expect.arrayContaining([alice.username, bob.username]));
    expect(await survivor.roster(alice.username)).toEqual([expect.objectContaining({ jid: bob.jid, subscription: "both" })]);
    const session = await connectToEndpoint(tc, tc.nodes[1]!.wsUrl, alice);
    expect(session.jid?.bare().toString()).toBe(alice.jid);
    await session.stop();
  });

  it("a node that comes back after a crash catches up with what changed while it was away", async () => {
    // Node 1 is still down from the previous test: these are made on node 2 only.
    const [carol, dave] = [await tc.createAccount(), await tc.createAccount()];
    await tc.instance(2).makeContacts(carol.username, dave.username);
    await tc.cluster.startNode(tc.nodes[0]!.nodeName);
    const back = tc.instance(1);
    expect(await back.registeredUsers()).toEqual(expect.arrayContaining([carol.username, dave.username]));
    expect(await back.roster(carol.username)).toEqual([expect.objectContaining({ jid: dave.jid, subscription: "both" })]);
    expect((await back.api<string[]>("list_cluster", {})).sort()).toEqual(tc.nodes.map((n) => n.nodeName).sort());
  });
});

// A two-node cluster on shared SQL storage (issue 19), as docker-compose.cluster.yml runs
// it: both nodes use one PostgreSQL (new schema) for accounts and rosters, while Mnesia
// only carries what ejabberd keeps in memory. What one node wrote, the other serves even
// while the writer is down.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectToEndpoint, startTestCluster, type TestCluster } from "../support/cluster.ts";

let tc: TestCluster;

beforeAll(async () => {
  tc = await startTestCluster(2, "localhost", undefined, { db: "postgres" });
}, 180_000);
afterAll(async () => {
  await tc?.stop();
}, 60_000);

describe("cluster on shared PostgreSQL", () => {
  it("an account and roster made through node 1 are in the database and served by node 2 while node 1 is down", async () => {
    const [alice, bob] = [await tc.createAccount(), await tc.createAccount()];
    await tc.instance(1).makeContacts(alice.username, bob.username);
    expect(tc.postgres!.query(`SELECT jid, subscription FROM rosterusers WHERE username = '${alice.username}'`)).toEqual([`${bob.jid}|B`]);

    await tc.cluster.stopNode(tc.nodes[0]!.nodeName, { kill: true });
    const survivor = tc.instance(2);
    expect(await survivor.roster(alice.username)).toEqual([expect.objectContaining({ jid: bob.jid, subscription: "both" })]);
    const session = await connectToEndpoint(tc, tc.nodes[1]!.wsUrl, alice);
    expect(session.jid?.bare().toString()).toBe(alice.jid);
    await session.stop();
  }, 60_000);
});

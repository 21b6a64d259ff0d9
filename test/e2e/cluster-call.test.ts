import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { LaunchedBrowser } from "../support/chromium.ts";
import { startAppServer, type AppServer } from "../support/app-server.ts";
import { callStatus, framesDecoded, iceStates, signInPage, waitUntilCallable } from "../support/call-page.ts";
import { startTestCluster, type TestCluster } from "../support/cluster.ts";

let tc: TestCluster;
/** One web app per node, each proxying its same-origin /ws to that node. */
let apps: AppServer[] = [];
const browsers: LaunchedBrowser[] = [];

beforeAll(async () => {
  tc = await startTestCluster(2);
  apps = [await startAppServer(tc.nodes[0]!.wsLoopbackUrl), await startAppServer(tc.nodes[1]!.wsLoopbackUrl)];
});
afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  for (const app of apps) await app.close();
  await tc?.stop();
});

describe("a browser call across cluster nodes", () => {
  it("alice signed in on node 1 video-calls bob signed in on node 2: ICE connects and both decode video", async () => {
    const [alice, bob] = [await tc.createAccount(), await tc.createAccount()];
    await tc.makeContacts(alice.username, bob.username);
    const pa = await signInPage(apps[0]!.url, alice, browsers);
    const pb = await signInPage(apps[1]!.url, bob, browsers);
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pb, alice);

    await pa.getByRole("button", { name: new RegExp(`^Video call ${bob.username}`) }).click();
    await pb.getByRole("button", { name: "Accept with video" }).click({ timeout: 15_000 });
    await expect.poll(() => callStatus(pa), { timeout: 20_000 }).toBe("Connected");
    await expect.poll(() => callStatus(pb), { timeout: 20_000 }).toBe("Connected");
    for (const page of [pa, pb]) {
      await expect.poll(async () => (await iceStates(page)).some((s) => s === "connected" || s === "completed"), { timeout: 10_000 }).toBe(true);
      const before = await framesDecoded(page);
      await expect.poll(() => framesDecoded(page), { timeout: 10_000 }).toBeGreaterThan(before + 10);
    }
    await pa.getByRole("button", { name: "Hang up" }).click();
    await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Call ended");
  });
});

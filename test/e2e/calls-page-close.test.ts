import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callStatus, startCallWorld, videoCallConnected, type CallWorld } from "../support/call-page.ts";

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

describe("leaving the page during a call", () => {
  it("bob reloads his tab mid-call: alice's call ends at once as ended, not failed after ICE gives up", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob);
    try {
      await videoCallConnected(pa, pb, bob);
      await pb.reload();
      // Without the pagehide handler alice would see "Reconnecting…" and, 30 s later, "Call failed".
      await expect.poll(() => callStatus(pa), { timeout: 8_000 }).toBe("Call ended");
    } finally {
      await world.closeBrowsers();
    }
  });

  it("bob closes his tab mid-call: alice's call ends as ended", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob);
    try {
      await videoCallConnected(pa, pb, bob);
      await pb.close({ runBeforeUnload: true });
      await expect.poll(() => callStatus(pa), { timeout: 8_000 }).toBe("Call ended");
    } finally {
      await world.closeBrowsers();
    }
  });
});

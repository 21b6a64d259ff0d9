import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { callStatus, framesGrow, jingleReceived, startCallWorld, videoCallConnected, waitUntilCallable, type CallWorld } from "../support/call-page.ts";
import { WIRE_TAP_SCRIPT } from "../support/app-server.ts";

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

const localLabel = (page: Page) => page.evaluate(() => ((document.querySelector("video.local") as HTMLVideoElement).srcObject as MediaStream).getVideoTracks()[0]?.label ?? "");
const sentLabel = (page: Page) =>
  page.evaluate(() => (globalThis.__peerConnections ?? []).filter((pc) => pc.connectionState !== "closed").flatMap((pc) => pc.getSenders()).find((s) => s.track?.kind === "video")?.track?.label ?? "");

describe("screen sharing", () => {
  it("alice shares her screen in place of her camera (self-view shows it, bob receives it, no Jingle), and the browser's stop-sharing brings her camera back", async () => {
    const { alice, bob } = await world.pair();
    // Chromium's fake UI picks the capture source itself ("Entire screen" of the headless display).
    const pa = await world.signIn(alice, { chromiumArgs: ["--auto-select-desktop-capture-source=Entire screen"], viewport: { width: 1000, height: 700 } });
    const pb = await world.signIn(bob, { initScripts: [WIRE_TAP_SCRIPT] });
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pb, alice);
    try {
      await videoCallConnected(pa, pb, bob);
      const camera = await localLabel(pa);
      await jingleReceived(pb, true);
      await pa.getByRole("button", { name: "Share screen" }).click();
      await expect.poll(() => pa.getByRole("button", { name: "Stop sharing" }).count(), { timeout: 10_000 }).toBe(1);
      const shared = await localLabel(pa);
      expect(shared).not.toBe(camera);
      expect(await sentLabel(pa)).toBe(shared);
      await framesGrow(pb, "bob receives alice's screen");
      await pa.screenshot({ path: "/tmp/screen-sharing.png" });
      await pb.screenshot({ path: "/tmp/screen-shared-peer.png" });
      // The browser's "Stop sharing" bar ends the capture track.
      await pa.evaluate(() => {
        const track = ((document.querySelector("video.local") as HTMLVideoElement).srcObject as MediaStream).getVideoTracks()[0]!;
        track.stop();
        track.dispatchEvent(new Event("ended"));
      });
      await expect.poll(() => pa.getByRole("button", { name: "Share screen" }).count(), { timeout: 10_000 }).toBe(1);
      expect(await localLabel(pa)).toBe(camera);
      expect(await sentLabel(pa)).toBe(camera);
      await framesGrow(pb, "bob sees alice's camera again");
      expect(await jingleReceived(pb), "sharing is a track swap: nothing signalled").toEqual([]);
      await pa.screenshot({ path: "/tmp/screen-share-stopped.png" });
      await pa.getByRole("button", { name: "Hang up" }).click();
    } finally {
      await world.closeBrowsers();
    }
  }, 120_000);
  it("alice stops her video (content-modify) while sharing: sharing ends with it, and turning video on again sends her camera, not the screen", async () => {
    const { alice, bob } = await world.pair();
    const pa = await world.signIn(alice, { chromiumArgs: ["--auto-select-desktop-capture-source=Entire screen"] });
    const pb = await world.signIn(bob);
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pb, alice);
    try {
      await pa.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) }).click();
      await pb.getByRole("button", { name: "Accept", exact: true }).click({ timeout: 15_000 });
      await expect.poll(() => callStatus(pa), { timeout: 20_000 }).toBe("Connected");
      await pa.getByRole("button", { name: "Add video" }).click();
      await pb.getByRole("button", { name: "Accept video" }).click({ timeout: 10_000 });
      await framesGrow(pb, "bob decodes alice's camera");
      const camera = await localLabel(pa);
      await pa.getByRole("button", { name: "Share screen" }).click();
      await expect.poll(() => pa.getByRole("button", { name: "Stop sharing" }).count(), { timeout: 10_000 }).toBe(1);
      await pa.getByRole("button", { name: "Stop video" }).click();
      await expect.poll(() => pa.getByRole("button", { name: "Add video" }).count(), { timeout: 10_000 }).toBe(1);
      expect(await pa.getByRole("button", { name: "Stop sharing" }).count(), "no stale sharing state once the video is stopped").toBe(0);
      await pa.getByRole("button", { name: "Add video" }).click();
      await expect.poll(() => pa.getByRole("button", { name: "Share screen" }).count(), { timeout: 15_000 }).toBe(1);
      await expect.poll(() => sentLabel(pa), { timeout: 10_000 }).toBe(camera);
      await framesGrow(pb, "bob sees alice's camera again");
      await pa.getByRole("button", { name: "Hang up" }).click();
    } finally {
      await world.closeBrowsers();
    }
  }, 120_000);
});

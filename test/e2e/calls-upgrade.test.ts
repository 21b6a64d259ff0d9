// An audio call between two copies of the web app upgraded to video (XEP-0166 content-add /
// content-accept) and back (content-modify), in real Chromium with fake camera/microphone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { audioCallConnected, callStatus, framesDecoded, framesGrow, startCallWorld, type CallWorld } from "../support/call-page.ts";

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

/** Video m-lines actually sending (the fake camera) on the page's open peer connections. */
function videoSending(page: Page): Promise<boolean> {
  return page.evaluate(() =>
    (globalThis.__peerConnections ?? []).some((pc: RTCPeerConnection) =>
      pc.connectionState !== "closed" &&
      pc.getTransceivers().some((t) => t.sender.track?.kind === "video" && t.sender.track.readyState === "live" && (t.currentDirection === "sendrecv" || t.currentDirection === "sendonly")),
    ),
  );
}

/** The page's camera delivers its stream `ms` late from now on; cameraOpen() says whether it did. */
function slowCamera(page: Page, ms: number): Promise<void> {
  return page.evaluate((delay) => {
    const w = window as unknown as { __cameraOpen: boolean };
    w.__cameraOpen = false;
    const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
    navigator.mediaDevices.getUserMedia = async (constraints) => {
      const stream = await open(constraints);
      if (!constraints?.video) return stream;
      await new Promise((resolve) => setTimeout(resolve, delay));
      w.__cameraOpen = true;
      return stream;
    };
  }, ms);
}

const cameraOpen = (page: Page) => page.evaluate(() => (window as unknown as { __cameraOpen: boolean }).__cameraOpen);

describe("an audio call upgraded to video and back", () => {
  it("alice adds video, bob accepts: frames are decoded on both sides; both turn the camera off: no video is sent, audio goes on", async () => {
    const { alice, bob } = await world.pair();
    try {
      const [a, b] = await world.signInPair(alice, bob);
      await audioCallConnected(a, b, bob);
      expect(await framesDecoded(a)).toBe(0);

      await a.getByRole("button", { name: "Add video" }).click();
      await expect.poll(() => b.getByRole("status", { name: "Call notice" }).textContent(), { timeout: 10_000 }).toMatch(/wants to turn on video/);
      await b.getByRole("button", { name: "Accept video" }).click();
      await framesGrow(a, "alice decodes bob's video");
      await framesGrow(b, "bob decodes alice's video");
      await expect.poll(() => a.getByRole("button", { name: "Stop video" }).isVisible()).toBe(true);
      expect(await a.getByLabel(`Video of ${bob.username}`).isVisible()).toBe(true);

      await a.getByRole("button", { name: "Stop video" }).click();
      await b.getByRole("button", { name: "Stop video" }).click({ timeout: 10_000 });
      await expect.poll(() => videoSending(a), { timeout: 10_000 }).toBe(false);
      await expect.poll(() => videoSending(b), { timeout: 10_000 }).toBe(false);
      await expect.poll(() => a.getByRole("button", { name: "Add video" }).isVisible(), { timeout: 10_000 }).toBe(true);
      expect(await callStatus(a)).toBe("Connected");
      expect(await callStatus(b)).toBe("Connected");
      await a.getByRole("button", { name: "Hang up" }).click();
      await expect.poll(() => callStatus(b), { timeout: 10_000 }).toBe("Call ended");
    } finally {
      await world.closeBrowsers();
    }
  }, 80_000);

  it("cameras slow to open (as real ones, or a permission prompt): bob is asked before alice's camera opened, his acceptance does not wait for his, and each video follows its camera", async () => {
    const { alice, bob } = await world.pair();
    try {
      const [a, b] = await world.signInPair(alice, bob);
      await audioCallConnected(a, b, bob);
      // From now on alice's camera takes 2 s to deliver its stream, bob's 6 s.
      await slowCamera(a, 2_000);
      await slowCamera(b, 6_000);
      await a.getByRole("button", { name: "Add video" }).click();
      await expect.poll(() => b.getByRole("status", { name: "Call notice" }).textContent(), { timeout: 10_000 }).toMatch(/wants to turn on video/);
      expect(await cameraOpen(a)).toBe(false);
      await b.getByRole("button", { name: "Accept video" }).click();
      await expect.poll(() => framesDecoded(b), { timeout: 10_000, message: "bob decodes alice's video" }).toBeGreaterThan(0);
      expect(await cameraOpen(a)).toBe(true);
      expect(await cameraOpen(b)).toBe(false);
      await framesGrow(a, "alice decodes bob's video once his camera opened", { timeoutMs: 20_000 });
      expect(await cameraOpen(b)).toBe(true);
      expect(await videoSending(a)).toBe(true);
      expect(await videoSending(b)).toBe(true);
      await a.getByRole("button", { name: "Hang up" }).click();
      await expect.poll(() => callStatus(b), { timeout: 10_000 }).toBe("Call ended");
    } finally {
      await world.closeBrowsers();
    }
  }, 80_000);
});

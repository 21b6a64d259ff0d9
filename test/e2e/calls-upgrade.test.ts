// An audio call between two copies of the web app upgraded to video (XEP-0166 content-add /
// content-accept) and back (content-modify), in real Chromium with fake camera/microphone.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";
import type { LaunchedBrowser } from "../support/chromium.ts";
import { startAppServer, type AppServer } from "../support/app-server.ts";
import { callStatus, framesDecoded, signInPage, waitUntilCallable } from "../support/call-page.ts";

let server: TestServer;
let app: AppServer;
let browsers: LaunchedBrowser[] = [];

beforeAll(async () => {
  server = await startTestServer();
  app = await startAppServer(server.wsLoopbackUrl);
});
afterAll(async () => {
  await app?.close();
  await server?.stop();
});

/** Video m-lines actually sending (the fake camera) on the page's open peer connections. */
function videoSending(page: Page): Promise<boolean> {
  return page.evaluate(() =>
    (globalThis.__peerConnections ?? []).some((pc: RTCPeerConnection) =>
      pc.connectionState !== "closed" &&
      pc.getTransceivers().some((t) => t.sender.track?.kind === "video" && t.sender.track.readyState === "live" && (t.currentDirection === "sendrecv" || t.currentDirection === "sendonly")),
    ),
  );
}

async function growing(page: Page, what: string) {
  const before = await framesDecoded(page);
  await expect.poll(() => framesDecoded(page), { timeout: 15_000, message: what }).toBeGreaterThan(before + 10);
}

describe("an audio call upgraded to video and back", () => {
  it("alice adds video, bob accepts: frames are decoded on both sides; both turn the camera off: no video is sent, audio goes on", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    try {
      const a = await signInPage(app.url, alice, browsers);
      const b = await signInPage(app.url, bob, browsers);
      await waitUntilCallable(a, bob);
      await waitUntilCallable(b, alice);
      await a.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) }).click();
      await b.getByRole("button", { name: "Accept", exact: true }).click({ timeout: 15_000 });
      await expect.poll(() => callStatus(a), { timeout: 20_000 }).toBe("Connected");
      await expect.poll(() => callStatus(b), { timeout: 20_000 }).toBe("Connected");
      expect(await framesDecoded(a)).toBe(0);

      await a.getByRole("button", { name: "Add video" }).click();
      await expect.poll(() => b.getByRole("status", { name: "Call notice" }).textContent(), { timeout: 10_000 }).toMatch(/wants to turn on video/);
      await b.getByRole("button", { name: "Accept video" }).click();
      await growing(a, "alice decodes bob's video");
      await growing(b, "bob decodes alice's video");
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
      await Promise.all(browsers.map((br) => br.close()));
      browsers = [];
    }
  }, 80_000);
});

import { createServer } from "node:net";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { wireFrames } from "./app-server.ts";
import { launchChromium, type LaunchedBrowser } from "./chromium.ts";
import type { TestAccount } from "./ejabberd.ts";

/** Driving the web app's call screens in Chromium, for browser tests that make calls. */

/** Opens the app at appUrl in a fresh browser and signs the account in; the browser is added to `browsers`. */
export async function signInPage(appUrl: string, account: TestAccount, browsers: LaunchedBrowser[]): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(appUrl);
  await page.getByLabel("XMPP address").fill(account.jid);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  return page;
}

/** Waits until the page can video-call the contact (its presence and caps are known). */
export async function waitUntilCallable(page: Page, contact: TestAccount, timeoutMs = 20_000): Promise<void> {
  const callButton = page.getByRole("button", { name: new RegExp(`^Video call ${contact.username}`) });
  await expect.poll(() => callButton.isEnabled().catch(() => false), { timeout: timeoutMs }).toBe(true);
}

export const callStatus = (page: Page): Promise<string | null> => page.getByRole("status", { name: "Call status" }).textContent();

/** The XMPP connection's state as the page shows it ("Connected", "Connection lost, reconnecting…"). */
export const connectionLabel = (page: Page): Promise<string | null> => page.getByRole("status", { name: "Connection" }).textContent();

/** The Jingle iq sets that reached the page (recorded by WIRE_TAP_SCRIPT) since the record was last cleared. */
export async function jingleReceived(page: Page, clear = false): Promise<string[]> {
  return (await wireFrames(page, clear))
    .filter((f) => f.dir === "in" && f.data.startsWith("<iq") && /type=["']set["']/.test(f.data) && f.data.includes("urn:xmpp:jingle:1"))
    .map((f) => f.data);
}

/** A loopback port nothing listens on: connections to it are refused. */
export async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", resolve));
  const address = probe.address();
  await new Promise((resolve) => probe.close(resolve));
  if (!address || typeof address === "string") throw new Error("no TCP address");
  return address.port;
}

/**
 * Init script: `window.__cutWebSocket(ms)` closes the page's open WebSockets and, for `ms`,
 * points every new one at a closed port, so reconnection attempts are refused at the socket
 * level like during a network outage. `window.__refuseWebSockets(ms)` only refuses new ones
 * (0 ends the refusal).
 */
export const cutScript = (refusedPort: number): string => `(() => {
  const Native = window.WebSocket;
  const open = new Set();
  let blockedUntil = 0;
  class Cuttable extends Native {
    constructor(url, protocols) {
      super(Date.now() < blockedUntil ? "ws://127.0.0.1:${refusedPort}/" : url, protocols);
      open.add(this);
      this.addEventListener("close", () => open.delete(this));
    }
  }
  window.WebSocket = Cuttable;
  window.__refuseWebSockets = (ms) => {
    blockedUntil = Date.now() + ms;
  };
  window.__cutWebSocket = (ms) => {
    window.__refuseWebSockets(ms);
    for (const socket of open) socket.close();
  };
})();`;

/** Cuts the page's WebSockets for `ms` (the page needs cutScript). */
export function cutWebSocket(page: Page, ms: number): Promise<void> {
  return page.evaluate((ms) => (window as unknown as { __cutWebSocket(ms: number): void }).__cutWebSocket(ms), ms);
}

/** Refuses the page's new WebSockets for `ms`, 0 to stop refusing (the page needs cutScript). */
export function refuseWebSockets(page: Page, ms: number): Promise<void> {
  return page.evaluate((ms) => (window as unknown as { __refuseWebSockets(ms: number): void }).__refuseWebSockets(ms), ms);
}

/** Video frames decoded so far on the page's open peer connections. */
export async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let frames = 0;
    for (const pc of globalThis.__peerConnections ?? []) {
      if (pc.connectionState === "closed") continue;
      (await pc.getStats()).forEach((r: { type: string; kind?: string; framesDecoded?: number }) => {
        if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded ?? 0;
      });
    }
    return frames;
  });
}

/** ICE connection states of the page's peer connections. */
export function iceStates(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis.__peerConnections ?? []).map((pc: RTCPeerConnection) => pc.iceConnectionState));
}

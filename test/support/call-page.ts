import type { Page } from "playwright-core";
import { expect } from "vitest";
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

import { createServer } from "node:net";
import type { Page } from "playwright-core";
import { expect } from "vitest";
import { startAppServer, wireFrames, type AppServer } from "./app-server.ts";
import { launchChromium, type BrowserKind, type LaunchedBrowser } from "./chromium.ts";
import { startTestServer, type TestAccount, type TestServer } from "./ejabberd.ts";
import { launchFirefox } from "./firefox.ts";

/** Driving the web app's call screens in Chromium or Firefox, for browser tests that make calls. */

export interface PageOptions {
  /** Scripts the page runs before the app's own (WIRE_TAP_SCRIPT, cutScript…). */
  initScripts?: string[];
  viewport?: { width: number; height: number };
  /** The browser of this device: Chromium unless said otherwise. */
  browser?: BrowserKind;
  /** Extra Chromium flags (e.g. more fake devices: --use-fake-device-for-media-stream=device-count=2). */
  chromiumArgs?: string[];
}

/** Opens the app at appUrl in a fresh browser (one device), signed out; the browser is added to `browsers`. */
async function openAppPage(appUrl: string, browsers: LaunchedBrowser[], options: PageOptions = {}): Promise<Page> {
  const browser = options.browser === "firefox" ? await launchFirefox() : await launchChromium({ args: options.chromiumArgs ?? [] });
  browsers.push(browser);
  for (const script of options.initScripts ?? []) await browser.context.addInitScript(script);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  if (options.viewport) await page.setViewportSize(options.viewport);
  await page.goto(appUrl);
  return page;
}

/** Fills in and submits the sign-in form of a page showing it. */
export async function submitSignIn(page: Page, account: TestAccount): Promise<void> {
  await page.getByLabel("XMPP address").fill(account.jid);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

/** Opens the app at appUrl in a fresh browser and signs the account in; the browser is added to `browsers`. */
export async function signInPage(appUrl: string, account: TestAccount, browsers: LaunchedBrowser[], options: PageOptions = {}): Promise<Page> {
  const page = await openAppPage(appUrl, browsers, options);
  await submitSignIn(page, account);
  return page;
}

/** A test ejabberd, the web app in front of it, and the browsers a test file opens on it. */
export interface CallWorld {
  readonly server: TestServer;
  readonly app: AppServer;
  /** A fresh browser (one device) with the app open, signed out. */
  openApp(options?: PageOptions): Promise<Page>;
  /** A fresh browser (one device) with the account signed in. */
  signIn(account: TestAccount, options?: PageOptions): Promise<Page>;
  /** Alice then bob sign in, each in a fresh browser; resolves once each can video-call the other. */
  signInPair(alice: TestAccount, bob: TestAccount, options?: { alice?: PageOptions; bob?: PageOptions }): Promise<[Page, Page]>;
  /** Two new accounts that are each other's contacts. */
  pair(): Promise<{ alice: TestAccount; bob: TestAccount }>;
  /** Closes the browsers opened so far (their peer connections first). */
  closeBrowsers(): Promise<void>;
  /** Closes the browsers, then stops the app server and ejabberd. */
  close(): Promise<void>;
}

/** Starts a test ejabberd (startTestServer) and the web app proxying to it. */
export async function startCallWorld(): Promise<CallWorld> {
  const server = await startTestServer();
  let app: AppServer;
  try {
    app = await startAppServer(server.wsLoopbackUrl);
  } catch (error) {
    await server.stop();
    throw error;
  }
  let browsers: LaunchedBrowser[] = [];
  const world: CallWorld = {
    server,
    app,
    openApp: (options) => openAppPage(app.url, browsers, options),
    signIn: (account, options) => signInPage(app.url, account, browsers, options),
    async signInPair(alice, bob, options = {}) {
      const pages: [Page, Page] = [await world.signIn(alice, options.alice), await world.signIn(bob, options.bob)];
      await waitUntilCallable(pages[0], bob);
      await waitUntilCallable(pages[1], alice);
      return pages;
    },
    async pair() {
      const [alice, bob] = [await server.createAccount(), await server.createAccount()];
      await server.makeContacts(alice.username, bob.username);
      return { alice, bob };
    },
    async closeBrowsers() {
      const closing = browsers;
      browsers = [];
      await Promise.all(closing.map((b) => b.close()));
    },
    async close() {
      await world.closeBrowsers();
      await app.close();
      await server.stop();
    },
  };
  return world;
}

/** Waits until the page can video-call the contact (its presence and caps are known). */
export async function waitUntilCallable(page: Page, contact: TestAccount, timeoutMs = 20_000): Promise<void> {
  const callButton = page.getByRole("button", { name: new RegExp(`^Video call ${contact.username}`) });
  await expect.poll(() => callButton.isEnabled().catch(() => false), { timeout: timeoutMs }).toBe(true);
}

export const callStatus = (page: Page): Promise<string | null> => page.getByRole("status", { name: "Call status" }).textContent();

/** The caller voice-calls the callee, who accepts; resolves once both call screens say "Connected". */
export async function audioCallConnected(caller: Page, callee: Page, calleeAccount: TestAccount): Promise<void> {
  await caller.getByRole("button", { name: new RegExp(`^Audio call ${calleeAccount.username}`) }).click();
  await callee.getByRole("button", { name: "Accept", exact: true }).click({ timeout: 15_000 });
  await expect.poll(() => callStatus(caller), { timeout: 20_000 }).toBe("Connected");
  await expect.poll(() => callStatus(callee), { timeout: 20_000 }).toBe("Connected");
}

/** The caller video-calls the callee, who accepts with video; resolves once both call screens say "Connected". */
export async function videoCallConnected(caller: Page, callee: Page, calleeAccount: TestAccount): Promise<void> {
  await caller.getByRole("button", { name: new RegExp(`^Video call ${calleeAccount.username}`) }).click();
  await callee.getByRole("button", { name: "Accept with video" }).click({ timeout: 15_000 });
  await expect.poll(() => callStatus(caller), { timeout: 20_000 }).toBe("Connected");
  await expect.poll(() => callStatus(callee), { timeout: 20_000 }).toBe("Connected");
}

/** The XMPP connection's state as the page shows it ("Connected", "Connection lost, reconnecting…"). */
export const connectionLabel = (page: Page): Promise<string | null> => page.getByRole("status", { name: "Connection", exact: true }).textContent();

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

/**
 * Video frames decoded so far on the page's open peer connections. A getStats() still pending
 * when its connection closes never settles in Firefox 153: each call counts as empty after 3 s,
 * so a poll fails with its own message instead of hanging the test.
 */
export async function framesDecoded(page: Page): Promise<number> {
  return page.evaluate(async () => {
    let frames = 0;
    for (const pc of globalThis.__peerConnections ?? []) {
      if (pc.connectionState === "closed") continue;
      (await Promise.race([pc.getStats(), new Promise<RTCStatsReport>((resolve) => setTimeout(() => resolve(new Map() as RTCStatsReport), 3_000))])).forEach((r: { type: string; kind?: string; framesDecoded?: number }) => {
        if (r.type === "inbound-rtp" && r.kind === "video") frames += r.framesDecoded ?? 0;
      });
    }
    return frames;
  });
}

/**
 * Waits until the page has decoded more than `more` video frames beyond those it had. Firefox
 * restarts an inbound-rtp's framesDecoded at 0 when a receiver starts again (video stopped and
 * re-added): a drop counts as a restart, so progress is the sum of increases since the call.
 */
export async function framesGrow(page: Page, message: string, options: { more?: number; timeoutMs?: number } = {}): Promise<void> {
  let last = await framesDecoded(page);
  let progress = 0;
  await expect
    .poll(async () => {
      const now = await framesDecoded(page);
      progress += now >= last ? now - last : now;
      last = now;
      return progress;
    }, { timeout: options.timeoutMs ?? 15_000, message })
    .toBeGreaterThan(options.more ?? 10);
}

/** ICE connection states of the page's peer connections. */
export function iceStates(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis.__peerConnections ?? []).map((pc: RTCPeerConnection) => pc.iceConnectionState));
}

/**
 * Audio received so far on the page's open peer connections: RTP packets, decoded samples and energy
 * (Chromium and Firefox both report `totalSamplesReceived`; packets alone would also count
 * comfort noise of a muted peer, samples alone a concealed gap).
 */
export async function audioReceived(page: Page): Promise<{ packets: number; samples: number; energy: number }> {
  return page.evaluate(async () => {
    let packets = 0;
    let samples = 0;
    let energy = 0;
    for (const pc of globalThis.__peerConnections ?? []) {
      if (pc.connectionState === "closed") continue;
      // As in framesDecoded: a getStats() that never settles counts as empty.
      (await Promise.race([pc.getStats(), new Promise<RTCStatsReport>((resolve) => setTimeout(() => resolve(new Map() as RTCStatsReport), 3_000))])).forEach((r: { type: string; kind?: string; packetsReceived?: number; totalSamplesReceived?: number; totalAudioEnergy?: number }) => {
        if (r.type === "inbound-rtp" && r.kind === "audio") {
          packets += r.packetsReceived ?? 0;
          samples += r.totalSamplesReceived ?? 0;
          energy += r.totalAudioEnergy ?? 0;
        }
      });
    }
    return { packets, samples, energy };
  });
}

/** Waits until the page has received more than `morePackets` audio packets (and more samples) beyond those it had. */
export async function audioGrows(page: Page, message: string, options: { morePackets?: number; timeoutMs?: number } = {}): Promise<void> {
  const before = await audioReceived(page);
  await expect
    .poll(async () => {
      const now = await audioReceived(page);
      return now.packets > before.packets + (options.morePackets ?? 25) && now.samples > before.samples;
    }, { timeout: options.timeoutMs ?? 15_000, message })
    .toBe(true);
}

/** Waits until every open peer connection of the page is ICE-connected (or completed), and there is one. */
export async function iceConnected(page: Page, message: string, timeoutMs = 15_000): Promise<void> {
  const open = async () => (await iceStates(page)).filter((s) => s !== "closed");
  await expect.poll(async () => {
    const states = await open();
    return states.length > 0 && states.every((s) => s === "connected" || s === "completed");
  }, { timeout: timeoutMs, message }).toBe(true);
}

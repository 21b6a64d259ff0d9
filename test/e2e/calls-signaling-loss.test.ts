import { createServer } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";
import { launchChromium, type LaunchedBrowser } from "../support/chromium.ts";
import { startAppServer, WIRE_TAP_SCRIPT, wireFrames, type AppServer } from "../support/app-server.ts";
import { callStatus, framesDecoded, waitUntilCallable } from "../support/call-page.ts";

/**
 * Issue 8, signaling loss: alice's XMPP WebSocket is cut for 10 s during a video call, several
 * times in the same call. CALL_CUT_REPETITIONS (default 3) sets how many; the 20/20
 * figure is `CALL_CUT_REPETITIONS=20 npx vitest run --project e2e test/e2e/calls-signaling-loss.test.ts`.
 */
const REPETITIONS = Number(process.env.CALL_CUT_REPETITIONS ?? 3);
const CUT_MS = 10_000;
/** Reconnection after the cut waits for the client's backoff (jittered, up to 16 s by then). */
const BACK_ONLINE_MS = 45_000;

/** A loopback port nothing listens on: connections to it are refused. */
async function closedPort(): Promise<number> {
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
 * level like during a network outage.
 */
const cutScript = (refusedPort: number) => `(() => {
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
  window.__cutWebSocket = (ms) => {
    blockedUntil = Date.now() + ms;
    for (const socket of open) socket.close();
  };
})();`;

let server: TestServer;
let app: AppServer;
let browsers: LaunchedBrowser[] = [];

beforeAll(async () => {
  server = await startTestServer();
  app = await startAppServer(server.wsLoopbackUrl);
});
afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await app?.close();
  await server?.stop();
});

async function signIn(account: TestAccount, initScript: string): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  await browser.context.addInitScript(initScript);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(app.url);
  await page.getByLabel("XMPP address").fill(account.jid);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  return page;
}

const connectionLabel = (page: Page) => page.getByRole("status", { name: "Connection" }).textContent();

/** The Jingle iqs (action, payload names) that reached the page since the record was last cleared. */
async function jingleReceived(page: Page, clear = false): Promise<string[]> {
  return (await wireFrames(page, clear))
    .filter((f) => f.dir === "in" && f.data.startsWith("<iq") && /type=["']set["']/.test(f.data) && f.data.includes("urn:xmpp:jingle:1"))
    .map((f) => f.data);
}

describe("signaling loss during a call", () => {
  it(`alice's WebSocket cut for 10 s, ${REPETITIONS}× in one call: media keeps flowing, she sees reconnecting, comes back, an iq sent while offline arrives, and her hang-up ends bob's call with success`, { timeout: 60_000 + REPETITIONS * (CUT_MS + BACK_ONLINE_MS + 10_000) }, async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const pa = await signIn(alice, cutScript(await closedPort()));
    const pb = await signIn(bob, WIRE_TAP_SCRIPT);
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pb, alice);

    await pa.getByRole("button", { name: new RegExp(`^Video call ${bob.username}`) }).click();
    await pb.getByRole("button", { name: "Accept with video" }).click({ timeout: 15_000 });
    await expect.poll(() => callStatus(pa), { timeout: 20_000 }).toBe("Connected");
    await expect.poll(() => callStatus(pb), { timeout: 20_000 }).toBe("Connected");

    for (let round = 0; round < REPETITIONS; round++) {
      await jingleReceived(pb, true);
      const [a0, b0] = [await framesDecoded(pa), await framesDecoded(pb)];
      const cutAt = Date.now();
      await pa.evaluate((ms) => (window as unknown as { __cutWebSocket(ms: number): void }).__cutWebSocket(ms), CUT_MS);
      // The close handshake through the app server's proxy takes a moment.
      await expect.poll(() => callStatus(pa), { timeout: 5_000 }).toBe("Reconnecting…");
      expect(await connectionLabel(pa)).toBe("Connection lost, reconnecting…");
      // A Jingle iq sent while offline (session-info mute/unmute) must reach bob afterwards.
      const muting = round % 2 === 0;
      await pa.getByRole("button", { name: "Mute microphone" }).click();
      // Media is peer to peer: frames keep being decoded on both sides during the cut.
      await expect.poll(() => framesDecoded(pa), { timeout: 5_000 }).toBeGreaterThan(a0 + 30);
      await expect.poll(() => framesDecoded(pb), { timeout: 5_000 }).toBeGreaterThan(b0 + 30);
      const [a1, b1] = [await framesDecoded(pa), await framesDecoded(pb)];
      await pa.waitForTimeout(Math.max(0, cutAt + CUT_MS - 1_000 - Date.now()));
      expect(await framesDecoded(pa)).toBeGreaterThan(a1 + 30);
      expect(await framesDecoded(pb)).toBeGreaterThan(b1 + 30);
      expect(await callStatus(pa)).toBe("Reconnecting…");

      await expect.poll(() => connectionLabel(pa), { timeout: BACK_ONLINE_MS }).toBe("Connected");
      await expect.poll(() => callStatus(pa), { timeout: 5_000 }).toBe("Connected");
      expect(await callStatus(pb)).toBe("Connected");
      const payload = muting ? /<mute[ />]/ : /<unmute[ />]/;
      await expect
        .poll(async () => (await jingleReceived(pb)).some((iq) => /action=["']session-info["']/.test(iq) && payload.test(iq)), { timeout: 10_000 })
        .toBe(true);
    }

    await jingleReceived(pb, true);
    await pa.getByRole("button", { name: "Hang up" }).click();
    await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Call ended");
    const terminate = (await jingleReceived(pb)).find((iq) => /action=["']session-terminate["']/.test(iq));
    expect(terminate).toMatch(/<reason><success\/>/);
  });
});

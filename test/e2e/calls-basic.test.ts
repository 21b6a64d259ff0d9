import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";
import { launchChromium, type LaunchedBrowser } from "../support/chromium.ts";
import { startAppServer, type AppServer } from "../support/app-server.ts";
import { callStatus, framesDecoded } from "../support/call-page.ts";

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

async function closeBrowsers() {
  await Promise.all(browsers.map((b) => b.close()));
  browsers = [];
}

async function signIn(account: TestAccount): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(app.url);
  await page.getByLabel("XMPP address").fill(account.jid);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  return page;
}

/** Both sign in, then wait until each can call the other (presence and caps known). */
async function bothSignedIn(alice: TestAccount, bob: TestAccount): Promise<[Page, Page]> {
  const pages: [Page, Page] = [await signIn(alice), await signIn(bob)];
  for (const [page, contact] of [[pages[0], bob], [pages[1], alice]] as const) {
    const callButton = page.getByRole("button", { name: new RegExp(`^Video call ${contact.username}`) });
    await expect.poll(() => callButton.isEnabled().catch(() => false), { timeout: 20_000 }).toBe(true);
  }
  return pages;
}

async function pair() {
  const [alice, bob] = [await server.createAccount(), await server.createAccount()];
  await server.makeContacts(alice.username, bob.username);
  return { alice, bob };
}

describe("calls between two browsers", () => {
  it("alice calls bob with video, bob accepts: both connect, video frames are decoded on both sides, hang-up ends both", async () => {
    const { alice, bob } = await pair();
    const [pa, pb] = await bothSignedIn(alice, bob);
    try {
      await pa.getByRole("button", { name: new RegExp(`^Video call ${bob.username}`) }).click();
      await pb.getByRole("button", { name: "Accept with video" }).click({ timeout: 15_000 });
      await expect.poll(() => callStatus(pa), { timeout: 20_000 }).toBe("Connected");
      await expect.poll(() => callStatus(pb), { timeout: 20_000 }).toBe("Connected");
      const [a1, b1] = [await framesDecoded(pa), await framesDecoded(pb)];
      await expect.poll(() => framesDecoded(pa), { timeout: 10_000 }).toBeGreaterThan(a1 + 10);
      await expect.poll(() => framesDecoded(pb), { timeout: 10_000 }).toBeGreaterThan(b1 + 10);
      await pa.getByRole("button", { name: "Hang up" }).click();
      await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Call ended");
      expect(await callStatus(pa)).toBe("Call ended");
      await pb.getByRole("button", { name: "Close" }).click();
      await expect.poll(() => pb.getByRole("listitem", { name: new RegExp(`^Incoming video call from ${alice.username}.*, answered$`) }).count()).toBe(1);
    } finally {
      await closeBrowsers();
    }
  });

  it("bob declines: alice sees the call declined", async () => {
    const { alice, bob } = await pair();
    const [pa, pb] = await bothSignedIn(alice, bob);
    try {
      await pa.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) }).click();
      await pb.getByRole("button", { name: "Decline" }).click({ timeout: 15_000 });
      await expect.poll(() => callStatus(pa), { timeout: 10_000 }).toBe("Call declined");
    } finally {
      await closeBrowsers();
    }
  });

  it("alice cancels before bob answers: bob's call shows as missed", async () => {
    const { alice, bob } = await pair();
    const [pa, pb] = await bothSignedIn(alice, bob);
    try {
      await pa.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) }).click();
      await expect.poll(() => callStatus(pb), { timeout: 15_000 }).toBe("Incoming audio call");
      await pa.getByRole("button", { name: "Cancel" }).click();
      await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Missed call");
    } finally {
      await closeBrowsers();
    }
  });

  it("a call forced through TURN (relay-only) connects and video flows", async () => {
    const { alice, bob } = await pair();
    const [pa, pb] = await bothSignedIn(alice, bob);
    try {
      for (const p of [pa, pb]) await p.getByLabel(/Use relay only/).check();
      await pa.getByRole("button", { name: new RegExp(`^Video call ${bob.username}`) }).click();
      await pb.getByRole("button", { name: "Accept with video" }).click({ timeout: 15_000 });
      await expect.poll(() => callStatus(pa), { timeout: 25_000 }).toBe("Connected");
      const nominatedLocalTypes = () => pa.evaluate(async () => {
        const types: string[] = [];
        for (const pc of globalThis.__peerConnections ?? []) {
          const stats = await pc.getStats();
          stats.forEach((r: { type: string; state?: string; nominated?: boolean; localCandidateId?: string }) => {
            if (r.type === "candidate-pair" && r.state === "succeeded" && r.nominated) {
              const local = stats.get(r.localCandidateId!) as { candidateType?: string } | undefined;
              types.push(local?.candidateType ?? "");
            }
          });
        }
        return types;
      });
      // getStats() is cached for up to 50 ms and the nomination can trail the
      // "connected" state: wait until a nominated pair shows up, then check them all.
      await expect.poll(async () => (await nominatedLocalTypes()).length, { timeout: 5_000 }).toBeGreaterThan(0);
      const relayed = await nominatedLocalTypes();
      expect(relayed.every((t) => t === "relay")).toBe(true);
      const b1 = await framesDecoded(pb);
      await expect.poll(() => framesDecoded(pb), { timeout: 10_000 }).toBeGreaterThan(b1 + 10);
    } finally {
      await closeBrowsers();
    }
  });
});

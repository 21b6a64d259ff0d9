import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { mkdirSync } from "node:fs";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";
import { launchChromium, type LaunchedBrowser } from "../support/chromium.ts";
import { startAppServer, type AppServer } from "../support/app-server.ts";

let server: TestServer;
let app: AppServer;
let browsers: LaunchedBrowser[] = [];
const SHOTS = "test-results/screenshots";

beforeAll(async () => {
  server = await startTestServer();
  app = await startAppServer(server.wsLoopbackUrl);
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await app?.close();
  await server?.stop();
});

async function signIn(account: TestAccount): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.setViewportSize({ width: 1000, height: 700 });
  await page.goto(app.url);
  await page.getByLabel("XMPP address").fill(account.jid);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
  return page;
}

const callButton = (page: Page, kind: "Audio" | "Video", who: TestAccount) =>
  page.getByRole("button", { name: new RegExp(`^${kind} call ${who.username}`) });
const callStatus = (page: Page) => page.getByRole("status", { name: "Call status" }).textContent();
const canCall = (page: Page, who: TestAccount) => expect.poll(() => callButton(page, "Video", who).isEnabled().catch(() => false), { timeout: 20_000 }).toBe(true);

describe("calls with several devices and busy callees", () => {
  it("bob on two devices: both ring, the one that answers gets the call, the other stops ringing", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const pa = await signIn(alice);
    const [pb1, pb2] = [await signIn(bob), await signIn(bob)];
    await canCall(pa, bob);
    await canCall(pb2, alice);
    await callButton(pa, "Video", bob).click();
    await expect.poll(() => callStatus(pb1), { timeout: 15_000 }).toBe("Incoming video call");
    await expect.poll(() => callStatus(pb2), { timeout: 15_000 }).toBe("Incoming video call");
    await pb2.screenshot({ path: `${SHOTS}/incoming.png` });
    await pb2.getByRole("button", { name: "Accept with video" }).click();
    await expect.poll(() => callStatus(pb1), { timeout: 10_000 }).toBe("Answered on another device");
    await expect.poll(() => callStatus(pb2), { timeout: 20_000 }).toBe("Connected");
    await expect.poll(() => callStatus(pa), { timeout: 20_000 }).toBe("Connected");
    await pa.waitForTimeout(1500);
    await pa.screenshot({ path: `${SHOTS}/in-call.png` });
    await pa.getByRole("button", { name: "Hang up" }).click();
    await expect.poll(() => callStatus(pb2), { timeout: 10_000 }).toBe("Call ended");
  });

  it("a callee busy with another call answers busy", async () => {
    const [alice, bob, carol] = [await server.createAccount(), await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    await server.makeContacts(carol.username, bob.username);
    const [pa, pb, pc] = [await signIn(alice), await signIn(bob), await signIn(carol)];
    await canCall(pa, bob);
    await canCall(pc, bob);
    await callButton(pa, "Audio", bob).click();
    await pb.getByRole("button", { name: "Accept" }).click({ timeout: 15_000 });
    await expect.poll(() => callStatus(pa), { timeout: 20_000 }).toBe("Connected");
    await callButton(pc, "Audio", bob).click();
    await expect.poll(() => callStatus(pc), { timeout: 10_000 }).toBe("Call declined");
    expect(await pc.getByText("The other side is busy.").count()).toBe(1);
    await pc.screenshot({ path: `${SHOTS}/busy.png` });
    expect(await callStatus(pb)).toBe("Connected");
  });

  it("a contact who is offline cannot be called", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const pa = await signIn(alice);
    await expect.poll(() => pa.getByRole("listitem", { name: new RegExp(`^${bob.username}.*, Offline$`) }).count(), { timeout: 15_000 }).toBe(1);
    expect(await callButton(pa, "Audio", bob).isDisabled()).toBe(true);
    expect(await callButton(pa, "Video", bob).isDisabled()).toBe(true);
  });
});

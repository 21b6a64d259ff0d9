import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startTestServer, type TestAccount, type TestServer } from "../support/ejabberd.ts";
import { launchChromium, type LaunchedBrowser } from "../support/chromium.ts";
import { startAppServer, type AppServer } from "../support/app-server.ts";

let server: TestServer;
let app: AppServer;
const browsers: LaunchedBrowser[] = [];

beforeAll(async () => {
  server = await startTestServer();
  app = await startAppServer(server.wsLoopbackUrl);
});
afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await app?.close();
  await server?.stop();
});

async function signIn(page: Page, account: TestAccount): Promise<void> {
  await page.goto(app.url);
  await page.getByLabel("XMPP address").fill(account.jid);
  await page.getByLabel("Password").fill(account.password);
  await page.getByRole("button", { name: "Sign in" }).click();
}

async function newPage(): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  return browser.context.pages()[0] ?? (await browser.context.newPage());
}

const callStatus = (page: Page) => page.getByRole("status", { name: "Call status" }).textContent();
const historyItem = (page: Page, label: RegExp) => page.getByRole("region", { name: "Call history" }).getByRole("listitem", { name: label });

describe("call history after a reload", () => {
  it("a call made before shows again after each side reloads and signs in (restored from the server's archive)", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const [pa, pb] = [await newPage(), await newPage()];
    await signIn(pa, alice);
    await signIn(pb, bob);
    const callButton = pa.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) });
    await expect.poll(() => callButton.isEnabled().catch(() => false), { timeout: 20_000 }).toBe(true);
    await callButton.click();
    await pb.getByRole("button", { name: "Decline" }).click({ timeout: 15_000 });
    await expect.poll(() => callStatus(pa), { timeout: 10_000 }).toBe("Call declined");

    const placed = new RegExp(`^Outgoing audio call to ${bob.username}.*, declined$`);
    const received = new RegExp(`^Incoming audio call from ${alice.username}.*, declined$`);
    // A reload forgets everything the page knew: the history must come back from MAM.
    for (const [page, account, label] of [[pa, alice, placed], [pb, bob, received]] as const) {
      await page.reload();
      await signIn(page, account);
      await expect.poll(() => historyItem(page, label).count(), { timeout: 15_000 }).toBe(1);
      expect(await page.getByRole("region", { name: "Call history" }).getByRole("listitem").count()).toBe(1);
    }
  });
});

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

async function openApp(): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(app.url);
  return page;
}

async function signIn(page: Page, account: TestAccount, remember = true) {
  await page.getByLabel("XMPP address").fill(account.jid);
  await page.getByLabel("Password").fill(account.password);
  if (!remember) await page.getByLabel("Remember my address on this device").uncheck();
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe("signing in from the browser", () => {
  it("two contacts sign in and each sees the other online", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const [pa, pb] = [await openApp(), await openApp()];
    await signIn(pa, alice);
    await signIn(pb, bob);
    await expect.poll(() => pa.getByRole("listitem", { name: new RegExp(`^${bob.username}.*, Online$`) }).count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => pb.getByRole("listitem", { name: new RegExp(`^${alice.username}.*, Online$`) }).count(), { timeout: 15_000 }).toBe(1);
    expect(await pa.getByRole("status", { name: "Connection" }).textContent()).toBe("Connected");
    await expect.poll(() => pa.getByRole("button", { name: new RegExp(`^Video call ${bob.username}`) }).isEnabled()).toBe(true);
  });

  it("a wrong password shows an error and no contacts", async () => {
    const alice = await server.createAccount();
    const page = await openApp();
    await signIn(page, { ...alice, password: "nope" });
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 15_000 }).toContain("refused this address and password");
    expect(await page.getByRole("region", { name: "Contacts" }).count()).toBe(0);
  });

  it("remembers the address but never stores the password", async () => {
    const alice = await server.createAccount();
    const page = await openApp();
    await signIn(page, alice);
    await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 15_000 });
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    expect(stored).toContain(alice.jid);
    expect(stored).not.toContain(alice.password);
    await page.getByRole("button", { name: "Sign out" }).click();
    expect(await page.getByLabel("XMPP address").inputValue()).toBe(alice.jid);
  });
});

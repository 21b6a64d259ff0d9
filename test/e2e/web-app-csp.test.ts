// The production security headers (server-config/docker/nginx/default.conf.template) on the
// built web app: a user signs in and sees a contact with no Content-Security-Policy violation,
// so the policy protects without breaking the app.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { startAppServer, type AppServer } from "../support/app-server.ts";
import { launchChromium, type LaunchedBrowser } from "../support/chromium.ts";
import { startTestServer, type TestServer } from "../support/ejabberd.ts";
import { nginxServerHeaders } from "../support/nginx-headers.ts";
import { submitSignIn } from "../support/call-page.ts";

const RECORD_VIOLATIONS = `window.__csp = []; document.addEventListener("securitypolicyviolation", (e) => window.__csp.push(e.violatedDirective + " " + e.blockedURI));`;

let server: TestServer;
let app: AppServer;
const browsers: LaunchedBrowser[] = [];

beforeAll(async () => {
  server = await startTestServer();
  // Every server-level header but the CORS one, whose value is an nginx variable.
  const headers = Object.fromEntries([...nginxServerHeaders()].filter(([name]) => name !== "access-control-allow-origin"));
  app = await startAppServer(server.wsLoopbackUrl, { headers });
});
afterAll(async () => {
  for (const browser of browsers) await browser.close();
  await app?.close();
  await server?.stop();
});

async function openApp(): Promise<Page> {
  const browser = await launchChromium();
  browsers.push(browser);
  await browser.context.addInitScript(RECORD_VIOLATIONS);
  const page = browser.context.pages()[0] ?? (await browser.context.newPage());
  await page.goto(app.url);
  return page;
}

describe("the web app under the production security headers", () => {
  it("is served with the policy, and a user signs in and sees a contact with no violation", async () => {
    const [alice, bob] = [await server.createAccount(), await server.createAccount()];
    await server.makeContacts(alice.username, bob.username);
    const page = await openApp();
    const response = await page.request.get(app.url);
    expect(response.headers()["content-security-policy"]).toContain("frame-ancestors 'none'");
    await submitSignIn(page, alice);
    // Signed in over the WebSocket (connect-src), roster rendered (script-src, style-src).
    await expect.poll(() => page.getByRole("listitem", { name: new RegExp(`^${bob.username}`) }).count(), { timeout: 20_000 }).toBe(1);
    expect(await page.getByRole("status", { name: "Connection", exact: true }).textContent()).toBe("Connected");
    expect(await page.evaluate("window.__csp")).toEqual([]);
  });
});

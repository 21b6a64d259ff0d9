import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startCallWorld, submitSignIn, type CallWorld } from "../support/call-page.ts";

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

describe("signing in from the browser", () => {
  it("two contacts sign in and each sees the other online", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = [await world.openApp(), await world.openApp()];
    await submitSignIn(pa, alice);
    await submitSignIn(pb, bob);
    await expect.poll(() => pa.getByRole("listitem", { name: new RegExp(`^${bob.username}.*, Online$`) }).count(), { timeout: 15_000 }).toBe(1);
    await expect.poll(() => pb.getByRole("listitem", { name: new RegExp(`^${alice.username}.*, Online$`) }).count(), { timeout: 15_000 }).toBe(1);
    expect(await pa.getByRole("status", { name: "Connection", exact: true }).textContent()).toBe("Connected");
    await expect.poll(() => pa.getByRole("button", { name: new RegExp(`^Video call ${bob.username}`) }).isEnabled()).toBe(true);
  });

  it("a wrong password shows an error and no contacts", async () => {
    const alice = await world.server.createAccount();
    const page = await world.openApp();
    await submitSignIn(page, { ...alice, password: "nope" });
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 15_000 }).toContain("refused this address and password");
    expect(await page.getByRole("region", { name: "Contacts" }).count()).toBe(0);
  });

  it("remembers the address but never stores the password", async () => {
    const alice = await world.server.createAccount();
    const page = await world.openApp();
    await submitSignIn(page, alice);
    await page.getByRole("button", { name: "Sign out" }).waitFor({ timeout: 15_000 });
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
    expect(stored).toContain(alice.jid);
    expect(stored).not.toContain(alice.password);
    await page.getByRole("button", { name: "Sign out" }).click();
    expect(await page.getByLabel("XMPP address").inputValue()).toBe(alice.jid);
  });
});

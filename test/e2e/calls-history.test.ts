import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { callStatus, startCallWorld, submitSignIn, type CallWorld } from "../support/call-page.ts";

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

const historyItem = (page: Page, label: RegExp) => page.getByRole("region", { name: "Call history" }).getByRole("listitem", { name: label });

describe("call history after a reload", () => {
  it("a call made before shows again after each side reloads and signs in (restored from the server's archive)", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = [await world.openApp(), await world.openApp()];
    await submitSignIn(pa, alice);
    await submitSignIn(pb, bob);
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
      await submitSignIn(page, account);
      await expect.poll(() => historyItem(page, label).count(), { timeout: 15_000 }).toBe(1);
      expect(await page.getByRole("region", { name: "Call history" }).getByRole("listitem").count()).toBe(1);
    }
  });
});

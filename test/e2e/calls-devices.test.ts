import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { mkdirSync } from "node:fs";
import type { TestAccount } from "../support/ejabberd.ts";
import { callStatus, startCallWorld, waitUntilCallable, type CallWorld } from "../support/call-page.ts";

let world: CallWorld;
const SHOTS = "test-results/screenshots";

beforeAll(async () => {
  world = await startCallWorld();
  mkdirSync(SHOTS, { recursive: true });
});
afterAll(() => world?.close());

/** A fresh browser window of the size the screenshots are taken at, signed in. */
const signIn = (account: TestAccount) => world.signIn(account, { viewport: { width: 1000, height: 700 } });

const callButton = (page: Page, kind: "Audio" | "Video", who: TestAccount) =>
  page.getByRole("button", { name: new RegExp(`^${kind} call ${who.username}`) });

describe("calls with several devices and busy callees", () => {
  it("bob on two devices: both ring, the one that answers gets the call, the other stops ringing", async () => {
    const { alice, bob } = await world.pair();
    const pa = await signIn(alice);
    const [pb1, pb2] = [await signIn(bob), await signIn(bob)];
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pb2, alice);
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
    const { alice, bob } = await world.pair();
    const carol = await world.server.createAccount();
    await world.server.makeContacts(carol.username, bob.username);
    const [pa, pb, pc] = [await signIn(alice), await signIn(bob), await signIn(carol)];
    await waitUntilCallable(pa, bob);
    await waitUntilCallable(pc, bob);
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
    const { alice, bob } = await world.pair();
    const pa = await signIn(alice);
    await expect.poll(() => pa.getByRole("listitem", { name: new RegExp(`^${bob.username}.*, Offline$`) }).count(), { timeout: 15_000 }).toBe(1);
    expect(await callButton(pa, "Audio", bob).isDisabled()).toBe(true);
    expect(await callButton(pa, "Video", bob).isDisabled()).toBe(true);
  });
});

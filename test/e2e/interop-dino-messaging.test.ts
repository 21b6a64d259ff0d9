import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import { dinoUnavailableReason, startDinoWorld, type DinoWorld } from "../support/dino/world.ts";

// Messages both ways with Dino 0.4.2 (issue 17), live in the Dino test bed: Dino's receipts
// (XEP-0184) and displayed markers (XEP-0333) turn our ticks, and what Dino types arrives.

const unavailable = dinoUnavailableReason();
if (unavailable) console.log(`skipping the Dino messaging test: ${unavailable}`);

let world: DinoWorld;
let web: Page;

beforeAll(async () => {
  if (unavailable) return;
  world = await startDinoWorld();
  web = await world.openWeb();
}, 240_000);
afterAll(async () => {
  await world?.close();
});

describe.skipIf(unavailable)("messaging with Dino", () => {
  it("Dino receives our message and says delivered and read; Dino's reply shows in our conversation", async () => {
    const dino = world.dinoAccount;
    world.dino.openConversation(world.webAccount.jid);
    await sleep(1_000);
    await web.getByRole("button", { name: new RegExp(`^Messages with ${dino.username}`) }).click();
    const composer = web.getByRole("textbox", { name: new RegExp(`^Message to ${dino.username}`) });
    await composer.fill("hello Dino");
    await composer.press("Enter");
    const timeline = web.getByRole("list", { name: new RegExp(`^Messages with ${dino.username}`) });
    // Dino's conversation is open and shown: it acknowledges and marks the message displayed.
    await expect.poll(() => timeline.getByRole("listitem", { name: /^You: hello Dino, .*, (delivered|read)$/ }).count(), { timeout: 20_000 }).toBe(1);
    await expect.poll(() => timeline.getByRole("listitem", { name: /^You: hello Dino, .*, read$/ }).count(), { timeout: 20_000 }).toBe(1);
    expect(world.dino.messages()).toContain("hello Dino");

    world.dino.mark();
    world.dino.sendInOpenChat("hi from Dino");
    await expect.poll(() => timeline.getByRole("listitem", { name: /: hi from Dino, / }).count(), { timeout: 20_000 }).toBe(1);
    // And Dino hears back from us: a receipt and a displayed marker (we are looking at the conversation).
    await world.dino.waitFor("our receipt", (s) => s.some((e) => e.dir === "in" && e.raw.includes("{urn:xmpp:receipts}:received")), 10_000);
    await world.dino.waitFor("our displayed marker", (s) => s.some((e) => e.dir === "in" && e.raw.includes("{urn:xmpp:chat-markers:0}:displayed")), 10_000);
    await web.screenshot({ path: "/tmp/messaging-dino-web.png" });
    world.dino.screenshot("/tmp/messaging-dino.png");
  });
});

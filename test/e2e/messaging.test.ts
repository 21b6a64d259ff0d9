// Messaging between two browsers (issue 17): messages both ways, typing, read ticks, unread
// counts, a missed call in the conversation timeline, and desktop notifications through a fake
// Notification (headless Chromium has no notification UI to grant).
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { xml } from "@xmpp/xml";
import { callStatus, startCallWorld, type CallWorld } from "../support/call-page.ts";
import { connectTestClient } from "../support/xmpp.ts";

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

const messagesWith = (page: Page, name: string) => page.getByRole("list", { name: new RegExp(`^Messages with ${name}`) });
const composer = (page: Page, name: string) => page.getByRole("textbox", { name: new RegExp(`^Message to ${name}`) });
const openConversation = (page: Page, name: string) => page.getByRole("button", { name: new RegExp(`^Messages with ${name}`) }).click();

/** Replaces Notification with a recorder and lets the test say whether the tab is hidden. */
const FAKE_NOTIFICATIONS = `(() => {
  window.__notifications = [];
  window.__hidden = false;
  Object.defineProperty(document, "hidden", { get: () => window.__hidden });
  Object.defineProperty(document, "visibilityState", { get: () => (window.__hidden ? "hidden" : "visible") });
  class FakeNotification {
    static permission = "default";
    static async requestPermission() { FakeNotification.permission = "granted"; return "granted"; }
    constructor(title, options) { this.title = title; this.body = options?.body; this.closed = false; window.__notifications.push(this); }
    close() { this.closed = true; }
  }
  window.Notification = FakeNotification;
})();`;

describe("messaging between two browsers", () => {
  it("alice writes, bob sees the unread count, opens the chat and replies; typing, read ticks and newlines come across", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob);
    try {
      await openConversation(pa, bob.username);
      await composer(pa, bob.username).pressSequentially("hello bob, see https://example.org/x.");
      await composer(pa, bob.username).press("Enter");
      await expect.poll(() => messagesWith(pa, bob.username).getByRole("listitem", { name: /^You: hello bob.*, (delivered|sent)$/ }).count(), { timeout: 10_000 }).toBe(1);
      await expect.poll(() => pb.title(), { timeout: 10_000 }).toBe("(1) XMPP Calls");
      await expect.poll(() => pb.getByRole("button", { name: new RegExp(`^Messages with ${alice.username}.*, 1 unread$`) }).count()).toBe(1);

      await openConversation(pb, alice.username);
      const received = messagesWith(pb, alice.username).getByRole("listitem", { name: new RegExp(`^${alice.username}.*: hello bob`) });
      await expect.poll(() => received.count(), { timeout: 10_000 }).toBe(1);
      // The link is a real, safe link; the rest is text.
      const link = received.getByRole("link");
      expect(await link.getAttribute("href")).toBe("https://example.org/x");
      expect(await link.getAttribute("rel")).toBe("noopener noreferrer");
      await expect.poll(() => pb.title()).toBe("XMPP Calls");
      // Bob read it: alice's tick says so (XEP-0333 displayed).
      await expect.poll(() => messagesWith(pa, bob.username).getByRole("listitem", { name: /^You: hello bob.*, read$/ }).count(), { timeout: 10_000 }).toBe(1);

      await composer(pb, alice.username).pressSequentially("line one");
      await expect.poll(() => pa.getByLabel("Typing").textContent(), { timeout: 10_000 }).toMatch(/is typing…$/);
      await composer(pb, alice.username).press("Shift+Enter");
      await composer(pb, alice.username).pressSequentially("line two");
      await composer(pb, alice.username).press("Enter");
      const reply = messagesWith(pa, bob.username).getByRole("listitem", { name: /: line one\s+line two,/ });
      await expect.poll(() => reply.count(), { timeout: 10_000 }).toBe(1);
      expect(await reply.locator(".body").innerText()).toBe("line one\nline two");
      expect(await pa.getByLabel("Typing").textContent()).toBe("");
      // Correction (XEP-0308): the up arrow edits bob's last message.
      await composer(pb, alice.username).press("ArrowUp");
      await composer(pb, alice.username).fill("line one, corrected");
      await composer(pb, alice.username).press("Enter");
      await expect.poll(() => messagesWith(pa, bob.username).getByRole("listitem", { name: /: line one, corrected, .*edited$/ }).count(), { timeout: 10_000 }).toBe(1);
      await pa.screenshot({ path: "/tmp/messaging-alice.png" });
      await pb.screenshot({ path: "/tmp/messaging-bob.png" });
    } finally {
      await world.closeBrowsers();
    }
  });

  it("a call alice cancels and her message after it both appear in bob's conversation, with a call-back button", async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob);
    try {
      await pa.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) }).click();
      await expect.poll(() => callStatus(pb), { timeout: 15_000 }).toBe("Incoming audio call");
      await pa.getByRole("button", { name: "Cancel" }).click();
      await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Missed call");
      await pb.getByRole("button", { name: "Close" }).click();
      await pa.getByRole("button", { name: "Close" }).click();
      await openConversation(pa, bob.username);
      await composer(pa, bob.username).fill("call me back when you can");
      await composer(pa, bob.username).press("Enter");

      await openConversation(pb, alice.username);
      const timeline = messagesWith(pb, alice.username);
      const items = timeline.getByRole("listitem");
      await expect.poll(async () => (await items.evaluateAll((li) => li.map((e) => e.getAttribute("aria-label")))).map((l) => l?.replace(/, \d.*$/, "")), { timeout: 10_000 })
        .toEqual(["Incoming audio call, missed", `${alice.username}: call me back when you can`]);
      expect(await timeline.getByRole("button", { name: "Call back" }).isEnabled()).toBe(true);
      await pb.screenshot({ path: "/tmp/messaging-missed-call.png" });
    } finally {
      await world.closeBrowsers();
    }
  });

  it("with permission granted, a hidden tab notifies a new message and an incoming call; clicking opens the conversation", async () => {
    const { alice, bob } = await world.pair();
    const pa = await world.signIn(alice);
    const pb = await world.signIn(bob, { initScripts: [FAKE_NOTIFICATIONS] });
    try {
      await pb.getByRole("button", { name: "Enable desktop notifications" }).click();
      await expect.poll(() => pb.getByLabel("Notifications").textContent()).toMatch(/^Desktop notifications are on/);
      await pb.evaluate("window.__hidden = true");
      await expect.poll(() => pa.getByRole("button", { name: new RegExp(`^Messages with ${bob.username}`) }).count(), { timeout: 20_000 }).toBe(1);
      await openConversation(pa, bob.username);
      await composer(pa, bob.username).fill("are you there?");
      await composer(pa, bob.username).press("Enter");
      await expect.poll(() => pb.evaluate("window.__notifications.map((n) => n.title + ': ' + n.body)"), { timeout: 10_000 })
        .toEqual([`Message from ${alice.username}: are you there?`]);
      // Bob comes back through the notification: the conversation opens and the message is read.
      await pb.evaluate("window.__hidden = false; window.__notifications[0].onclick()");
      await expect.poll(() => messagesWith(pb, alice.username).getByRole("listitem", { name: /: are you there\?/ }).count()).toBe(1);
      await expect.poll(() => messagesWith(pa, bob.username).getByRole("listitem", { name: /^You: are you there\?.*, read$/ }).count(), { timeout: 10_000 }).toBe(1);

      await pa.getByRole("button", { name: new RegExp(`^Audio call ${bob.username}`) }).click({ timeout: 20_000 });
      await expect.poll(() => pb.evaluate("window.__notifications.map((n) => n.title)"), { timeout: 15_000 }).toContain("Incoming audio call");
      await pb.getByRole("button", { name: "Decline" }).click();
      // Declining closes the call's notification.
      await expect.poll(() => pb.evaluate("window.__notifications.filter((n) => n.title === 'Incoming audio call' && !n.closed).length")).toBe(0);
    } finally {
      await world.closeBrowsers();
    }
  });

  it("a stranger's flood of hostile messages stays in message requests, capped, as plain text, and counts nowhere", async () => {
    const { bob } = await world.pair();
    const mallory = await world.server.createAccount();
    const pb = await world.signIn(bob);
    const m = await connectTestClient(world.server, mallory);
    try {
      await expect.poll(() => pb.getByRole("status", { name: "Connection", exact: true }).textContent(), { timeout: 20_000 }).toBe("Connected");
      const hostile = `<img src=x onerror="window.__pwned=1"> javascript:alert(1) <a href="javascript:alert(2)">x</a> ${"A".repeat(3_000)}`;
      for (let i = 0; i < 80; i++) await m.send(xml("message", { to: bob.jid, type: "chat", id: `f${i}` }, xml("body", {}, `spam ${i}`)));
      await m.send(xml("message", { to: bob.jid, type: "chat", id: "h1" }, xml("body", {}, hostile), xml("request", { xmlns: "urn:xmpp:receipts" })));
      const requests = pb.getByRole("region", { name: "Message requests" });
      await expect.poll(() => requests.getByRole("listitem", { name: new RegExp(`^Messages from ${mallory.jid}, \\d+ unread$`) }).count(), { timeout: 15_000 }).toBe(1);
      // Kept apart: the title does not count them.
      expect(await pb.title()).toBe("XMPP Calls");
      await expect.poll(async () => (await requests.getByRole("listitem").getAttribute("aria-label"))?.match(/(\d+) unread/)?.[1], { timeout: 15_000 }).toBe("50");
      await requests.getByRole("button", { name: "Read" }).click();
      const timeline = messagesWith(pb, mallory.jid);
      await expect.poll(() => timeline.getByRole("listitem").count()).toBe(50);
      // The oldest were dropped; the hostile one is there, as text, cut with "Show all".
      expect(await timeline.getByRole("listitem").first().getAttribute("aria-label")).toMatch(/^[^:]+: spam 31,/);
      const last = timeline.getByRole("listitem").last();
      // The timeline opens at the newest message and stays there through the app's re-renders.
      await expect.poll(() => last.evaluate((li) => li.getBoundingClientRect().bottom <= li.parentElement!.getBoundingClientRect().bottom + 1)).toBe(true);
      expect(await last.locator(".body").textContent()).toMatch(/^<img src=x onerror="window.__pwned=1"> javascript:alert\(1\) <a href="javascript:alert\(2\)">x<\/a> A+…$/);
      expect(await timeline.locator("img, a").count()).toBe(0);
      await last.getByRole("button", { name: "Show all" }).click();
      expect((await timeline.getByRole("listitem").last().locator(".body").textContent())?.length).toBe(hostile.length);
      expect(await pb.evaluate("window.__pwned")).toBeUndefined();
      await pb.screenshot({ path: "/tmp/messaging-requests.png" });
    } finally {
      await m.stop().catch(() => undefined);
      await world.closeBrowsers();
    }
  });
});

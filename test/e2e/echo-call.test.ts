import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { audioGrows, callStatus, framesGrow, iceConnected, startCallWorld, waitUntilCallable, type CallWorld } from "../support/call-page.ts";
import { explained } from "../support/call-media.ts";
import type { TestAccount } from "../support/ejabberd.ts";
import { installWebSocket } from "../support/xmpp.ts";
import { EchoService } from "../../services/echo/echo-service.ts";

// The echo test-call account (services/echo) against the real ejabberd, called from the web app in
// Chromium with fake devices: werift answers, and the caller's own media comes back to it.

const SHOTS = process.env.SCREENSHOT_DIR ?? "/tmp";

let world: CallWorld;
let echo: EchoService;
let echoAccount: TestAccount;
const log: string[] = [];

beforeAll(async () => {
  world = await startCallWorld();
  installWebSocket(world.server);
  echoAccount = await world.server.createAccount("echo");
  echo = await EchoService.start({
    service: world.server.wsLoopbackUrl,
    jid: echoAccount.jid,
    password: echoAccount.password,
    // As npm start runs it: loopback only, the interface this test machine's browsers reach.
    hostAddresses: ["127.0.0.1"],
    limits: { delayMs: 1_000 },
    log: (line) => log.push(line),
  });
});
afterAll(async () => {
  await echo?.stop();
  await world?.close();
});

/** A user of the server with the echo among their contacts, as npm start provisions the demo accounts. */
async function echoUser(): Promise<TestAccount> {
  const user = await world.server.createAccount();
  await world.server.makeContacts(user.username, echoAccount.username);
  return user;
}

describe("test call: the echo account", () => {
  it("the Test call button video-calls the echo, which sends the caller's own audio and video back", async () => {
    const user = await echoUser();
    const page = await world.signIn(user);
    try {
      await waitUntilCallable(page, echoAccount);
      await page.getByRole("region", { name: "Test call" }).getByRole("button", { name: "Test call" }).click();
      await explained("echo call", { caller: page }, async () => {
        await expect.poll(() => callStatus(page), { timeout: 20_000 }).toBe("Connected");
        await iceConnected(page, "the caller's ICE connects with the echo");
        await audioGrows(page, "the caller's own audio comes back");
        await framesGrow(page, "the caller's own video comes back and is decoded");
      });
      expect(echo.activeCalls).toBe(1);
      await page.screenshot({ path: `${SHOTS}/echo-call.png` });
      await page.getByRole("button", { name: "Hang up" }).click();
      await expect.poll(() => echo.activeCalls, { timeout: 10_000 }).toBe(0);
      expect(await callStatus(page)).toBe("Call ended");
    } finally {
      await world.closeBrowsers();
    }
  });

  it("a relay-only test call goes through the server's TURN and still returns the caller's media", async () => {
    const user = await echoUser();
    const page = await world.signIn(user);
    try {
      await page.getByLabel(/Use relay only/).check();
      await waitUntilCallable(page, echoAccount);
      await page.getByRole("button", { name: /^Video call echo/ }).click();
      await explained("relayed echo call", { caller: page }, async () => {
        await expect.poll(() => callStatus(page), { timeout: 25_000 }).toBe("Connected");
        await framesGrow(page, "the caller's own video comes back through the relay");
        await audioGrows(page, "the caller's own audio comes back through the relay");
      });
      const nominatedLocalTypes = () => page.evaluate(async () => {
        const types: string[] = [];
        for (const pc of globalThis.__peerConnections ?? []) {
          if (pc.connectionState === "closed") continue;
          const stats = await pc.getStats();
          stats.forEach((r: { type: string; state?: string; nominated?: boolean; localCandidateId?: string }) => {
            if (r.type === "candidate-pair" && r.state === "succeeded" && r.nominated) types.push((stats.get(r.localCandidateId!) as { candidateType?: string } | undefined)?.candidateType ?? "");
          });
        }
        return types;
      });
      await expect.poll(async () => (await nominatedLocalTypes()).length, { timeout: 5_000 }).toBeGreaterThan(0);
      expect((await nominatedLocalTypes()).every((t) => t === "relay")).toBe(true);
      await page.getByRole("button", { name: "Hang up" }).click();
      await expect.poll(() => echo.activeCalls, { timeout: 10_000 }).toBe(0);
    } finally {
      await world.closeBrowsers();
    }
  });

  it("an audio test call that turns the camera on (content-add) gets its video back too", async () => {
    const user = await echoUser();
    const page = await world.signIn(user);
    try {
      await waitUntilCallable(page, echoAccount);
      await page.getByRole("button", { name: /^Audio call echo/ }).click();
      await explained("audio echo call", { caller: page }, async () => {
        await expect.poll(() => callStatus(page), { timeout: 20_000 }).toBe("Connected");
        await audioGrows(page, "the caller's own audio comes back");
      });
      await page.getByRole("button", { name: "Add video" }).click();
      await explained("video added", { caller: page }, async () => {
        await expect.poll(() => page.getByRole("button", { name: "Stop video" }).isVisible(), { timeout: 15_000 }).toBe(true);
        await framesGrow(page, "the caller's own video comes back once added");
      });
      await page.getByRole("button", { name: "Hang up" }).click();
      await expect.poll(() => echo.activeCalls, { timeout: 10_000 }).toBe(0);
    } finally {
      await world.closeBrowsers();
    }
  });

  it("answers busy past its call limit, and hangs up at its time limit telling the caller why", async () => {
    // A second echo with small limits: one call at a time, ten seconds each.
    const quickAccount = await world.server.createAccount("quick");
    const quickLog: string[] = [];
    const quick = await EchoService.start({
      service: world.server.wsLoopbackUrl, jid: quickAccount.jid, password: quickAccount.password, hostAddresses: ["127.0.0.1"],
      limits: { maxCalls: 1, maxCallMs: 10_000 }, log: (line) => quickLog.push(line),
    });
    const [first, second] = [await echoUser(), await echoUser()];
    for (const user of [first, second]) await world.server.makeContacts(user.username, quickAccount.username);
    try {
      const [p1, p2] = [await world.signIn(first), await world.signIn(second)];
      for (const page of [p1, p2]) await waitUntilCallable(page, quickAccount);
      await p1.getByRole("button", { name: /^Audio call quick/ }).click();
      await expect.poll(() => callStatus(p1), { timeout: 20_000 }).toBe("Connected");
      await p2.getByRole("button", { name: /^Audio call quick/ }).click();
      await expect.poll(() => callStatus(p2), { timeout: 15_000 }).toBe("Call declined");
      expect(quickLog.filter((line) => line.includes("): answering"))).toHaveLength(1);
      // The time limit: the call ends from the echo's side, and the caller has a message saying why.
      await expect.poll(() => callStatus(p1), { timeout: 20_000 }).toBe("Call ended");
      expect(quickLog.some((line) => line.includes("time limit reached"))).toBe(true);
      await p1.getByRole("button", { name: "Close" }).click();
      await p1.getByRole("button", { name: /^Messages with quick/ }).click();
      await expect.poll(() => p1.getByText("Test call ended: test calls last at most 10 seconds.").count(), { timeout: 10_000 }).toBeGreaterThan(0);
    } finally {
      await world.closeBrowsers();
      await quick.stop();
    }
  });

  it("ends its calls with session-terminate when it stops, and the caller sees the call ended", async () => {
    const user = await echoUser();
    const page = await world.signIn(user);
    try {
      await waitUntilCallable(page, echoAccount);
      await page.getByRole("button", { name: /^Audio call echo/ }).click();
      await expect.poll(() => callStatus(page), { timeout: 20_000 }).toBe("Connected");
      await echo.stop();
      await expect.poll(() => callStatus(page), { timeout: 10_000 }).toBe("Call ended");
      expect(log.some((line) => line.includes("ending 1 call(s)"))).toBe(true);
    } finally {
      await world.closeBrowsers();
    }
  });
});

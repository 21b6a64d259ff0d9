import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { TestAccount } from "../support/ejabberd.ts";
import { WIRE_TAP_SCRIPT } from "../support/app-server.ts";
import { callStatus, closedPort, connectionLabel, cutScript, framesGrow, jingleReceived, refuseWebSockets, startCallWorld, videoCallConnected, type CallWorld } from "../support/call-page.ts";

/**
 * Issue 8, server restart: ejabberd is stopped and started again during a video call. No
 * XEP-0198 resumption survives that, so both clients start fresh sessions: same resource
 * re-bound, unacked requests and messages re-sent, presence announced again. Bob is held back
 * until alice is online again, the order that loses stanzas: her Jingle iq then finds no session
 * for his full JID (service-unavailable) and must be sent again until he is back (CallSession's
 * peer-away retry).
 */

/** How long the server stays down: long enough to watch media flow without it. */
const DOWN_MS = 6_000;
/** Frames each side must decode within 5 s at each check, as in calls-signaling-loss. */
const GROWTH = { more: 30, timeoutMs: 5_000 };
/** Reconnection waits for the client's backoff (jittered, up to 16 s by then). */
const BACK_ONLINE_MS = 45_000;

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

const contactOnline = (page: Page, contact: TestAccount) => page.getByRole("listitem", { name: new RegExp(`^${contact.username}.*, Online$`) }).count();

/** The sender's full JID of a stanza on the wire. */
const fromOf = (stanza: string | undefined) => (stanza && /from=["']([^"']+)["']/.exec(stanza)?.[1]) || undefined;

async function backOnline(page: Page, contact: TestAccount) {
  await expect.poll(() => connectionLabel(page), { timeout: BACK_ONLINE_MS }).toBe("Connected");
  await expect.poll(() => contactOnline(page, contact), { timeout: 15_000 }).toBe(1);
}

describe("ejabberd restarted during a call", () => {
  it("media keeps flowing while the server is down, both see reconnecting, come back online on fresh sessions with the same resource, a mute made while it was down reaches bob, and alice's hang-up ends bob's call", { timeout: 60_000 + DOWN_MS + 2 * BACK_ONLINE_MS }, async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob, { bob: { initScripts: [cutScript(await closedPort()), WIRE_TAP_SCRIPT] } });

    await videoCallConnected(pa, pb, bob);
    const aliceFullJid = fromOf((await jingleReceived(pb, true)).find((iq) => /action=["']session-initiate["']/.test(iq)));
    expect(aliceFullJid).toMatch(new RegExp(`^${alice.jid}/.+`));

    await world.server.restart(async () => {
      const downAt = Date.now();
      await refuseWebSockets(pb, DOWN_MS + 2 * BACK_ONLINE_MS);
      for (const page of [pa, pb]) {
        await expect.poll(() => callStatus(page), { timeout: 5_000 }).toBe("Reconnecting…");
        expect(await connectionLabel(page)).toBe("Connection lost, reconnecting…");
      }
      // A Jingle iq (session-info mute) made while the server is down must reach bob afterwards.
      await pa.getByRole("button", { name: "Mute microphone" }).click();
      // Media is peer to peer: frames keep being decoded on both sides without the server.
      await framesGrow(pa, "alice decodes bob's video while the server is down", GROWTH);
      await framesGrow(pb, "bob decodes alice's video while the server is down", GROWTH);
      await pa.waitForTimeout(Math.max(0, downAt + DOWN_MS - Date.now()));
      expect([await callStatus(pa), await callStatus(pb)]).toEqual(["Reconnecting…", "Reconnecting…"]);
    });

    // Alice is back first; her mute is re-sent and finds bob's full JID without a session for a while.
    await expect.poll(() => connectionLabel(pa), { timeout: BACK_ONLINE_MS }).toBe("Connected");
    await pa.waitForTimeout(3_000);
    await refuseWebSockets(pb, 0);
    // Bob's network is back: the browser says so, and his next attempt does not wait out its backoff.
    await pb.evaluate(() => window.dispatchEvent(new Event("online")));
    // His own connection first, then each sees the other online.
    await backOnline(pb, alice);
    await backOnline(pa, bob);
    for (const page of [pa, pb]) await expect.poll(() => callStatus(page), { timeout: 5_000 }).toBe("Connected");
    await framesGrow(pa, "alice decodes bob's video after the restart", GROWTH);
    await framesGrow(pb, "bob decodes alice's video after the restart", GROWTH);
    // Sent once, from the full JID alice had before the restart (the same resource re-bound).
    await expect
      .poll(async () => (await jingleReceived(pb)).filter((iq) => /action=["']session-info["']/.test(iq) && /<mute[ />]/.test(iq)).map(fromOf), { timeout: 10_000 })
      .toEqual([aliceFullJid]);

    await jingleReceived(pb, true);
    await pa.getByRole("button", { name: "Hang up" }).click();
    await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Call ended");
    expect(await callStatus(pa)).toBe("Call ended");
    const terminate = (await jingleReceived(pb)).find((iq) => /action=["']session-terminate["']/.test(iq));
    expect(terminate).toMatch(/<reason><success\/>/);
    expect(fromOf(terminate)).toBe(aliceFullJid);
  });
});

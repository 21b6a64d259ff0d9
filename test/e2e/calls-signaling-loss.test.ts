import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WIRE_TAP_SCRIPT } from "../support/app-server.ts";
import { callStatus, closedPort, connectionLabel, cutScript, cutWebSocket, framesDecoded, jingleReceived, startCallWorld, videoCallConnected, type CallWorld } from "../support/call-page.ts";

/**
 * Issue 8, signaling loss: alice's XMPP WebSocket is cut for 10 s during a video call, several
 * times in the same call. CALL_CUT_REPETITIONS (default 3) sets how many; the 20/20
 * figure is `CALL_CUT_REPETITIONS=20 npx vitest run --project e2e test/e2e/calls-signaling-loss.test.ts`.
 */
const REPETITIONS = Number(process.env.CALL_CUT_REPETITIONS ?? 3);
const CUT_MS = 10_000;
/** Reconnection after the cut waits for the client's backoff (jittered, up to 16 s by then). */
const BACK_ONLINE_MS = 45_000;

let world: CallWorld;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(() => world?.close());

describe("signaling loss during a call", () => {
  it(`alice's WebSocket cut for 10 s, ${REPETITIONS}× in one call: media keeps flowing, she sees reconnecting, comes back, an iq sent while offline arrives, and her hang-up ends bob's call with success`, { timeout: 60_000 + REPETITIONS * (CUT_MS + BACK_ONLINE_MS + 10_000) }, async () => {
    const { alice, bob } = await world.pair();
    const [pa, pb] = await world.signInPair(alice, bob, { alice: { initScripts: [cutScript(await closedPort())] }, bob: { initScripts: [WIRE_TAP_SCRIPT] } });

    await videoCallConnected(pa, pb, bob);

    for (let round = 0; round < REPETITIONS; round++) {
      await jingleReceived(pb, true);
      const [a0, b0] = [await framesDecoded(pa), await framesDecoded(pb)];
      const cutAt = Date.now();
      await cutWebSocket(pa, CUT_MS);
      // The close handshake through the app server's proxy takes a moment.
      await expect.poll(() => callStatus(pa), { timeout: 5_000 }).toBe("Reconnecting…");
      expect(await connectionLabel(pa)).toBe("Connection lost, reconnecting…");
      // A Jingle iq sent while offline (session-info mute/unmute) must reach bob afterwards.
      const muting = round % 2 === 0;
      await pa.getByRole("button", { name: "Mute microphone" }).click();
      // Media is peer to peer: frames keep being decoded on both sides during the cut.
      await expect.poll(() => framesDecoded(pa), { timeout: 5_000 }).toBeGreaterThan(a0 + 30);
      await expect.poll(() => framesDecoded(pb), { timeout: 5_000 }).toBeGreaterThan(b0 + 30);
      const [a1, b1] = [await framesDecoded(pa), await framesDecoded(pb)];
      await pa.waitForTimeout(Math.max(0, cutAt + CUT_MS - 1_000 - Date.now()));
      expect(await framesDecoded(pa)).toBeGreaterThan(a1 + 30);
      expect(await framesDecoded(pb)).toBeGreaterThan(b1 + 30);
      expect(await callStatus(pa)).toBe("Reconnecting…");

      await expect.poll(() => connectionLabel(pa), { timeout: BACK_ONLINE_MS }).toBe("Connected");
      await expect.poll(() => callStatus(pa), { timeout: 5_000 }).toBe("Connected");
      expect(await callStatus(pb)).toBe("Connected");
      const payload = muting ? /<mute[ />]/ : /<unmute[ />]/;
      await expect
        .poll(async () => (await jingleReceived(pb)).some((iq) => /action=["']session-info["']/.test(iq) && payload.test(iq)), { timeout: 10_000 })
        .toBe(true);
    }

    await jingleReceived(pb, true);
    await pa.getByRole("button", { name: "Hang up" }).click();
    await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Call ended");
    const terminate = (await jingleReceived(pb)).find((iq) => /action=["']session-terminate["']/.test(iq));
    expect(terminate).toMatch(/<reason><success\/>/);
  });
});

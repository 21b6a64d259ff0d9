import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Page } from "playwright-core";
import type { Client } from "@xmpp/client";
import { xml, type Element } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { WIRE_TAP_SCRIPT, wireFrames } from "../support/app-server.ts";
import { connectTestClient } from "../support/xmpp.ts";
import { callStatus, framesDecoded, startCallWorld, waitUntilCallable, videoCallConnected, type CallWorld } from "../support/call-page.ts";

let world: CallWorld;
let carolClient: Client | undefined;

beforeAll(async () => {
  world = await startCallWorld();
});
afterAll(async () => {
  await carolClient?.stop().catch(() => undefined);
  await world?.close();
});

/** The stanzas on the wire tell the test the call's sid and bob's full JID. */
const tapped = { initScripts: [WIRE_TAP_SCRIPT] };

/** The session-initiate alice sent: its sid and the full JID of bob's answering device. */
async function sessionInitiate(alice: Page): Promise<{ sid: string; to: string }> {
  for (const frame of await wireFrames(alice)) {
    if (frame.dir !== "out" || !frame.data.includes("session-initiate")) continue;
    const iq = parse(frame.data);
    const jingle = iq.getChild("jingle", "urn:xmpp:jingle:1");
    if (jingle?.attrs.action === "session-initiate") return { sid: String(jingle.attrs.sid), to: String(iq.attrs.to) };
  }
  throw new Error("alice sent no session-initiate");
}

/** Sends a Jingle iq set and returns the error it got back (the test expects one). */
async function refused(client: Client, to: string, jingle: Element): Promise<Element> {
  const error = await client.iqCaller.request(xml("iq", { type: "set", to }, jingle)).then(
    () => undefined,
    (e: { element?: Element }) => e,
  );
  // @xmpp/error's StanzaError keeps the <error/> element itself.
  const element = error?.element?.name === "error" ? error.element : error?.element?.getChild("error");
  if (!element) throw new Error(`expected an iq error, got ${error ? String(error) : "a result"}`);
  return element;
}

describe("a Jingle action from a third party", () => {
  it("carol's session-terminate and transport-info for alice and bob's call get unknown-session, and the call stays connected with video flowing", async () => {
    const { alice, bob } = await world.pair();
    const carol = await world.server.createAccount();
    const [pa, pb] = [await world.signIn(alice, tapped), await world.signIn(bob, tapped)];
    await waitUntilCallable(pa, bob);
    await videoCallConnected(pa, pb, bob);
    const b0 = await framesDecoded(pb);
    await expect.poll(() => framesDecoded(pb), { timeout: 10_000 }).toBeGreaterThan(b0 + 5);

    const { sid, to: bobFullJid } = await sessionInitiate(pa);
    carolClient = await connectTestClient(world.server, { username: carol.username, password: carol.password });
    const ns = "urn:xmpp:jingle:1";
    const terminate = xml("jingle", { xmlns: ns, action: "session-terminate", sid, initiator: `${alice.jid}/forged` }, xml("reason", {}, xml("success")));
    const transportInfo = xml("jingle", { xmlns: ns, action: "transport-info", sid },
      xml("content", { creator: "initiator", name: "0" },
        xml("transport", { xmlns: "urn:xmpp:jingle:transports:ice-udp:1", ufrag: "evil", pwd: "evilevilevilevilevilevil" },
          xml("candidate", { component: "1", foundation: "1", generation: "0", id: "c1", ip: "192.0.2.66", port: "9", priority: "1", protocol: "udp", type: "host" }))));

    for (const jingle of [terminate, transportInfo]) {
      const error = await refused(carolClient, bobFullJid, jingle);
      // XEP-0166 §7.2: item-not-found with <unknown-session/>.
      expect(error.getChild("item-not-found", "urn:ietf:params:xml:ns:xmpp-stanzas")).toBeDefined();
      expect(error.getChild("unknown-session", "urn:xmpp:jingle:errors:1")).toBeDefined();
    }

    const [a1, b1] = [await framesDecoded(pa), await framesDecoded(pb)];
    await expect.poll(() => framesDecoded(pa), { timeout: 10_000 }).toBeGreaterThan(a1 + 10);
    await expect.poll(() => framesDecoded(pb), { timeout: 10_000 }).toBeGreaterThan(b1 + 10);
    expect([await callStatus(pa), await callStatus(pb)]).toEqual(["Connected", "Connected"]);
    await pa.getByRole("button", { name: "Hang up" }).click();
    await expect.poll(() => callStatus(pb), { timeout: 10_000 }).toBe("Call ended");
  });
});

// How a call answers Jingle iqs it cannot or must not act on (XEP-0166 1.1.2 §6.3.2, §6.7, §6.8,
// §7.1, §7.2, §10), and the caps a peer runs into. The fuzz run (fuzz.test.ts) covers the same
// rules statistically; these are the focused cases.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { parseJingleXml } from "../../../client/src/jingle/index.js";
import { jmiMessage } from "../../../client/src/xmpp/jmi.js";
import { CALL_LIMITS } from "../../../client/src/call/limits.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";
import { candidatesContent, FakeNetwork, jingleAnswer } from "../../support/fake-network.js";
import { until } from "../../support/until.js";
import { deliverMessage } from "../../../client/src/app/call-stanzas.js";
import { readJingleRequest } from "../../../client/src/jingle/index.js";
import { NS_JINGLE, NS_JINGLE_ERRORS } from "../../../client/src/namespaces.js";


afterEach(() => {
  vi.restoreAllMocks();
});

const answer = jingleAnswer;

const jingle = (attrs: Record<string, string>, ...children: Element[]) => xml("jingle", { xmlns: NS_JINGLE, ...attrs }, ...children);

const candidates = (count: number, first = 0, ns?: string) => candidatesContent(count, { first, ns });

/** Alice calls bob through JMI, bob answers: both active. */
async function activeCall() {
  const net = new FakeNetwork();
  const alice = net.device("alice@x/web", { trusted: ["bob@x", "carol@x"] });
  const bob = net.device("bob@x/dev1", { trusted: ["alice@x", "carol@x"] });
  const call = await alice.manager.call("bob@x", ["audio", "video"]);
  await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
  const bobSide = bob.manager.calls[0]!;
  await bobSide.accept();
  await until(() => call.state === "active" && bobSide.state === "active", "both active");
  return { net, alice, bob, call, bobSide };
}

/** The session-initiate our client sends to a device without JMI (captured with the device offline). */
async function directInitiate(): Promise<Element> {
  const net = new FakeNetwork();
  const alice = net.device("alice@x/web", { trusted: ["bob@x"] });
  net.device("bob@x/dev1").online = false;
  await alice.manager.call("bob@x/dev1", ["audio", "video"]);
  await until(() => net.jingleActions("alice@x/web").includes("session-initiate"), "session-initiate sent");
  const sent = net.log.find((s) => s.stanza.getChild("jingle", NS_JINGLE)?.attrs.action === "session-initiate")!;
  return sent.stanza.getChild("jingle", NS_JINGLE)!;
}

const terminates = (net: FakeNetwork, from: string) =>
  net.log
    .filter((s) => s.from === from && s.stanza.getChild("jingle", NS_JINGLE)?.attrs.action === "session-terminate")
    .map((s) => ({ to: s.stanza.attrs.to, reason: s.stanza.getChild("jingle", NS_JINGLE)!.getChild("reason")!.getChildElements()[0]!.name }));

describe("requests checked before the sid is looked up (§7.1, §7.2)", () => {
  it("a jingle without an action gets bad-request, even for an unknown sid", () => {
    const bob = new FakeNetwork().device("bob@x/dev1", { trusted: ["alice@x"] });
    expect(answer(bob, "alice@x/web", jingle({ sid: "nope" }))).toMatchObject({ condition: "bad-request", type: "modify" });
  });

  it("a jingle without a sid gets bad-request", () => {
    const bob = new FakeNetwork().device("bob@x/dev1", { trusted: ["alice@x"] });
    expect(answer(bob, "alice@x/web", jingle({ action: "transport-info" }))).toMatchObject({ condition: "bad-request" });
  });

  it("an action XEP-0166 does not define gets bad-request, for the live session too", async () => {
    const { alice, call } = await activeCall();
    expect(answer(alice, "bob@x/dev1", jingle({ action: "session-ping", sid: call.id }))).toMatchObject({ condition: "bad-request" });
    expect(() => call.handleJingle("bob@x/dev1", readJingleRequest(jingle({ action: "content-addd", sid: call.id })))).toThrowError(expect.objectContaining({ condition: "bad-request" }));
    expect(call.state).toBe("active");
  });

  it("a defined action this client does not support gets feature-not-implemented", async () => {
    const { alice, call } = await activeCall();
    expect(answer(alice, "bob@x/dev1", jingle({ action: "transport-replace", sid: call.id }))).toMatchObject({ condition: "feature-not-implemented" });
  });
});

describe("informational actions not understood (§6.8)", () => {
  it("a description-info gets feature-not-implemented with unsupported-info and the call goes on", async () => {
    const { alice, call } = await activeCall();
    const error = answer(alice, "bob@x/dev1", jingle({ action: "description-info", sid: call.id }));
    expect(error).toMatchObject({ condition: "feature-not-implemented", type: "modify", application: { name: "unsupported-info", xmlns: NS_JINGLE_ERRORS } });
    expect(call.state).toBe("active");
  });

  it("a transport-info with a transport in a foreign namespace gets unsupported-info and does not end the call", async () => {
    const { net, alice, call } = await activeCall();
    const error = answer(alice, "bob@x/dev1", jingle({ action: "transport-info", sid: call.id }, candidates(1, 0, "urn:xmpp:jingle:transports:raw-udp:1")));
    expect(error).toMatchObject({ condition: "feature-not-implemented", type: "modify", application: { name: "unsupported-info", xmlns: NS_JINGLE_ERRORS } });
    await new Promise((r) => setTimeout(r, 20));
    expect(call.state).toBe("active");
    expect(terminates(net, "alice@x/web")).toEqual([]);
  });

  it("a transport-info past the codec's caps gets not-acceptable of type modify (RFC 6120 §8.3.3.12)", async () => {
    const { alice, call } = await activeCall();
    const error = answer(alice, "bob@x/dev1", jingle({ action: "transport-info", sid: call.id }, candidates(65)));
    expect(error).toMatchObject({ condition: "not-acceptable", type: "modify" });
    expect(call.state).toBe("active");
  });
});

describe("session-wide caps", () => {
  it("candidates trickled past the session cap are refused with not-acceptable; the call goes on with those it has", async () => {
    const { alice, call } = await activeCall();
    const peer = alice.peers[0]!;
    let sent = 0;
    const trickle = (count: number) => answer(alice, "bob@x/dev1", jingle({ action: "transport-info", sid: call.id }, candidates(count, sent)));
    let refused: StanzaError | undefined;
    while (!refused && sent < 2 * CALL_LIMITS.remoteCandidates) {
      refused = trickle(50);
      if (!refused) sent += 50;
    }
    expect(refused).toMatchObject({ condition: "not-acceptable", type: "modify" });
    // A refused batch takes none of its candidates: the room left is filled one at a time.
    while (sent < 2 * CALL_LIMITS.remoteCandidates && !trickle(1)) sent += 1;
    expect(sent).toBeLessThanOrEqual(CALL_LIMITS.remoteCandidates);
    await until(() => peer.remoteCandidates.length >= sent, "accepted candidates applied");
    expect(peer.remoteCandidates.length).toBe(CALL_LIMITS.remoteCandidates);
    expect(answer(alice, "bob@x/dev1", jingle({ action: "transport-info", sid: call.id }, candidates(1, 9_999)))).toMatchObject({ condition: "not-acceptable" });
    expect(call.state).toBe("active");
  });

  it("an ended call leaves the list after the grace period, and its sid still gets unknown-session, session-initiate included", async () => {
    const { alice, call } = await activeCall();
    await call.hangUp();
    expect(alice.manager.calls).toContain(call);
    const later = Date.now() + CALL_LIMITS.endedGraceMs + 1;
    vi.spyOn(Date, "now").mockReturnValue(later);
    for (const action of ["session-info", "session-initiate"]) {
      expect(answer(alice, "bob@x/dev1", jingle({ action, sid: call.id }))).toMatchObject({ condition: "item-not-found", application: { name: "unknown-session" } });
    }
    expect(alice.manager.calls).not.toContain(call);
  });

  it("at most a few ended calls are kept, however recent; older sids still get unknown-session", async () => {
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"] });
    net.device("bob@x/dev1", { trusted: ["alice@x"] });
    const ids: string[] = [];
    for (let i = 0; i < CALL_LIMITS.endedCalls + 4; i++) {
      const call = await alice.manager.call("bob@x", ["audio"]);
      ids.push(call.id);
      await call.hangUp();
    }
    expect(answer(alice, "bob@x/dev1", jingle({ action: "session-info", sid: ids[0]! }))).toMatchObject({ application: { name: "unknown-session" } });
    expect(alice.manager.calls.length).toBeLessThanOrEqual(CALL_LIMITS.endedCalls);
    expect(alice.manager.calls.map((c) => c.id)).not.toContain(ids[0]);
  });
});

describe("a session that has ended (§6.7)", () => {
  it.each(["session-info", "transport-info", "session-terminate", "session-accept", "content-add"])("its peer's %s gets item-not-found with unknown-session", async (action) => {
    const { alice, call } = await activeCall();
    await call.hangUp();
    const error = answer(alice, "bob@x/dev1", jingle({ action, sid: call.id }, xml("reason", {}, xml("success"))));
    expect(error).toMatchObject({ condition: "item-not-found", type: "cancel", application: { name: "unknown-session", xmlns: NS_JINGLE_ERRORS } });
  });

  it("a propose reusing the sid of a call no longer listed does not ring", async () => {
    const { alice, bob, call } = await activeCall();
    await call.hangUp();
    await until(() => bob.manager.calls[0]!.ended, "bob's side ends");
    vi.spyOn(Date, "now").mockReturnValue(Date.now() + CALL_LIMITS.endedGraceMs + 1);
    const replay = jmiMessage("bob@x", "propose", call.id, { media: ["audio"] });
    replay.attrs.from = "alice@x/web";
    deliverMessage(bob.manager, replay);
    expect(bob.manager.calls).toEqual([]);
    expect(alice.manager.calls).toHaveLength(1);
  });
});

describe("a session-initiate for a new sid (§6.3.2, §6.3.3)", () => {
  it("a malformed one gets bad-request and creates no call", () => {
    const bob = new FakeNetwork().device("bob@x/dev1", { trusted: ["alice@x"] });
    const broken = jingle({ action: "session-initiate", sid: "s1" },
      xml("content", { creator: "initiator", name: "0" }, xml("description", { xmlns: "urn:xmpp:jingle:apps:rtp:1", media: "audio" })));
    expect(answer(bob, "alice@x/web", broken)).toMatchObject({ condition: "bad-request", type: "modify" });
    expect(bob.manager.calls).toEqual([]);
  });

  it("a stranger's gets service-unavailable: nothing rings, no peer connection, nothing sent", async () => {
    const initiate = await directInitiate();
    const net = new FakeNetwork();
    const bob = net.device("bob@x/dev1", { trusted: [] });
    expect(answer(bob, "eve@evil/x", initiate)).toMatchObject({ condition: "service-unavailable", type: "cancel" });
    await new Promise((r) => setTimeout(r, 20));
    expect(bob.manager.calls).toEqual([]);
    expect(bob.peers).toEqual([]);
    expect(net.log).toEqual([]);
  });

  it("a stranger's rings when the user opted in", async () => {
    const initiate = await directInitiate();
    const bob = new FakeNetwork().device("bob@x/dev1", { trusted: [], allowStrangers: true });
    expect(answer(bob, "eve@evil/x", initiate)).toBeUndefined();
    expect(bob.manager.calls[0]?.state).toBe("incoming-session");
  });

  it("a contact's while we are in a call is acked, then terminated with busy", async () => {
    const initiate = await directInitiate();
    const { net, bob } = await activeCall();
    net.device("carol@x/web", { trusted: ["bob@x"] });
    const fresh = parseJingleXml(initiate.toString());
    fresh.attrs.sid = "carol-call-1";
    expect(answer(bob, "carol@x/web", fresh)).toBeUndefined();
    await until(() => terminates(net, "bob@x/dev1").length === 1, "bob terminates");
    expect(terminates(net, "bob@x/dev1")).toEqual([{ to: "carol@x/web", reason: "busy" }]);
    expect(bob.manager.calls.filter((c) => !c.ended)).toHaveLength(1);
  });

  it("a contact's for an application we do not support (file transfer) is acked, then terminated with unsupported-applications", async () => {
    const net = new FakeNetwork();
    const bob = net.device("bob@x/dev1", { trusted: ["romeo@montague.lit"] });
    // A file-transfer session-initiate from the XEPs (test/fixtures/jingle/xep-0343-file-transfer-initiation.xml).
    const ft = parseJingleXml(readFileSync(join(import.meta.dirname, "..", "..", "fixtures", "jingle", "xep-0343-file-transfer-initiation.xml"), "utf8"));
    expect(answer(bob, "romeo@montague.lit/orchard", ft)).toBeUndefined();
    await until(() => terminates(net, "bob@x/dev1").length === 1, "bob terminates");
    expect(terminates(net, "bob@x/dev1")).toEqual([{ to: "romeo@montague.lit/orchard", reason: "unsupported-applications" }]);
    expect(bob.manager.calls).toEqual([]);
  });
});

describe("JMI finish (XEP-0353)", () => {
  const finish = (from: string, id: string) => {
    const message = jmiMessage("bob@x/dev1", "finish", id, { reason: "success" });
    message.attrs.from = from;
    return message;
  };

  it("a finish from another resource of the peer does not end the call; one from the device in the call does", async () => {
    const { bob, bobSide } = await activeCall();
    deliverMessage(bob.manager, finish("alice@x/phone", bobSide.id));
    expect(bobSide.state).toBe("active");
    deliverMessage(bob.manager, finish("alice@x/web", bobSide.id));
    expect(bobSide.state).toBe("finished");
  });
});

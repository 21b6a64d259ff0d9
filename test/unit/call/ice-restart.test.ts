// ICE restart between two of our clients (RFC 8445 §9, XEP-0176 §5.2): who restarts and when, the
// offer/answer over transport-info, glare, giving up, and what a restart resets. Conversations'
// side of the same exchange is in ../interop/conversations.test.ts.
import { describe, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { CALL_LIMITS } from "../../../client/src/call/limits.js";
import type { CallSession, CallTimeouts } from "../../../client/src/call/session.js";
import { deriveCallPhase } from "../../../client/src/call/view.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";
import { candidatesContent, FakeNetwork, jingleAnswer, type Device } from "../../support/fake-network.js";
import { ufragOf } from "../../support/sdp-shape.js";
import { until } from "../../support/until.js";
import { NS_JINGLE, NS_JINGLE_ICE_UDP } from "../../../client/src/namespaces.js";


// Short, but with room for a loaded CI machine: an attempt must not time out before the fake reconnects.
const FAST: Partial<CallTimeouts> = { iceDisconnectedMs: 30, iceResponderDelayMs: 60, iceRestartAttemptMs: 2_000, iceGiveUpMs: 5_000, peerAwayMs: 100, peerAwayRetryMs: 20 };

async function connectedCall(timeouts: Partial<CallTimeouts> = FAST) {
  const net = new FakeNetwork();
  const alice = net.device("alice@x/web", { trusted: ["bob@x"], timeouts });
  const bob = net.device("bob@x/dev1", { trusted: ["alice@x"], timeouts });
  const caller = await alice.manager.call("bob@x", ["audio", "video"]);
  await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
  const callee = bob.manager.calls[0]!;
  await callee.accept();
  await until(() => caller.iceState === "connected" && callee.iceState === "connected", "connected");
  return { net, alice, bob, caller, callee };
}

const peerOf = (device: Device) => device.peers[device.peers.length - 1]!;

/** The transport-infos `from` sent for the call, as <jingle/> elements. */
function transportInfos(net: FakeNetwork, from: string): Element[] {
  return net.log
    .filter((s) => s.from === from && s.stanza.name === "iq" && s.stanza.attrs.type === "set")
    .map((s) => s.stanza.getChild("jingle", NS_JINGLE)!)
    .filter((j) => j.attrs.action === "transport-info");
}

const candidateCount = (jingle: Element) => jingle.getChildren("content").reduce((n, c) => n + (c.getChild("transport", NS_JINGLE_ICE_UDP)?.getChildren("candidate").length ?? 0), 0);
const restartOffers = (net: FakeNetwork, from: string) => transportInfos(net, from).filter((j) => candidateCount(j) === 0);

const answer = jingleAnswer;

const restartOffer = (sid: string, ufrag: string, pwd: string | undefined) =>
  xml("jingle", { xmlns: NS_JINGLE, action: "transport-info", sid }, xml("content", { creator: "initiator", name: "0" }, xml("transport", { xmlns: NS_JINGLE_ICE_UDP, ufrag, pwd })));

const bothRecovered = (a: CallSession, b: CallSession) => a.iceState === "connected" && b.iceState === "connected" && !a.recovering && !b.recovering;

describe("ICE restart after the network path broke", () => {
  it("the initiator restarts after ICE stayed disconnected: new ufrag/pwd both ways, media reconnects, the call never leaves active", async () => {
    const { net, alice, bob, caller, callee } = await connectedCall();
    const [aliceBefore, bobBefore] = [ufragOf(peerOf(alice).localDescription), ufragOf(peerOf(bob).localDescription)];
    peerOf(alice).setIceState("disconnected");
    peerOf(bob).setIceState("disconnected");
    expect(deriveCallPhase(caller)).toBe("reconnecting");
    await until(() => bothRecovered(caller, callee), "both reconnected", 3_000);
    expect(restartOffers(net, "alice@x/web")).toHaveLength(1);
    expect(restartOffers(net, "bob@x/dev1")).toHaveLength(0);
    expect(ufragOf(peerOf(alice).localDescription)).not.toBe(aliceBefore);
    expect(ufragOf(peerOf(bob).localDescription)).not.toBe(bobBefore);
    // Each side's browser has the other's new credentials.
    expect(ufragOf(peerOf(alice).remoteDescription)).toBe(ufragOf(peerOf(bob).localDescription));
    expect(ufragOf(peerOf(bob).remoteDescription)).toBe(ufragOf(peerOf(alice).localDescription));
    expect([caller.state, callee.state]).toEqual(["active", "active"]);
    expect([caller.iceRestarts, callee.iceRestarts]).toEqual([1, 1]);
    expect(deriveCallPhase(caller)).toBe("connected");
  });

  it("a network change restarts a connected call at once (the initiator; the responder leaves it to it) without showing reconnecting", async () => {
    const { net, alice, bob, caller, callee } = await connectedCall();
    const before = ufragOf(peerOf(alice).localDescription);
    alice.manager.networkChanged();
    bob.manager.networkChanged();
    expect(caller.recovering).toBe(false);
    await until(() => restartOffers(net, "alice@x/web").length === 1 && bothRecovered(caller, callee) && ufragOf(peerOf(bob).remoteDescription) !== before, "restarted", 3_000);
    await new Promise((r) => setTimeout(r, 150));
    expect(restartOffers(net, "bob@x/dev1")).toHaveLength(0);
    expect([caller.iceRestarts, callee.iceRestarts]).toEqual([1, 1]);
    expect([caller.state, callee.state]).toEqual(["active", "active"]);
  });

  it("a disconnection that heals by itself within the grace time restarts nothing", async () => {
    const { net, alice, caller } = await connectedCall();
    peerOf(alice).setIceState("disconnected");
    peerOf(alice).setIceState("connected");
    await new Promise((r) => setTimeout(r, 120));
    expect(restartOffers(net, "alice@x/web")).toHaveLength(0);
    expect(caller.recovering).toBe(false);
  });

  it("when only the responder's path broke, the responder restarts after its longer wait", async () => {
    const { net, bob, caller, callee } = await connectedCall();
    peerOf(bob).setIceState("failed");
    await until(() => bothRecovered(caller, callee), "both reconnected", 3_000);
    expect(restartOffers(net, "bob@x/dev1")).toHaveLength(1);
    expect(restartOffers(net, "alice@x/web")).toHaveLength(0);
  });

  it("crossing restarts: the initiator refuses the responder's with tie-break and the responder answers the initiator's", async () => {
    const { net, alice, bob, caller, callee } = await connectedCall({ ...FAST, iceResponderDelayMs: 0 });
    peerOf(alice).setIceState("failed");
    peerOf(bob).setIceState("failed");
    await until(() => bothRecovered(caller, callee), "both reconnected", 3_000);
    const tieBreaks = net.log.filter((s) => s.from === "alice@x/web" && s.stanza.attrs.type === "error");
    expect(tieBreaks.length).toBeLessThanOrEqual(1);
    if (tieBreaks.length === 1) expect(peerOf(bob).calls).toContain("rollback");
    expect(ufragOf(peerOf(alice).remoteDescription)).toBe(ufragOf(peerOf(bob).localDescription));
    expect(ufragOf(peerOf(bob).remoteDescription)).toBe(ufragOf(peerOf(alice).localDescription));
    expect([caller.state, callee.state]).toEqual(["active", "active"]);
  });

  it("our candidates of the new generation go out only after the peer acked the restart offer, and none of the old generation goes out with the new credentials", async () => {
    const { net, alice, caller, callee } = await connectedCall();
    const oldUfrag = ufragOf(peerOf(alice).localDescription);
    peerOf(alice).setIceState("failed");
    await until(() => bothRecovered(caller, callee), "reconnected", 3_000);
    const newUfrag = ufragOf(peerOf(alice).localDescription);
    const entries = net.log.map((s, i) => ({ i, s, jingle: s.stanza.getChild("jingle", NS_JINGLE) }));
    const offer = entries.find((e) => e.s.from === "alice@x/web" && e.jingle?.attrs.action === "transport-info" && candidateCount(e.jingle) === 0)!;
    const ack = entries.find((e) => e.i > offer.i && e.s.from === "bob@x/dev1" && e.s.stanza.attrs.type === "result" && e.s.stanza.attrs.id === offer.s.stanza.attrs.id)!;
    const withCandidates = entries.filter((e) => e.i > offer.i && e.s.from === "alice@x/web" && e.jingle?.attrs.action === "transport-info" && candidateCount(e.jingle) > 0);
    expect(withCandidates.length).toBeGreaterThan(0);
    expect(withCandidates.every((e) => e.i > ack.i)).toBe(true);
    expect(withCandidates.every((e) => e.jingle!.getChildren("content").every((c) => c.getChild("transport", NS_JINGLE_ICE_UDP)?.attrs.ufrag === newUfrag))).toBe(true);
    expect(oldUfrag).not.toBe(newUfrag);
  });

  it("a restart offer the peer refuses with an error (after the retries a peer away gets) is rolled back, and no candidate of it goes out", async () => {
    const { net, alice, bob, caller } = await connectedCall();
    bob.online = false;
    peerOf(alice).setIceState("failed");
    await until(() => peerOf(alice).calls.includes("rollback"), "rolled back");
    await new Promise((r) => setTimeout(r, 50));
    const newUfrag = ufragOf(peerOf(alice).localDescription);
    const sentAfter = transportInfos(net, "alice@x/web").filter((j) => j.getChildren("content").some((c) => c.getChild("transport", NS_JINGLE_ICE_UDP)?.attrs.ufrag === newUfrag));
    // The offer itself (sent again while bob was away), never a candidate of it.
    expect(sentAfter.length).toBeGreaterThan(0);
    expect(sentAfter.every((j) => candidateCount(j) === 0)).toBe(true);
    expect(caller.state).toBe("active");
  });

  it("gives up with connectivity-error when no restart brings the path back in time", async () => {
    const { net, alice, caller, callee } = await connectedCall({ ...FAST, iceRestartAttemptMs: 150, iceGiveUpMs: 600 });
    // Alice's browser never connects again, whatever is negotiated.
    peerOf(alice).reachable = false;
    peerOf(alice).setIceState("failed");
    await until(() => caller.ended, "caller gave up", 3_000);
    expect(caller.state).toBe("failed");
    expect(caller.reason).toBe("connectivity-error");
    expect(caller.problem).toMatch(/lost/);
    const terminate = net.log.find((s) => s.from === "alice@x/web" && s.stanza.getChild("jingle", NS_JINGLE)?.attrs.action === "session-terminate");
    expect(terminate?.stanza.getChild("jingle", NS_JINGLE)?.getChild("reason")?.getChild("connectivity-error")).toBeTruthy();
    await until(() => callee.ended, "callee told");
    expect(callee.reason).toBe("connectivity-error");
  });

  it("a call that never connected still fails at once with connectivity-error (no restart)", async () => {
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"], timeouts: FAST });
    const bob = net.device("bob@x/dev1", { trusted: ["alice@x"], timeouts: FAST });
    const caller = await alice.manager.call("bob@x", ["audio", "video"]);
    await until(() => bob.manager.calls[0]?.state === "incoming" && alice.peers.length === 1, "bob rings");
    // No path: alice's browser never pairs with bob's candidates.
    peerOf(alice).reachable = false;
    await bob.manager.calls[0]!.accept();
    await until(() => caller.state === "active", "active");
    peerOf(alice).setIceState("failed");
    expect(caller.state).toBe("failed");
    expect(caller.reason).toBe("connectivity-error");
    expect(restartOffers(net, "alice@x/web")).toHaveLength(0);
  });

  it("a call whose ICE never gets going (no 'failed' from the browser either) ends with connectivity-error once connectMs has passed, not 'Connecting…' for ever", async () => {
    const timeouts = { ...FAST, connectMs: 300 };
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"], timeouts });
    const bob = net.device("bob@x/dev1", { trusted: ["alice@x"], timeouts });
    const caller = await alice.manager.call("bob@x", ["audio", "video"]);
    await until(() => bob.manager.calls[0]?.state === "incoming" && alice.peers.length === 1, "bob rings");
    // Alice's browser never checks a pair and never says it failed.
    peerOf(alice).reachable = false;
    const callee = bob.manager.calls[0]!;
    await callee.accept();
    await until(() => caller.state === "active", "active");
    expect(caller.iceState).toBe("new");
    await until(() => caller.ended, "the caller gave up", 3_000);
    expect(caller.state).toBe("failed");
    expect(caller.reason).toBe("connectivity-error");
    expect(caller.problem).toMatch(/could not connect/);
    await until(() => callee.ended, "the callee told");
    expect(callee.reason).toBe("connectivity-error");
  });

  it("a call that connected is not ended by the connect deadline", async () => {
    const { caller, callee } = await connectedCall({ ...FAST, connectMs: 100 });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect([caller.state, callee.state]).toEqual(["active", "active"]);
  });
});

describe("a restart offer from the peer", () => {
  it("resets the remote candidate cap: the new generation may bring its own candidates", async () => {
    const { alice, caller } = await connectedCall();
    const candidates = (count: number, ufrag: string, pwd: string, first: number) =>
      xml("jingle", { xmlns: NS_JINGLE, action: "transport-info", sid: caller.id }, candidatesContent(count, { first, ufrag, pwd }));
    const current = ufragOf(peerOf(alice).remoteDescription);
    const pwd = /^a=ice-pwd:(.*)$/m.exec(peerOf(alice).remoteDescription)![1]!;
    let sent = 0;
    let refused: StanzaError | undefined;
    while (!(refused = answer(alice, "bob@x/dev1", candidates(64, current, pwd, sent)))) sent += 64;
    expect(refused).toMatchObject({ condition: "not-acceptable" });
    expect(answer(alice, "bob@x/dev1", restartOffer(caller.id, "fresh", "fresh-password-0123456789"))).toBeUndefined();
    expect(answer(alice, "bob@x/dev1", candidates(64, "fresh", "fresh-password-0123456789", 10_000))).toBeUndefined();
    expect(caller.state).toBe("active");
    expect(sent).toBeLessThanOrEqual(CALL_LIMITS.remoteCandidates);
  });

  it("with a new ufrag but no pwd is bad-request; an empty transport-info of a replaced generation is acked and ignored", async () => {
    const { alice, caller } = await connectedCall();
    const old = ufragOf(peerOf(alice).remoteDescription);
    const oldPwd = /^a=ice-pwd:(.*)$/m.exec(peerOf(alice).remoteDescription)![1]!;
    expect(answer(alice, "bob@x/dev1", restartOffer(caller.id, "nopwd", undefined))).toMatchObject({ condition: "bad-request" });
    expect(answer(alice, "bob@x/dev1", restartOffer(caller.id, "gen1", "gen1-password-0123456789"))).toBeUndefined();
    await until(() => ufragOf(peerOf(alice).remoteDescription) === "gen1", "restart applied");
    const answers = peerOf(alice).calls.filter((c) => c === "answer").length;
    expect(answer(alice, "bob@x/dev1", restartOffer(caller.id, old, oldPwd))).toBeUndefined();
    await new Promise((r) => setTimeout(r, 30));
    expect(peerOf(alice).calls.filter((c) => c === "answer").length).toBe(answers);
    expect(ufragOf(peerOf(alice).remoteDescription)).toBe("gen1");
  });

  it("while our content-add waits for its answer, is refused with tie-break", async () => {
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"], timeouts: FAST });
    const bob = net.device("bob@x/dev1", { trusted: ["alice@x"], timeouts: FAST });
    const caller = await alice.manager.call("bob@x", ["audio"]);
    await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
    await bob.manager.calls[0]!.accept();
    await until(() => caller.iceState === "connected", "connected");
    bob.online = false; // the content-add stays unanswered
    caller.addVideo();
    await until(() => caller.video.request === "outgoing", "content-add pending");
    expect(answer(alice, "bob@x/dev1", restartOffer(caller.id, "cross", "cross-password-0123456789"))).toMatchObject({ application: { name: "tie-break" } });
  });
});

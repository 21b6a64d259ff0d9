import { describe, expect, it, vi } from "vitest";
import { xml } from "@xmpp/xml";
import { audioCall, FakeNetwork } from "../../support/fake-network.js";
import { until } from "../../support/until.js";
import { StanzaError } from "../../../client/src/xmpp/errors.js";
import type { CallSession } from "../../../client/src/call/session.js";
import type { JmiMessage } from "../../../client/src/xmpp/jmi.js";
import { historyFromJmi } from "../../../client/src/call/history.js";
import { deriveCallPhase } from "../../../client/src/call/view.js";
import { deliverJingle } from "../../../client/src/app/call-stanzas.js";

function setup(opts: { bobDevices?: number; timeouts?: Record<string, number> } = {}) {
  const net = new FakeNetwork();
  const alice = net.device("alice@x/web", { trusted: ["bob@x", "carol@x"], timeouts: opts.timeouts });
  const bobs = Array.from({ length: opts.bobDevices ?? 1 }, (_, i) => net.device(`bob@x/dev${i + 1}`, { trusted: ["alice@x", "carol@x"], timeouts: opts.timeouts }));
  const carol = net.device("carol@x/web", { trusted: ["bob@x", "alice@x"] });
  return { net, alice, bobs, bob: bobs[0]!, carol };
}

const incoming = (d: { manager: { calls: readonly CallSession[] } }) => d.manager.calls[0];

describe("a 1:1 call over XEP-0353 and Jingle RTP", () => {
  it("alice calls bob, bob accepts: both become active with ICE connected, hang-up ends both with success", async () => {
    const { net, alice, bob } = setup();
    const call = await alice.manager.call("bob@x", ["audio", "video"]);
    await until(() => incoming(bob)?.state === "incoming", "bob rings");
    expect(incoming(bob)!.media).toEqual(["audio", "video"]);
    await until(() => call.state === "ringing", "ringing reaches alice");
    await incoming(bob)!.accept();
    await until(() => call.state === "active" && incoming(bob)!.state === "active", "both active");
    await until(() => call.iceState === "connected" && incoming(bob)!.iceState === "connected", "ICE connected");
    expect(call.peerJid).toBe("bob@x/dev1");
    await call.hangUp();
    await until(() => incoming(bob)!.state === "finished", "bob sees the end");
    expect([call.reason, incoming(bob)!.reason]).toEqual(["success", "success"]);
    expect(net.jmiActions("alice@x/web")).toEqual(["propose", "finish"]);
    expect(net.jmiActions("bob@x/dev1")).toEqual(["ringing", "accept", "proceed"]);
    expect(alice.peers[0]!.closed && bob.peers[0]!.closed).toBe(true);
  });

  it("answering sends accept and proceed before the peer connection is built and the camera opened: the caller's offer waits on proceed, not on them", async () => {
    const { net, alice, bob } = setup();
    await alice.manager.call("bob@x", ["audio", "video"]);
    await until(() => incoming(bob)?.state === "incoming", "bob rings");
    const sentWhenBuilt: string[][] = [];
    const push = bob.peers.push.bind(bob.peers);
    bob.peers.push = (...peers) => {
      sentWhenBuilt.push(net.jmiActions("bob@x/dev1"));
      return push(...peers);
    };
    await incoming(bob)!.accept();
    await until(() => bob.peers.length === 1, "bob's peer connection");
    expect(sentWhenBuilt).toEqual([["ringing", "accept", "proceed"]]);
  });

  it("the session-initiate goes to the device that answered, after its proceed", async () => {
    const { net, alice, bobs } = setup({ bobDevices: 2 });
    const call = await alice.manager.call("bob@x", ["audio", "video"]);
    await until(() => bobs.every((b) => incoming(b)?.state === "incoming"), "both devices ring");
    await incoming(bobs[1]!)!.accept();
    await until(() => call.state === "active", "active");
    const initiate = net.log.find((s) => s.stanza.getChild("jingle", "urn:xmpp:jingle:1")?.attrs.action === "session-initiate")!;
    expect(initiate.stanza.attrs.to).toBe("bob@x/dev2");
    expect(initiate.stanza.getChild("jingle", "urn:xmpp:jingle:1")!.attrs.sid).toBe(call.id);
  });

  it("bob's second device stops ringing when the first answers", async () => {
    const { alice, bobs } = setup({ bobDevices: 2 });
    await alice.manager.call("bob@x", ["audio"]);
    await until(() => bobs.every((b) => incoming(b)?.state === "incoming"), "both ring");
    await incoming(bobs[0]!)!.accept();
    await until(() => incoming(bobs[1]!)!.state === "answered-elsewhere", "second device stops");
    expect(bobs[1]!.peers).toHaveLength(0);
  });

  it("bob declines: alice's call ends rejected with decline and bob's other device stops ringing", async () => {
    const { alice, bobs } = setup({ bobDevices: 2 });
    const call = await alice.manager.call("bob@x", ["audio"]);
    await until(() => bobs.every((b) => incoming(b)?.state === "incoming"), "both ring");
    await incoming(bobs[0]!)!.reject();
    await until(() => call.state === "rejected", "alice sees the decline");
    expect(call.reason).toBe("decline");
    await until(() => incoming(bobs[1]!)!.state === "rejected-elsewhere", "other device stops");
  });

  it("alice cancels before bob answers: every device of bob stops ringing (missed call)", async () => {
    const { net, alice, bobs } = setup({ bobDevices: 2 });
    const call = await alice.manager.call("bob@x", ["audio"]);
    await until(() => bobs.every((b) => incoming(b)?.state === "incoming"), "both ring");
    await call.hangUp();
    await until(() => bobs.every((b) => incoming(b)!.state === "retracted"), "all stop");
    expect(call.state).toBe("retracted");
    expect(net.jmiActions("alice@x/web")).toEqual(["propose", "retract"]);
    expect(net.jingleActions()).toEqual([]);
  });

  it("a callee busy with another call answers busy", async () => {
    const { alice, bob, carol } = setup();
    const first = await alice.manager.call("bob@x", ["audio", "video"]);
    await until(() => incoming(bob)?.state === "incoming", "bob rings");
    await incoming(bob)!.accept();
    await until(() => first.state === "active", "first call active");
    const second = await carol.manager.call("bob@x", ["audio"]);
    await until(() => second.state === "rejected", "carol rejected");
    expect(second.reason).toBe("busy");
    expect(first.state).toBe("active");
  });

  it("an unanswered call is retracted with timeout after the ring timeout", async () => {
    vi.useFakeTimers();
    try {
      const { alice } = setup({ timeouts: { ringMs: 30_000 } });
      const call = await alice.manager.call("nobody@x", ["audio"]);
      await vi.advanceTimersByTimeAsync(30_001);
      expect(call.state).toBe("retracted");
      expect(call.reason).toBe("timeout");
    } finally {
      vi.useRealTimers();
    }
  });

  it("an unanswered call: alice retracts after her ring timeout, every device of bob stops ringing as missed, alice sees no answer", async () => {
    vi.useFakeTimers();
    try {
      const { net, alice, bobs } = setup({ bobDevices: 2, timeouts: { ringMs: 30_000, incomingMs: 40_000 } });
      const heard: Array<{ message: JmiMessage; outgoing: boolean; at: number }> = [];
      bobs[0]!.manager.on("jmi", (message, outgoing) => heard.push({ message, outgoing, at: Date.now() }));
      const call = await alice.manager.call("bob@x", ["audio", "video"]);
      await vi.advanceTimersByTimeAsync(100);
      expect(bobs.map((b) => incoming(b)!.state)).toEqual(["incoming", "incoming"]);
      expect(call.state).toBe("ringing");
      await vi.advanceTimersByTimeAsync(30_000);
      expect([call.state, call.reason]).toEqual(["retracted", "timeout"]);
      expect(deriveCallPhase(call)).toBe("no-answer");
      for (const b of bobs) {
        expect([incoming(b)!.state, incoming(b)!.reason]).toEqual(["retracted", "timeout"]);
        expect(deriveCallPhase({ state: incoming(b)!.state, direction: "incoming", iceState: "new", reason: incoming(b)!.reason })).toBe("missed");
        expect(b.peers).toHaveLength(0);
      }
      // Both ends cleanly: the caller's camera is released, no Jingle was ever sent.
      expect(alice.peers.every((p) => p.closed)).toBe(true);
      expect(net.jmiActions("alice@x/web")).toEqual(["propose", "retract"]);
      expect(net.jingleActions()).toEqual([]);
      expect(historyFromJmi(heard).map((r) => [r.direction, r.outcome])).toEqual([["received", "missed"]]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("a callee whose caller vanished stops ringing after its own timeout and records a missed call", async () => {
    vi.useFakeTimers();
    try {
      const net = new FakeNetwork();
      // Alice's device goes away while ringing, so her retract never comes: bob gives up on his own.
      const alice = net.device("alice@x/web", { trusted: ["bob@x"], timeouts: { ringMs: 600_000 } });
      const bob = net.device("bob@x/dev1", { trusted: ["alice@x"], timeouts: { incomingMs: 40_000 } });
      await alice.manager.call("bob@x", ["audio"]);
      await vi.advanceTimersByTimeAsync(100);
      expect(incoming(bob)!.state).toBe("incoming");
      const sentBefore = net.log.length;
      await vi.advanceTimersByTimeAsync(40_000);
      expect([incoming(bob)!.state, incoming(bob)!.reason]).toEqual(["failed", "timeout"]);
      expect(deriveCallPhase({ state: incoming(bob)!.state, direction: "incoming", iceState: "new", reason: incoming(bob)!.reason })).toBe("missed");
      expect(net.log.slice(sentBefore).filter((s) => s.from === "bob@x/dev1")).toEqual([]);
    } finally {
      vi.useRealTimers();
    }
  });

  it("the caller's first candidates ride in session-initiate; the callee's session-accept does not wait for its own, which follow as the later ones do, together in one transport-info per batch", async () => {
    const net = new FakeNetwork();
    // Late candidates well after the session starts, however loaded the machine (a relay's come ~30 ms late).
    const late = { peer: { candidates: 3, lateCandidates: 4, lateCandidatesMs: 400 } };
    const alice = net.device("alice@x/web", { trusted: ["bob@x"], ...late });
    const bob = net.device("bob@x/dev1", { trusted: ["alice@x"], ...late });
    const call = await alice.manager.call("bob@x", ["audio", "video"]);
    await until(() => incoming(bob)?.state === "incoming", "rings");
    await incoming(bob)!.accept();
    await until(() => call.iceState === "connected" && incoming(bob)!.iceState === "connected", "connected");
    await new Promise((r) => setTimeout(r, 500));
    const candidatesIn = (from: string, action: string) => net.log
      .filter((s) => s.from === from && s.stanza.getChild("jingle", "urn:xmpp:jingle:1")?.attrs.action === action)
      .map((s) => s.stanza.getChild("jingle", "urn:xmpp:jingle:1")!.getChildren("content").flatMap((c) => c.getChildElements().flatMap((t) => t.getChildren("candidate")))
        .filter((c) => c.attrs.ip === "198.51.100.7").length); // the fake's; the captured SDP carries its own
    expect(candidatesIn("alice@x/web", "session-initiate")).toEqual([3]);
    expect(candidatesIn("alice@x/web", "transport-info")).toEqual([4]);
    expect(candidatesIn("bob@x/dev1", "session-accept")).toEqual([0]);
    expect(candidatesIn("bob@x/dev1", "transport-info")).toEqual([3, 4]);
  });

  it("an iq of an established call to a peer device momentarily without a session (a server restart) is sent again until it is back; before the session is up it is not", async () => {
    const net = new FakeNetwork();
    const timeouts = { peerAwayMs: 2_000, peerAwayRetryMs: 20 };
    const alice = net.device("alice@x/web", { trusted: ["bob@x"], timeouts });
    const bob = net.device("bob@x/dev1", { trusted: ["alice@x"], timeouts });
    const call = await alice.manager.call("bob@x", ["audio", "video"]);
    await until(() => incoming(bob)?.state === "incoming", "rings");
    await incoming(bob)!.accept();
    await until(() => call.state === "active" && incoming(bob)!.state === "active", "active");
    const remoteMute = new Promise<boolean>((resolve) => incoming(bob)!.on("remoteMute", resolve));
    bob.online = false;
    const muted = call.setMuted("audio", true);
    await new Promise((r) => setTimeout(r, 100));
    bob.online = true;
    expect(await remoteMute).toBe(true);
    await muted;
    const refused = net.log.filter((s) => s.from === "alice@x/web" && s.stanza.getChild("jingle", "urn:xmpp:jingle:1")?.attrs.action === "session-info");
    expect(refused.length).toBeGreaterThan(1);
  });

  it("muting the microphone stops the track and tells the peer", async () => {
    const { alice, bob } = setup();
    const call = await alice.manager.call("bob@x", ["audio", "video"]);
    await until(() => incoming(bob)?.state === "incoming", "rings");
    const remoteMute = new Promise<boolean>((resolve) => incoming(bob)!.on("remoteMute", resolve));
    await incoming(bob)!.accept();
    await until(() => call.state === "active", "active");
    await call.setMuted("audio", true);
    expect(await remoteMute).toBe(true);
    expect(alice.peers[0]!.muted.has("audio")).toBe(true);
  });
});

describe("who may ring", () => {
  it("a stranger's call neither rings nor is answered: nothing tells him bob is online or under which resource", async () => {
    const net = new FakeNetwork();
    const bob = net.device("bob@x/dev1", { trusted: [] });
    const eve = net.device("eve@evil/x", { trusted: ["bob@x"] });
    const call = await eve.manager.call("bob@x", ["audio"]);
    await new Promise((r) => setTimeout(r, 30));
    expect(bob.manager.calls).toHaveLength(0);
    expect(net.jmiActions("bob@x/dev1")).toEqual([]);
    expect(call.state).toBe("proposed");
  });

  it("a stranger may ring when the user opted in", async () => {
    const net = new FakeNetwork();
    const bob = net.device("bob@x/dev1", { trusted: [], allowStrangers: true });
    const eve = net.device("eve@evil/x", { trusted: ["bob@x"] });
    await eve.manager.call("bob@x", ["audio"]);
    await until(() => incoming(bob)?.state === "incoming", "bob rings");
  });

  it("a propose that bob's own other device sent does not ring bob", async () => {
    const { bobs, alice } = setup({ bobDevices: 2 });
    await bobs[0]!.manager.call("alice@x", ["audio"]);
    await until(() => incoming(alice)?.state === "incoming", "alice rings");
    expect(bobs[1]!.manager.calls).toHaveLength(0);
  });
});

describe("XEP-0166 errors", () => {
  async function activeCall() {
    const s = setup();
    const call = await s.alice.manager.call("bob@x", ["audio", "video"]);
    await until(() => incoming(s.bob)?.state === "incoming", "rings");
    await incoming(s.bob)!.accept();
    await until(() => call.state === "active" && incoming(s.bob)!.state === "active", "active");
    return { ...s, call };
  }

  it("a third party's session-terminate for an existing session gets unknown-session and leaves the call up", async () => {
    const { bob, call } = await activeCall();
    const forged = xml("jingle", { xmlns: "urn:xmpp:jingle:1", action: "session-terminate", sid: call.id }, xml("reason", {}, xml("success")));
    const error = (() => { try { deliverJingle(bob.manager, "eve@evil/x", forged); } catch (e) { return e; } })();
    expect(error).toBeInstanceOf(StanzaError);
    expect(error).toMatchObject({ condition: "item-not-found", application: { name: "unknown-session" } });
    expect(incoming(bob)!.state).toBe("active");
  });

  it("an action for an unknown sid gets item-not-found with unknown-session", () => {
    const { bob } = setup();
    const ti = xml("jingle", { xmlns: "urn:xmpp:jingle:1", action: "transport-info", sid: "nope" });
    expect(() => deliverJingle(bob.manager, "alice@x/web", ti)).toThrowError(expect.objectContaining({ condition: "item-not-found", application: expect.objectContaining({ name: "unknown-session" }) }));
  });

  it("a second session-accept is out-of-order", async () => {
    const { alice, call } = await activeCall();
    const again = xml("jingle", { xmlns: "urn:xmpp:jingle:1", action: "session-accept", sid: call.id });
    expect(() => deliverJingle(alice.manager, "bob@x/dev1", again)).toThrowError(expect.objectContaining({ condition: "unexpected-request", application: expect.objectContaining({ name: "out-of-order" }) }));
    expect(call.state).toBe("active");
  });

  it("a session-info it does not understand gets unsupported-info", async () => {
    const { alice, call } = await activeCall();
    const info = xml("jingle", { xmlns: "urn:xmpp:jingle:1", action: "session-info", sid: call.id }, xml("hold-music", { xmlns: "urn:example" }));
    expect(() => deliverJingle(alice.manager, "bob@x/dev1", info)).toThrowError(expect.objectContaining({ condition: "feature-not-implemented", application: expect.objectContaining({ name: "unsupported-info" }) }));
  });

  it("a malformed session-initiate gets bad-request", async () => {
    const { net, alice, bob } = setup();
    await alice.manager.call("bob@x", ["audio"]);
    await until(() => incoming(bob)?.state === "incoming", "rings");
    // Answer, then feed a session-initiate whose content has no transport.
    net.devices.get("alice@x/web")!.online = false;
    await incoming(bob)!.accept();
    const broken = xml("jingle", { xmlns: "urn:xmpp:jingle:1", action: "session-initiate", sid: incoming(bob)!.id },
      xml("content", { creator: "initiator", name: "0" }, xml("description", { xmlns: "urn:xmpp:jingle:apps:rtp:1", media: "audio" })));
    expect(() => deliverJingle(bob.manager, "alice@x/web", broken)).toThrowError(expect.objectContaining({ condition: "bad-request" }));
  });

  it("a session-initiate with other media than proposed is refused and ends the call with security-error", async () => {
    const net = new FakeNetwork();
    // alice proposes audio only, but her browser offers audio+video.
    const alice = net.device("alice@x/web", { trusted: ["bob@x"], peer: { sending: ["audio", "video"] } });
    const bob = net.device("bob@x/dev1", { trusted: ["alice@x"] });
    await alice.manager.call("bob@x", ["audio"]);
    await until(() => incoming(bob)?.state === "incoming", "rings");
    await incoming(bob)!.accept();
    await until(() => incoming(bob)!.state === "failed", "bob ends it");
    expect(incoming(bob)!.reason).toBe("security-error");
    expect(net.jmiActions("bob@x/dev1")).toContain("finish");
  });
});

describe("races", () => {
  it("a retract that crosses bob's proceed ends bob's call and alice repeats the retract", async () => {
    const { net, alice, bob } = setup();
    const call = await alice.manager.call("bob@x", ["audio"]);
    await until(() => incoming(bob)?.state === "incoming", "rings");
    await Promise.all([call.hangUp(), incoming(bob)!.accept()]);
    await until(() => incoming(bob)!.state === "retracted", "bob stops");
    expect(call.state).toBe("retracted");
    expect(net.jmiActions("alice@x/web").filter((a) => a === "retract")).toHaveLength(2);
    expect(net.jingleActions()).toEqual([]);
  });
});

describe("leaving the page (pagehide)", () => {
  it("ends an active call for the peer with session-terminate <success/>; a call only ringing here keeps ringing", async () => {
    const { net, bob, call } = await audioCall();
    bob.manager.leave();
    await until(() => call.ended, "alice's call ends");
    expect([call.state, call.reason]).toEqual(["finished", "success"]);
    expect(net.jingleActions("bob@x/web")).toContain("session-terminate");
  });

  it("leaves a call that only rings on this device alone, so the user's other devices keep ringing", async () => {
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"] });
    const bobLaptop = net.device("bob@x/laptop", { trusted: ["alice@x"] });
    const bobPhone = net.device("bob@x/phone", { trusted: ["alice@x"] });
    const call = await alice.manager.call("bob@x", ["audio"]);
    await until(() => bobLaptop.manager.calls[0]?.state === "incoming" && bobPhone.manager.calls[0]?.state === "incoming", "both ring");
    bobLaptop.manager.leave();
    await new Promise((r) => setTimeout(r, 20));
    expect(bobPhone.manager.calls[0]?.state).toBe("incoming");
    expect(call.ended).toBe(false);
  });
});

describe("no sound from the peer", () => {
  async function activeCall() {
    const { call, theirs, bob } = await audioCall();
    return { call, theirs, bobPeer: bob.peers[0]! };
  }

  it("when the browser finds no audio arriving after ICE connected, the call says so (and stops saying it once audio comes); the call goes on", async () => {
    const { theirs, bobPeer } = await activeCall();
    const notices: string[] = [];
    theirs.on("notice", (text) => notices.push(text));
    bobPeer.options.listeners.onIncomingAudio(false);
    expect(theirs.notice).toMatch(/No sound is arriving/);
    bobPeer.options.listeners.onIncomingAudio(true);
    expect(theirs.notice).toBe("");
    expect(notices).toEqual([expect.stringMatching(/No sound/), ""]);
    expect(theirs.state).toBe("active");
  });

  it("says nothing when the peer told us it muted its microphone", async () => {
    const { call, theirs, bobPeer } = await activeCall();
    const muted = theirs.next("remoteMute");
    await call.setMuted("audio", true);
    expect(await muted).toEqual([true]);
    bobPeer.options.listeners.onIncomingAudio(false);
    expect(theirs.notice).toBe("");
  });
});

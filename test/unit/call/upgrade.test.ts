// Mid-call video (XEP-0166 §7.2 content-add/-accept/-reject/-modify) between two of our clients
// on the fake network: both directions, refusal, glare, and back to audio.
import { describe, expect, it } from "vitest";
import { audioCall, FakeNetwork, type Device } from "../../support/fake-network.js";
import { mediaLines } from "../../support/sdp-shape.js";
import { until } from "../../support/until.js";
import type { CallSession } from "../../../client/src/call/session.js";
import { chooseCallTarget } from "../../../client/src/call/target.js";

const peer = (d: Device) => d.peers[0]!;
const lines = (d: Device) => mediaLines(peer(d).localDescription).map((l) => `${l.type}:${l.direction}`);

describe("video added to an audio call (content-add)", () => {
  it("alice turns her camera on, bob accepts: both send and receive video on a second m-line; one offer/answer each", async () => {
    const { net, alice, bob, call, theirs } = await audioCall();
    call.addVideo();
    expect(call.video.request).toBe("outgoing");
    await until(() => theirs.video.request === "incoming", "bob is asked");
    theirs.acceptVideo();
    await until(() => call.video.receiving && theirs.video.receiving, "video both ways");
    expect(call.video).toEqual({ sending: true, receiving: true, request: undefined });
    expect(theirs.video).toEqual({ sending: true, receiving: true, request: undefined });
    expect(net.jingleActions()).toEqual(expect.arrayContaining(["content-add", "content-accept"]));
    expect(lines(alice)).toEqual(["audio:sendrecv", "video:sendrecv"]);
    expect(lines(bob)).toEqual(["audio:sendrecv", "video:sendrecv"]);
    // Neither offer nor answer waits for a camera: they say we send, and the camera follows.
    expect(peer(alice).calls).toEqual(["offer", "applyAnswer", "start video", "offer", "applyAnswer"]);
    expect(peer(bob).calls).toEqual(["answer", "answer sending video"]);
  });

  it("the renegotiation hands each browser only the new content's description: no candidate it already has is given to it again", async () => {
    const { alice, bob, call, theirs } = await audioCall();
    const before = [peer(alice).candidatesGiven, peer(bob).candidatesGiven];
    expect(before).toEqual([peer(alice).remoteCandidates.length, peer(bob).remoteCandidates.length]);
    call.addVideo();
    await until(() => theirs.video.request === "incoming", "bob is asked");
    theirs.acceptVideo();
    await until(() => call.video.receiving && theirs.video.receiving, "video both ways");
    expect(peer(alice).remoteDescription).not.toMatch(/^a=candidate:/m);
    expect(peer(bob).remoteDescription).not.toMatch(/^a=candidate:/m);
    expect([peer(alice).candidatesGiven, peer(bob).candidatesGiven]).toEqual([peer(alice).remoteCandidates.length, peer(bob).remoteCandidates.length]);
  });

  it("bob (the callee) turns his camera on, alice accepts: the same from the responder's side", async () => {
    const { call, theirs } = await audioCall();
    theirs.addVideo();
    await until(() => call.video.request === "incoming", "alice is asked");
    call.acceptVideo();
    await until(() => call.video.receiving && theirs.video.receiving, "video both ways");
    expect(call.video.sending && theirs.video.sending).toBe(true);
  });

  it("bob declines: alice's offer is rolled back, her camera closed, she reads that video was refused; audio goes on", async () => {
    const { net, alice, call, theirs } = await audioCall();
    call.addVideo();
    await until(() => theirs.video.request === "incoming", "bob is asked");
    theirs.declineVideo();
    await until(() => call.notice !== "", "alice told");
    expect(call.notice).toMatch(/did not accept video/);
    expect(net.jingleActions("bob@x/web")).toContain("content-reject");
    expect(peer(alice).calls.slice(-2)).toEqual(["rollback", "stop video"]);
    expect(peer(alice).signalingState).toBe("stable");
    expect([call.state, theirs.state]).toEqual(["active", "active"]);
    expect(call.video).toEqual({ sending: false, receiving: false, request: undefined });
  });

  it("alice withdraws her content-add before bob answers (content-remove): bob is no longer asked", async () => {
    const { call, theirs } = await audioCall();
    call.addVideo();
    await until(() => theirs.video.request === "incoming", "bob is asked");
    // As Conversations retracts a content-add: content-remove of the pending contents.
    const names = ["1"];
    theirs.handleJingle("alice@x/web", readJingleRequest(contentRemove(call, names)));
    expect(theirs.video.request).toBeUndefined();
  });

  it("glare: both turn their camera on at once; the initiator's content-add wins (tie-break), the responder takes it as its answer", async () => {
    const { net, call, theirs } = await audioCall();
    call.addVideo();
    theirs.addVideo();
    await until(() => call.video.receiving && theirs.video.receiving && !call.video.request && !theirs.video.request, "video both ways");
    expect(call.video.sending && theirs.video.sending).toBe(true);
    const adds = net.log.filter((s) => s.stanza.getChild("jingle", "urn:xmpp:jingle:1")?.attrs.action === "content-add");
    expect(adds.map((s) => s.from).sort()).toEqual(["alice@x/web", "bob@x/web"]);
    expect(net.jingleActions("bob@x/web")).toContain("content-accept");
    expect(net.jingleActions("alice@x/web")).not.toContain("content-accept");
    expect([call.state, theirs.state]).toEqual(["active", "active"]);
  });

  it("back to audio: each turns the camera off with content-modify; senders end at none, the call stays up", async () => {
    const { net, alice, bob, call, theirs } = await audioCall();
    call.addVideo();
    await until(() => theirs.video.request === "incoming", "bob is asked");
    theirs.acceptVideo();
    await until(() => call.video.receiving && theirs.video.receiving, "video both ways");
    call.stopVideo();
    await until(() => !theirs.video.receiving, "bob sees alice's video stop");
    expect(call.video).toEqual({ sending: false, receiving: true, request: undefined });
    theirs.stopVideo();
    await until(() => !call.video.receiving, "alice sees bob's video stop");
    expect(net.jingleActions()).toEqual(expect.arrayContaining(["content-modify", "content-modify"]));
    expect(net.jingleActions()).not.toContain("content-remove");
    expect(lines(alice)).toEqual(["audio:sendrecv", "video:inactive"]);
    // bob's own offer still asks to receive (recvonly); alice's senders, restated as the answer, say she sends nothing.
    expect(lines(bob)).toEqual(["audio:sendrecv", "video:recvonly"]);
    expect(mediaLines(peer(bob).remoteDescription).map((l) => `${l.type}:${l.direction}`)).toEqual(["audio:sendrecv", "video:inactive"]);
    // bob answered the call (setup active), so alice stays passive in every restated description (RFC 5763 §5).
    expect(peer(bob).remoteDescription.match(/a=setup:\w+/g)).toEqual(["a=setup:passive", "a=setup:passive"]);
    expect(peer(alice).sending.has("video") || peer(bob).sending.has("video")).toBe(false);
    expect([call.state, theirs.state]).toEqual(["active", "active"]);
  });

  it("a content-add before the session is accepted is out-of-order", async () => {
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"] });
    net.device("bob@x/web", { trusted: ["alice@x"] });
    const call = await alice.manager.call("bob@x/web", ["audio"]);
    expect(() => call.handleJingle("bob@x/web", readJingleRequest(contentRemove(call, ["1"], "content-add")))).toThrow(/unexpected-request/);
  });
});

describe("calling a device without JMI", () => {
  it("a full JID gets session-initiate directly (no propose); its session-info <ringing/> shows as ringing; accept connects", async () => {
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"] });
    const bob = net.device("bob@x/web", { trusted: ["alice@x"] });
    const call = await alice.manager.call("bob@x/web", ["audio", "video"]);
    await until(() => bob.manager.calls[0]?.state === "incoming-session", "bob rings");
    await until(() => call.state === "alerting", "session-info ringing reaches alice");
    await bob.manager.calls[0]!.accept();
    await until(() => call.iceState === "connected", "connected");
    expect(net.jmiActions()).toEqual([]);
    await call.hangUp();
    await until(() => bob.manager.calls[0]!.ended, "bob ends");
    expect(net.jmiActions()).toEqual([]);
  });

  it("unanswered, it gives up with session-terminate <timeout/>: no answer for the caller, missed for the callee", async () => {
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"], timeouts: { ringMs: 50 } });
    const bob = net.device("bob@x/web", { trusted: ["alice@x"] });
    const call = await alice.manager.call("bob@x/web", ["audio"]);
    await until(() => call.ended, "alice gives up");
    expect([call.state, call.reason]).toEqual(["finished", "timeout"]);
    await until(() => !!bob.manager.calls[0]?.ended, "bob stops ringing");
    expect(bob.manager.calls[0]!.reason).toBe("timeout");
  });
});

describe("where a call goes (as Conversations' RtpCapability.jmiSupport)", () => {
  const dev = (jid: string, priority: number, jmi: boolean, video = true) => ({ jid, priority, audio: true, video, jmi });
  it.each([
    ["every capable device has JMI: the bare JID (all ring)", [dev("b@x/phone", 0, true), dev("b@x/pc", 5, true)], ["audio"], "b@x"],
    ["one lacks JMI: the best device directly (highest priority)", [dev("b@x/phone", 0, true), dev("b@x/stanza", 5, false)], ["audio"], "b@x/stanza"],
    ["equal priority: the one that came online last", [dev("b@x/a", 1, false), dev("b@x/b", 1, true)], ["audio"], "b@x/b"],
    ["a device unable to take video does not count for a video call", [dev("b@x/a", 9, false, false), dev("b@x/b", 0, true)], ["audio", "video"], "b@x"],
    ["nobody can take it", [dev("b@x/a", 0, true, false)], ["audio", "video"], undefined],
  ] as const)("%s", (_, devices, media, target) => {
    expect(chooseCallTarget("b@x", devices, media)).toBe(target);
  });
});

function contentRemove(call: CallSession, names: string[], action = "content-remove") {
  return xmlJingle(action, call.id, names);
}

import { xml } from "@xmpp/xml";
import { readJingleRequest } from "../../../client/src/jingle/index.js";
function xmlJingle(action: string, sid: string, names: string[]) {
  return xml("jingle", { xmlns: "urn:xmpp:jingle:1", action, sid }, ...names.map((name) => xml("content", { name, creator: "initiator" })));
}

/** An audio call in which alice turned her camera on (bob accepted) and off again. */
async function videoTurnedOff() {
  const world = await audioCall();
  const { call, theirs } = world;
    call.addVideo();
    await until(() => theirs.video.request === "incoming", "bob is asked");
    theirs.acceptVideo();
    await until(() => call.video.receiving && theirs.video.receiving, "video both ways");
    call.stopVideo();
    await until(() => !call.video.sending && !theirs.video.receiving, "alice's camera off");
  return world;
}

describe("video turned back on (content-modify)", () => {
  it("restarts sending the camera once the peer acknowledged, so the receiver gets a key frame it was ready for", async () => {
    const { call, theirs, alice } = await videoTurnedOff();
    expect(alice.peers[0]!.restarted).toEqual([]);
    call.addVideo();
    await until(() => alice.peers[0]!.restarted.length === 2, "two key frames", 3_000);
    expect(alice.peers[0]!.restarted).toEqual(["video", "video"]);
    expect(theirs.video.receiving).toBe(true);
  });

  it("tells the peer (content-modify) before the camera starts sending again, so the first frames are not dropped", async () => {
    const { net, call, theirs, alice } = await videoTurnedOff();
    const modifies = () => net.jingleActions("alice@x/web").filter((a) => a === "content-modify").length;
    expect(modifies()).toBe(1);
    const fake = alice.peers[0]!;
    const setSending = fake.setSending.bind(fake);
    const toldWhenSending: number[] = [];
    fake.setSending = async (media, send) => {
      if (send) toldWhenSending.push(modifies());
      return setSending(media, send);
    };
    call.addVideo();
    await until(() => theirs.video.receiving, "bob receives again");
    expect(toldWhenSending).toEqual([2]);
  });

  it("opens the camera while the peer acknowledges content-modify, and sends from it only once acknowledged", async () => {
    const { net, call, theirs, alice } = await videoTurnedOff();
    const acknowledged = () => net.log.filter((s) => s.from === "bob@x/web" && s.stanza.name === "iq" && s.stanza.attrs.type === "result").length;
    const before = acknowledged();
    const fake = alice.peers[0]!;
    const order: string[] = [];
    const prepare = fake.prepareSending.bind(fake);
    fake.prepareSending = (media) => {
      order.push(`open ${media}${acknowledged() > before ? " after" : " before"} the acknowledgement`);
      prepare(media);
    };
    const setSending = fake.setSending.bind(fake);
    fake.setSending = async (media, send) => {
      order.push(`send ${media}${acknowledged() > before ? " after" : " before"} the acknowledgement`);
      return setSending(media, send);
    };
    call.addVideo();
    await until(() => theirs.video.receiving, "bob receives again");
    expect(order).toEqual(["open video before the acknowledgement", "send video after the acknowledgement"]);
    // Turning the camera off opens nothing.
    call.stopVideo();
    await until(() => !theirs.video.receiving, "alice's camera off again");
    expect(fake.prepared).toEqual(["video"]);
  });
});

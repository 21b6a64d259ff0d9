// How our offer is shaped for the devices that may answer it (call/target.ts offerShape): one
// BUNDLE transport for devices that group contents, XEP-0293 feedback written once for peers that
// read it; and the callee's session-accept, which goes out before its browser takes the caller's
// candidates, while a device that fails to open after the peer connection exists ends the call.
import { describe, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import { FakeNetwork } from "../../support/fake-network.js";
import { until } from "../../support/until.js";
import { offerShape, type CallableDevice } from "../../../client/src/call/target.js";
import { MediaAccessError } from "../../../client/src/call/peer.js";
import type { CallSession } from "../../../client/src/call/session.js";

const NS_JINGLE = "urn:xmpp:jingle:1";
const NS_RTP = "urn:xmpp:jingle:apps:rtp:1";
const NS_FB = "urn:xmpp:jingle:apps:rtp:rtcp-fb:0";

const device = (jid: string, d: Partial<CallableDevice> = {}): CallableDevice => ({ jid, priority: 0, audio: true, video: true, jmi: true, ...d });
const ourApp = (jid: string) => device(jid, { groups: true, sharedFeedback: true });
const dino = (jid: string) => device(jid, { groups: false, sharedFeedback: false });

describe("the shape of our offer for the devices that may answer it", () => {
  it("bundles and writes shared feedback once when every device that may answer is this app", () => {
    expect(offerShape("bob@x", [ourApp("bob@x/a"), ourApp("bob@x/b")], ["audio", "video"])).toEqual({ bundle: true, sharedFeedback: true });
  });

  it("gathers a transport per content and keeps feedback per codec when one of them is Dino, which bundles nothing and drops shared feedback", () => {
    expect(offerShape("bob@x", [ourApp("bob@x/a"), dino("bob@x/dino")], ["audio", "video"])).toEqual({ bundle: false, sharedFeedback: false });
  });

  it("bundles toward a browser client that groups (XEP-0338) but keeps feedback per codec when it is not known to read it", () => {
    expect(offerShape("bob@x", [device("bob@x/stanza", { groups: true })], ["audio", "video"])).toEqual({ bundle: true, sharedFeedback: false });
  });

  it("a direct session-initiate is shaped for its one device only", () => {
    expect(offerShape("bob@x/a", [ourApp("bob@x/a"), dino("bob@x/dino")], ["audio"])).toEqual({ bundle: true, sharedFeedback: true });
    expect(offerShape("bob@x/dino", [ourApp("bob@x/a"), dino("bob@x/dino")], ["audio"])).toEqual({ bundle: false, sharedFeedback: false });
  });

  it("a device that cannot take this call does not count; with none known the offer takes the safe shape", () => {
    const audioOnly = device("bob@x/phone", { video: false, groups: false });
    expect(offerShape("bob@x", [ourApp("bob@x/a"), audioOnly], ["audio", "video"])).toEqual({ bundle: true, sharedFeedback: true });
    expect(offerShape("bob@x", [], ["audio"])).toEqual({ bundle: false, sharedFeedback: false });
  });
});

const jingleOf = (net: FakeNetwork, from: string, action: string): Element | undefined =>
  net.log.map((s) => (s.from === from ? s.stanza.getChild("jingle", NS_JINGLE) : undefined)).find((j) => j?.attrs.action === action);

/** Feedback of the video description: at description level, and inside its payload types. */
/** Candidates inline in a session-initiate/accept's transports. */
const inlineCandidates = (jingle: Element): number => jingle.getChildren("content").flatMap((c) => c.getChild("transport")?.getChildren("candidate") ?? []).length;

function videoFeedback(jingle: Element) {
  const description = jingle.getChildren("content").map((c) => c.getChild("description", NS_RTP)).find((d) => d?.attrs.media === "video");
  if (!description) throw new Error("no video description");
  return {
    shared: description.getChildren("rtcp-fb", NS_FB).length,
    perCodec: description.getChildren("payload-type").reduce((n, pt) => n + pt.getChildren("rtcp-fb", NS_FB).length, 0),
  };
}

async function videoCall(shape: { bundle?: boolean; sharedFeedback?: boolean }) {
  const net = new FakeNetwork();
  const alice = net.device("alice@x/web", { trusted: ["bob@x"], peer: { candidates: 3 } });
  const bob = net.device("bob@x/web", { trusted: ["alice@x"], peer: { candidates: 3 } });
  const call = await alice.manager.call("bob@x", ["audio", "video"], shape);
  await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
  const incoming = bob.manager.calls[0]!;
  await incoming.accept();
  await until(() => call.iceState === "connected" && incoming.iceState === "connected", "connected");
  return { net, alice, bob, call, incoming };
}

describe("the offer as shaped, on the wire", () => {
  it("toward this app: one BUNDLE transport is gathered, session-initiate gives shared feedback once, and the answer gives it back the same way", async () => {
    const { net, alice, bob } = await videoCall({ bundle: true, sharedFeedback: true });
    expect(alice.peers[0]!.options.bundle).toBe(true);
    // The answer follows the offer's group whatever its own policy; ours stays `balanced` (Dino's offers have no group).
    expect(bob.peers[0]!.options.bundle).toBe(false);
    const initiate = videoFeedback(jingleOf(net, "alice@x/web", "session-initiate")!);
    expect(initiate.shared).toBeGreaterThan(0);
    expect(initiate.perCodec).toBe(0);
    const accept = videoFeedback(jingleOf(net, "bob@x/web", "session-accept")!);
    expect(accept.shared).toBeGreaterThan(0);
    expect(accept.perCodec).toBe(0);
  });

  it("toward a client not known to read shared feedback: every codec carries its own, in the offer and in the answer", async () => {
    const { net, alice } = await videoCall({});
    expect(alice.peers[0]!.options.bundle).toBe(false);
    const initiate = videoFeedback(jingleOf(net, "alice@x/web", "session-initiate")!);
    expect(initiate.shared).toBe(0);
    expect(initiate.perCodec).toBeGreaterThan(0);
    expect(videoFeedback(jingleOf(net, "bob@x/web", "session-accept")!).shared).toBe(0);
  });
});

describe("the callee's side of the first offer/answer", () => {
  it("the caller's inline candidates reach the browser inside its offer, not one addIceCandidate each; those it trickled wait for session-accept to leave", async () => {
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"], peer: { candidates: 3, lateCandidates: 2, lateCandidatesMs: 1 } });
    const bob = net.device("bob@x/web", { trusted: ["alice@x"], peer: { candidates: 3 } });
    const call = await alice.manager.call("bob@x", ["audio"]);
    await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
    let atAccept: { had: number; addedOneByOne: number } | undefined;
    const route = net.routeIq.bind(net);
    net.routeIq = (from, iq) => {
      const peer = bob.peers[0]!;
      if (iq.getChild("jingle", NS_JINGLE)?.attrs.action === "session-accept") atAccept = { had: peer.remoteCandidates.length, addedOneByOne: peer.addedOneByOne };
      return route(from, iq);
    };
    await bob.manager.calls[0]!.accept();
    await until(() => call.iceState === "connected", "connected");
    const inline = inlineCandidates(jingleOf(net, "alice@x/web", "session-initiate")!);
    expect(inline).toBeGreaterThan(0);
    expect(atAccept).toEqual({ had: inline, addedOneByOne: 0 });
    await until(() => bob.peers[0]!.remoteCandidates.length === 5, "bob's browser has all five of alice's candidates");
    expect(bob.peers[0]!.addedOneByOne).toBe(5 - inline);
  });

  it("the callee's inline candidates reach the caller's browser after its answer, which goes in without a=candidate lines (the caller's DTLS waits for that answer)", async () => {
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"], peer: { candidates: 3 } });
    // Gathered before answer() returns, so they are in when session-accept leaves.
    const bob = net.device("bob@x/web", { trusted: ["alice@x"], peer: { candidates: 3, instant: true } });
    const call = await alice.manager.call("bob@x", ["audio"]);
    await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
    await bob.manager.calls[0]!.accept();
    await until(() => call.iceState === "connected", "connected");
    expect(inlineCandidates(jingleOf(net, "bob@x/web", "session-accept")!)).toBe(3);
    const caller = alice.peers[0]!;
    expect(caller.remoteType).toBe("answer");
    expect(caller.remoteDescription).not.toMatch(/^a=candidate:/m);
    await until(() => caller.remoteCandidates.length === 3, "alice's browser has bob's three candidates");
    expect(caller.addedOneByOne).toBe(3);
  });

  it("a microphone that fails to open after the peer connection exists ends the call with the reason the user can act on", async () => {
    const net = new FakeNetwork();
    const alice = net.device("alice@x/web", { trusted: ["bob@x"] });
    const bob = net.device("bob@x/web", { trusted: ["alice@x"], peer: { mediaFails: new MediaAccessError("denied") } });
    const call = await alice.manager.call("bob@x", ["audio"]);
    await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
    const incoming: CallSession = bob.manager.calls[0]!;
    await incoming.accept();
    await until(() => incoming.ended && call.ended, "both ended");
    expect(incoming.problem).toBe(new MediaAccessError("denied").message);
    expect(incoming.reason).toBe("failed-application");
    expect(net.jingleActions("bob@x/web")).not.toContain("session-accept");
  });
});

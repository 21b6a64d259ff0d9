// The callee's renegotiation between browsers that support different codecs and header extensions
// (JSEP §5.3.1, RFC 8285 §5: Firefox at one end refuses an extension its offer lacked). The remote
// answer the callee's browser gets must be derived from what was agreed, never from the caller's
// original offer; the fake peer in browser mode refuses it as Firefox and Chromium do.
import { describe, expect, it } from "vitest";
import { parse } from "sdp-transform";
import { CAPABILITIES, type Browser } from "../../support/browser-rules.js";
import { FakeNetwork, type Device } from "../../support/fake-network.js";
import { until } from "../../support/until.js";
import { agreedFromOffer } from "../../../client/src/call/contents.js";
import { sdpToSession } from "../../../client/src/jingle/index.js";

async function videoCall(callerBrowser: Browser, calleeBrowser: Browser) {
  const net = new FakeNetwork();
  const device = (jid: string, other: string, browser: Browser): Device => net.device(jid, { trusted: [other], peer: { browser } });
  const alice = device("alice@x/web", "bob@x", callerBrowser);
  const bob = device("bob@x/web", "alice@x", calleeBrowser);
  const call = await alice.manager.call("bob@x", ["audio", "video"]);
  await until(() => bob.manager.calls[0]?.state === "incoming", "bob rings");
  const theirs = bob.manager.calls[0]!;
  await theirs.accept();
  await until(() => call.iceState === "connected" && theirs.state === "active", "connected");
  const peerOf = (d: Device) => d.peers[0]!;
  return { call, theirs, callerPeer: peerOf(alice), calleePeer: peerOf(bob) };
}

const pairs: Array<[Browser, Browser]> = [["chromium", "firefox"], ["firefox", "chromium"], ["chromium", "chromium"], ["firefox", "firefox"]];

describe("the callee renegotiates from what was agreed", () => {
  it.each(pairs)("%s calls %s: the callee stops and re-adds its camera; its browser accepts every remote answer and the call stays up", async (caller, callee) => {
    const { call, theirs, calleePeer, callerPeer } = await videoCall(caller, callee);
    theirs.stopVideo();
    await until(() => !theirs.video.sending, "callee's camera off");
    theirs.addVideo();
    await until(() => theirs.video.sending && call.video.receiving, "callee's camera back, at both ends");
    expect(calleePeer.refusals).toEqual([]);
    expect(callerPeer.refusals).toEqual([]);
    expect([call.state, theirs.state]).toEqual(["active", "active"]);
  });

  it.each(pairs)("%s calls %s: the caller stops and re-adds its camera with the same result", async (caller, callee) => {
    const { call, theirs, calleePeer, callerPeer } = await videoCall(caller, callee);
    call.stopVideo();
    await until(() => !call.video.sending, "caller's camera off");
    call.addVideo();
    await until(() => call.video.sending && theirs.video.receiving, "caller's camera back, at both ends");
    expect([calleePeer.refusals, callerPeer.refusals]).toEqual([[], []]);
    expect([call.state, theirs.state]).toEqual(["active", "active"]);
  });
});

describe("agreedFromOffer", () => {
  const offer = sdpToSession(CAPABILITIES.firefox, { role: "initiator" }).session;

  it("keeps only the payload types, header extensions and feedback the answer kept, with the answer's senders", () => {
    const answer = structuredClone(offer.contents);
    const audio = answer[0]!;
    audio.senders = "initiator";
    audio.description!.payloadTypes = audio.description!.payloadTypes.filter((p) => p.name === "opus");
    audio.description!.headerExtensions = audio.description!.headerExtensions.filter((h) => h.uri.endsWith("ssrc-audio-level"));
    const agreed = agreedFromOffer(offer, answer);
    const agreedAudio = agreed.contents[0]!;
    expect(agreedAudio.description!.payloadTypes.map((p) => p.name)).toEqual(["opus"]);
    expect(agreedAudio.description!.headerExtensions.map((h) => h.uri)).toEqual(["urn:ietf:params:rtp-hdrext:ssrc-audio-level"]);
    expect(agreedAudio.senders).toBe("initiator");
    // The offerer's own parameters (what it wants to receive) stay as it offered them.
    const opus = offer.contents[0]!.description!.payloadTypes.find((p) => p.name === "opus")!;
    expect(agreedAudio.description!.payloadTypes[0]!.parameters).toEqual(opus.parameters);
    // Contents the answer did not touch are unchanged.
    expect(agreed.contents[1]).toEqual(offer.contents[1]);
  });

  it("a content missing from the answer is kept as offered", () => {
    expect(agreedFromOffer(offer, []).contents).toEqual(offer.contents);
  });

  it("the Firefox fixture offers a header extension Chromium lacks (the shape that broke calls)", () => {
    const chromiumUris = new Set(parse(CAPABILITIES.chromium).media.flatMap((m) => (m.ext ?? []).map((e) => e.uri)));
    const firefoxOnly = parse(CAPABILITIES.firefox).media.flatMap((m) => (m.ext ?? []).map((e) => e.uri)).filter((u) => !chromiumUris.has(u));
    expect(firefoxOnly.length).toBeGreaterThan(0);
  });
});

// StanzaJS 12.22 (npm `stanza`) against our call layer, with stanzas its own code produced
// (test/fixtures/interop/stanza/generate.ts). StanzaJS has no JMI: it starts with session-initiate.
import { describe, expect, it } from "vitest";
import { until } from "../call/fakes.js";
import { callability } from "../../../client/src/xmpp/disco.js";
import { InteropHarness, checkRemoteSdp, checkSentDescription, interopFixture } from "./harness.js";

const STANZA = "juliet@example.org/stanza";
const fx = (file: string, id?: string) => interopFixture("stanza", file, id);

/** The disco#info features the StanzaJS jingle plugin adds with RTCPeerConnection present (plugins/jingle.js). */
const STANZA_FEATURES = [
  "urn:xmpp:jingle:1", "urn:xmpp:jingle:transports:ice:0", "urn:xmpp:jingle:transports:ice-udp:1",
  "urn:xmpp:jingle:transports:dtls-sctp:1", "urn:xmpp:jingle:apps:dtls:0", "urn:ietf:rfc:5888",
  "urn:xmpp:jingle:apps:rtp:1", "urn:xmpp:jingle:apps:rtp:rtcp-fb:0", "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0", "urn:ietf:rfc:5576",
  "urn:xmpp:jingle:apps:rtp:audio", "urn:xmpp:jingle:apps:rtp:video",
  "urn:xmpp:jingle:apps:file-transfer:4", "urn:xmpp:jingle:apps:file-transfer:5",
];

describe("StanzaJS calls us (direct session-initiate, no JMI)", () => {
  async function ringing() {
    const h = new InteropHarness();
    expect(h.iq(fx("session-initiate-audio-video.xml"))).toBeUndefined();
    await until(() => h.manager.calls[0]?.state === "incoming-session", "we ring");
    return h;
  }

  it("its session-initiate is acked and rings us for audio+video; we tell it with session-info <ringing/>", async () => {
    const h = await ringing();
    expect(h.call.media).toEqual(["audio", "video"]);
    await until(() => h.jingle("session-info").length === 1, "ringing sent");
    const { to, jingle } = h.jingle("session-info")[0]!;
    expect(to).toBe(STANZA);
    expect(jingle.getChild("ringing", "urn:xmpp:jingle:apps:rtp:info:1")).toBeTruthy();
  });

  it("answering gives the browser a valid offer (RED's nameless 111/111 parameter, <stream/> msid) and sends a session-accept it can use", async () => {
    const h = await ringing();
    await h.call.accept();
    await until(() => h.jingle("session-accept").length === 1, "session-accept sent");
    expect(checkRemoteSdp(h.peer.remoteDescription, { mids: ["0", "1"], bundle: true, type: "offer" })).toEqual([]);
    expect(h.peer.remoteDescription).toMatch(/a=fmtp:63 111\/111/);
    const { to, jingle } = h.jingle("session-accept")[0]!;
    expect(to).toBe(STANZA);
    expect(jingle.getChildren("content").map((c) => c.attrs.name)).toEqual(["0", "1"]);
    expect(checkSentDescription(jingle, "answer")).toEqual([]);
  });

  it("its transport-info with ufrag but no pwd, and its <gathering-complete/>, are both acked; ICE connects", async () => {
    const h = await ringing();
    await h.call.accept();
    await until(() => h.call.state === "active", "active");
    expect(h.iq(fx("transport-info.xml"))).toBeUndefined();
    expect(h.iq(fx("transport-info-gathering-complete.xml"))).toBeUndefined();
    await until(() => h.call.iceState === "connected", "ICE connected");
    expect(h.peer.remoteCandidates).toHaveLength(1);
  });

  it("its session-info <mute/> shows as the peer muting; its session-terminate ends our call", async () => {
    const h = await ringing();
    await h.call.accept();
    await until(() => h.call.state === "active", "active");
    const muted = new Promise<boolean>((resolve) => h.call.on("remoteMute", resolve));
    expect(h.iq(fx("session-info-mute.xml"))).toBeUndefined();
    expect(await muted).toBe(true);
    expect(h.iq(fx("session-terminate.xml"))).toBeUndefined();
    expect(h.call.state).toBe("finished");
  });

  it("declining sends session-terminate with <decline/>", async () => {
    const h = await ringing();
    await h.call.reject();
    const { jingle } = h.jingle("session-terminate")[0]!;
    expect(jingle.getChild("reason")?.getChild("decline")).toBeTruthy();
  });
});

describe("we call StanzaJS", () => {
  it("its disco features make it callable for audio and video, without JMI", () => {
    expect(callability(STANZA_FEATURES)).toEqual({ audio: true, video: true, jmi: false });
  });

  it("its session-accept (as its MediaSession.accept() builds it from Chromium's answer) becomes a valid browser answer", async () => {
    const h = new InteropHarness();
    await h.manager.call("juliet@example.org", ["audio", "video"]);
    // Driven through JMI here only to reach session-initiate: StanzaJS itself cannot proceed (see below).
    h.message(interopFixture("conversations", "proceed.xml", "our-call-1"));
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    const accept = fx("session-accept-audio-video.xml", "our-call-1");
    accept.attrs.from = "juliet@example.org/Conversations.Vyxr";
    expect(h.iq(accept)).toBeUndefined();
    await until(() => h.peer.remoteType === "answer", "answer applied");
    expect(checkRemoteSdp(h.peer.remoteDescription, { mids: ["0", "1"], bundle: true, type: "answer" })).toEqual([]);
  });
});

// Needs a client change (not made here; see the report of issue 6): CallSession.handleJingle
// answers a transport-info with out-of-order unless the call is initiated/accepting/active, so
// the candidates StanzaJS trickles right after its session-initiate, while we still ring
// ("incoming-session"), are refused — and StanzaJS ignores that error, so they are lost
// (CONVENTIONS: early candidates are buffered, not lost). Live calls still connect on loopback
// through peer-reflexive candidates.
describe.skip("StanzaJS trickles while we ring — client refuses transport-info before the answer", () => {
  it("a transport-info that arrives before we answer is acked and reaches the browser after it", async () => {
    const h = new InteropHarness();
    h.iq(fx("session-initiate-audio-video.xml"));
    await until(() => h.manager.calls[0]?.state === "incoming-session", "we ring");
    expect(h.iq(fx("transport-info.xml"))).toBeUndefined();
    await h.call.accept();
    await until(() => h.peer.remoteCandidates.length === 1, "early candidate applied");
  });
});

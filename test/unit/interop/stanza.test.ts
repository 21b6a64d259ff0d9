// StanzaJS 12.22 (npm `stanza`) against our call layer, with stanzas its own code produced
// (test/fixtures/interop/stanza/generate.ts). StanzaJS has no JMI: it starts with session-initiate.
import { describe, expect, it } from "vitest";
import { until } from "../../support/until.js";
import { callability } from "../../../client/src/xmpp/disco.js";
import { InteropHarness, checkRemoteSdp, checkSentDescription, interopFixture } from "./harness.js";

const STANZA = "juliet@example.org/stanza";
const fx = (file: string, id?: string) => interopFixture("stanza", file, id);
/**
 * The transport-info fixture as the callee would send it: StanzaJS captured it as the initiator,
 * with the ufrag of its session-initiate; as responder its candidates carry the ufrag of its
 * session-accept, or no browser takes them (RFC 8839 §5.4: a candidate belongs to one ICE generation).
 */
const answererCandidates = (id: string) => {
  const info = fx("transport-info.xml", id);
  const ufrag = fx("session-accept-audio-video.xml").getChild("jingle", "urn:xmpp:jingle:1")!.getChild("content")!.getChildElements().find((c) => c.name === "transport")!.attrs.ufrag ?? "";
  for (const content of info.getChild("jingle", "urn:xmpp:jingle:1")!.getChildren("content")) for (const t of content.getChildElements()) if (t.name === "transport") t.attrs.ufrag = ufrag;
  return info;
};

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
    expect(callability(STANZA_FEATURES)).toEqual({ audio: true, video: true, jmi: false, groups: true });
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

// StanzaJS sends session-initiate before gathering, so its candidates trickle while we still ring
// ("incoming-session"), and it ignores an error reply (docs/interop.md, "Candidates and trickle"):
// they must be acked and kept (CONVENTIONS #10), not refused and lost.
describe("StanzaJS trickles while we ring", () => {
  it("a transport-info that arrives before we answer is acked and reaches the browser after the offer", async () => {
    const h = new InteropHarness();
    h.iq(fx("session-initiate-audio-video.xml"));
    await until(() => h.manager.calls[0]?.state === "incoming-session", "we ring");
    expect(h.iq(fx("transport-info.xml"))).toBeUndefined();
    expect(h.iq(fx("transport-info-gathering-complete.xml"))).toBeUndefined();
    expect(h.peers).toHaveLength(0);
    await h.call.accept();
    await until(() => h.peer.remoteCandidates.length === 1, "early candidate applied");
    expect(h.peer.remoteType).toBe("offer");
    await until(() => h.call.iceState === "connected", "ICE connected");
  });
});

describe("we call StanzaJS directly (it has no JMI)", () => {
  it("a full JID gets session-initiate at once, no propose; its session-info <ringing/> shows as ringing; its accept connects", async () => {
    const h = new InteropHarness();
    const call = await h.manager.call(STANZA, ["audio", "video"]);
    expect(h.jmi("propose")).toHaveLength(0);
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    const { to, jingle } = h.jingle("session-initiate")[0]!;
    expect(to).toBe(STANZA);
    expect(checkSentDescription(jingle, "offer")).toEqual([]);
    expect(call.state).toBe("initiating");
    const ringing = fx("session-info-mute.xml", call.id);
    const info = ringing.getChild("jingle", "urn:xmpp:jingle:1")!;
    info.children = [];
    info.c("ringing", { xmlns: "urn:xmpp:jingle:apps:rtp:info:1" });
    expect(h.iq(ringing)).toBeUndefined();
    expect(call.state).toBe("alerting");
    expect(h.iq(fx("session-accept-audio-video.xml", call.id))).toBeUndefined();
    expect(h.iq(answererCandidates(call.id))).toBeUndefined();
    await until(() => h.peer.remoteType === "answer" && call.iceState === "connected", "answer applied, ICE connected");
    await call.hangUp();
    expect(h.jingle("session-terminate")[0]?.jingle.getChild("reason")?.getChild("success")).toBeTruthy();
    expect(h.jmi("finish")).toHaveLength(0);
  });

  it("its content-reject of our video upgrade (failed-application, as Session.onContentAdd() sends it) leaves an audio call with a notice", async () => {
    const h = new InteropHarness();
    const call = await h.manager.call(STANZA, ["audio"]);
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    const accept = fx("session-accept-audio-video.xml", call.id);
    const jingle = accept.getChild("jingle", "urn:xmpp:jingle:1")!;
    jingle.children = jingle.getChildren("content").filter((c) => c.attrs.name === "0");
    expect(h.iq(accept)).toBeUndefined();
    expect(h.iq(answererCandidates(call.id))).toBeUndefined();
    await until(() => call.iceState === "connected", "connected");
    call.addVideo();
    await until(() => h.jingle("content-add").length === 1, "content-add sent");
    const add = h.jingle("content-add")[0]!.jingle;
    expect(add.getChildren("content").map((c) => c.getChild("description", "urn:xmpp:jingle:apps:rtp:1")?.attrs.media)).toEqual(["video"]);
    // Session.onContentAdd() (stanza 12.22.1 jingle/Session.js l. 265–273): ack, then a content-reject
    // with a reason and no <content/> at all.
    const reject = fx("session-terminate.xml", call.id);
    const r = reject.getChild("jingle", "urn:xmpp:jingle:1")!;
    r.attrs.action = "content-reject";
    r.children = [];
    r.c("reason").c("failed-application").up().c("text").t("content-add is not supported");
    expect(h.iq(reject)).toBeUndefined();
    await until(() => call.notice !== "", "notice");
    expect(call.notice).toMatch(/did not accept video/);
    expect(call.video).toEqual({ sending: false, receiving: false, request: undefined });
    expect(call.state).toBe("active");
  });
});

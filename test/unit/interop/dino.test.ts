// Dino (0.4.2 wire format as observed in shared/INTEROP.md, code in dino/dino) against our call
// layer, with its stanzas from test/fixtures/interop/dino/.
import { describe, expect, it } from "vitest";
import { xml, type Element } from "@xmpp/xml";
import { StanzaError } from "../../../client/src/xmpp/errors.js";
import { sdpFixture } from "../../support/sdp-shape.js";
import { until } from "../../support/until.js";
import {
  InteropHarness, checkRemoteSdp, checkSentDescription, interopFixture, mediaOf, transports,
} from "./harness.js";

const DINO = "juliet@example.org/dino.8aa13792";
const SID = "6b3ae2c1-0a6f-4f0e-9d55-4d5b0c1e7a11";
const fx = (file: string, id?: string) => interopFixture("dino", file, id);

describe("Dino calls us (XEP-0353, audio+video, no BUNDLE)", () => {
  async function accepted() {
    // Our browser's answer to that offer: captured from Chromium (no BUNDLE, one ufrag per m-line).
    const h = new InteropHarness({ peer: { answerSdp: sdpFixture("chromium-no-bundle-answer-to-dino.sdp") } });
    h.message(fx("propose-audio-video.xml"));
    await until(() => h.manager.calls[0]?.state === "incoming", "we ring");
    await h.call.accept();
    expect(h.iq(fx("session-initiate-audio-video.xml"))).toBeUndefined();
    await until(() => h.call.state === "active", "we accept");
    return h;
  }

  it("its propose without a store hint rings us for audio+video; proceed goes to its full JID", async () => {
    const h = new InteropHarness();
    h.message(fx("propose-audio-video.xml"));
    await until(() => h.manager.calls[0]?.state === "incoming", "we ring");
    expect(h.call.media).toEqual(["audio", "video"]);
    await h.call.accept();
    expect(h.jmi("proceed")[0]?.attrs.to).toBe(DINO);
    expect(h.jmi("accept")[0]?.attrs.to).toBe("romeo@example.net");
  });

  it("its session-initiate becomes a browser offer without BUNDLE, SDES crypto or component-2 candidates, with rtcp-mux", async () => {
    const h = await accepted();
    expect(checkRemoteSdp(h.peer.remoteDescription, { mids: ["audio", "video"], bundle: false, type: "offer" })).toEqual([]);
    expect(h.peer.remoteDescription).not.toMatch(/a=crypto/);
    // Its inline host candidates (component 1 only) reach the browser, one per content.
    expect(h.peer.remoteCandidates.map((c) => c.sdpMid)).toEqual(["audio", "video"]);
  });

  it("our session-accept keeps its content names, one transport per content with own credentials, setup active", async () => {
    const h = await accepted();
    await until(() => h.jingle("session-accept").length === 1, "session-accept sent");
    const { to, jingle } = h.jingle("session-accept")[0]!;
    expect(to).toBe(DINO);
    expect(jingle.getChildren("content").map((c) => c.attrs.name)).toEqual(["audio", "video"]);
    expect(jingle.getChild("group", "urn:xmpp:jingle:apps:grouping:0")).toBeUndefined();
    expect(new Set(transports(jingle).map((t) => t.transport.attrs.ufrag)).size).toBe(2);
    expect(checkSentDescription(jingle, "answer")).toEqual([]);
  });

  it("our session-accept restates its Opus parameters exactly (Chromium's answer adds minptime=10, which Dino takes for a different payload type)", async () => {
    const h = await accepted();
    await until(() => h.jingle("session-accept").length === 1, "session-accept sent");
    const params = (j: Element) =>
      j.getChildren("content")[0]!.getChildElements().find((d) => d.name === "description")!.getChildren("payload-type").find((p) => p.attrs.id === "111")!
        .getChildren("parameter").map((p) => `${p.attrs.name}=${p.attrs.value}`).sort();
    const offered = fx("session-initiate-audio-video.xml").getChild("jingle", "urn:xmpp:jingle:1")!;
    expect(params(h.jingle("session-accept")[0]!.jingle)).toEqual(params(offered));
  });

  it("its srflx transport-info (rel-addr/rel-port) reaches the browser for the right content; ICE connects", async () => {
    const h = await accepted();
    expect(h.iq(fx("transport-info.xml"))).toBeUndefined();
    await until(() => h.peer.remoteCandidates.length === 3, "candidate added");
    expect(h.peer.remoteCandidates[2]).toMatchObject({ sdpMid: "audio", sdpMLineIndex: 0, usernameFragment: "Xr4a" });
    expect(h.peer.remoteCandidates[2]!.candidate).toMatch(/typ srflx raddr 192\.0\.2\.10 rport 50012/);
    expect(h.call.iceState).toBe("connected");
  });

  it("its session-info <mute name='video'/> is acked and shown as the peer muting", async () => {
    const h = await accepted();
    const muted = new Promise<boolean>((resolve) => h.call.on("remoteMute", resolve));
    expect(h.iq(fx("session-info-mute.xml"))).toBeUndefined();
    expect(await muted).toBe(true);
  });

  it("it never sends <finish/>: its session-terminate alone ends our call with success", async () => {
    const h = await accepted();
    expect(h.iq(fx("session-terminate-success.xml"))).toBeUndefined();
    expect(h.call.state).toBe("finished");
    expect(h.call.reason).toBe("success");
  });

  it("its retract (to our bare JID, no reason) stops our ringing", async () => {
    const h = new InteropHarness();
    h.message(fx("propose-audio-video.xml"));
    await until(() => h.manager.calls[0]?.state === "incoming", "we ring");
    h.message(fx("retract.xml"));
    expect(h.call.state).toBe("retracted");
  });
});

describe("we call Dino (it ignores <ringing/>, answers with one payload type per content)", () => {
  const ID = "our-call-1";
  async function initiated() {
    const h = new InteropHarness();
    await h.manager.call("juliet@example.org", ["audio", "video"]);
    h.message(fx("proceed.xml", ID));
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    return h;
  }

  it("its proceed without a prior ringing starts our session-initiate to its full JID", async () => {
    const h = await initiated();
    const { to, jingle } = h.jingle("session-initiate")[0]!;
    expect(to).toBe(DINO);
    expect(mediaOf(jingle)).toEqual(["audio", "video"]);
    expect(checkSentDescription(jingle, "offer")).toEqual([]);
  });

  it("its session-accept (no BUNDLE, per-content ICE, component-2 candidates) becomes a valid browser answer", async () => {
    const h = await initiated();
    expect(h.iq(fx("session-accept-audio-video.xml", ID))).toBeUndefined();
    await until(() => h.peer.remoteType === "answer", "answer applied");
    expect(checkRemoteSdp(h.peer.remoteDescription, { mids: ["0", "1"], bundle: false, type: "answer" })).toEqual([]);
    await until(() => h.call.iceState === "connected", "ICE connected on its inline candidates");
    expect(h.peer.remoteCandidates.map((c) => c.sdpMid)).toEqual(["0", "1"]);
  });

  it("its reject (no reason) ends our call as rejected", async () => {
    const h = new InteropHarness();
    const call = await h.manager.call("juliet@example.org", ["audio"]);
    h.message(fx("reject.xml", ID));
    expect(call.state).toBe("rejected");
  });
});

describe("Dino has no ICE restart (it acks a restart offer as a transport-info and never answers it)", () => {
  it("after a network change our unanswered restart offer is rolled back; a later failure restarts again; with no answer the call ends with connectivity-error", async () => {
    const ID = "our-call-1";
    const h = new InteropHarness({ timeouts: { iceDisconnectedMs: 10, iceRestartAttemptMs: 60, iceGiveUpMs: 500 } });
    await h.manager.call("juliet@example.org", ["audio", "video"]);
    h.message(fx("proceed.xml", ID));
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    h.iq(fx("session-accept-audio-video.xml", ID));
    await until(() => h.call.iceState === "connected", "ICE connected");
    const offers = () => h.jingle("transport-info").filter(({ jingle }) => transports(jingle).every(({ transport }) => transport.getChildren("candidate").length === 0));

    h.manager.networkChanged();
    await until(() => offers().length === 1, "restart offer sent");
    await until(() => h.peer.calls.filter((c) => c === "rollback").length === 1, "unanswered offer rolled back");
    expect([h.call.state, h.call.recovering]).toEqual(["active", false]);

    h.peer.setIceState("failed");
    await until(() => offers().length === 2, "restarted again after the failure");
    await until(() => h.call.ended, "gave up", 2_000);
    expect([h.call.state, h.call.reason]).toEqual(["failed", "connectivity-error"]);
    expect(h.jingle("session-terminate")[0]?.jingle.getChild("reason")?.getChild("connectivity-error")).toBeTruthy();
  });
});

// Dino turns video on in an audio call with content-add of a new `video` content whose senders is
// its own role (jingle_rtp_module.vala add_outgoing_video_content(), docs/interop.md "Mid-call").
describe("Dino upgrades an audio call to video (content-add)", () => {
  /** Dino's audio call: its propose and session-initiate without the video parts. */
  async function audioCall() {
    const h = new InteropHarness({ peer: { answerSdp: sdpFixture("chromium-no-bundle-answer-to-dino.sdp") } });
    const propose = fx("propose-audio-video.xml");
    const jmi = propose.getChild("propose", "urn:xmpp:jingle-message:0")!;
    jmi.children = jmi.getChildElements().filter((d) => d.attrs.media === "audio");
    h.message(propose);
    await until(() => h.manager.calls[0]?.state === "incoming", "we ring");
    await h.call.accept();
    const initiate = fx("session-initiate-audio-video.xml");
    const jingle = initiate.getChild("jingle", "urn:xmpp:jingle:1")!;
    jingle.children = jingle.getChildren("content").filter((c) => c.attrs.name === "audio");
    expect(h.iq(initiate)).toBeUndefined();
    await until(() => h.call.state === "active" && h.call.iceState === "connected", "active");
    return h;
  }

  it("its content-add is acked, asks our user, and accepting sends content-accept for 'video' (receive-only, own transport, setup active)", async () => {
    const h = await audioCall();
    expect(h.iq(fx("content-add-video.xml", SID))).toBeUndefined();
    await until(() => h.call.video.request === "incoming", "our user is asked");
    h.call.acceptVideo();
    await until(() => h.jingle("content-accept").length === 1, "content-accept sent");
    const { to, jingle } = h.jingle("content-accept")[0]!;
    expect(to).toBe(DINO);
    const [content] = jingle.getChildren("content");
    expect(content?.attrs).toMatchObject({ name: "video", creator: "initiator", senders: "initiator" });
    expect(checkSentDescription(jingle, "answer")).toEqual([]);
    // The browser's new remote offer: Dino's audio and video, no BUNDLE, the video transport its own;
    // a re-offer restates the DTLS role Dino took (passive, we answered active) instead of actpass.
    const problems = checkRemoteSdp(h.peer.remoteDescription, { mids: ["audio", "video"], bundle: false, type: "offer" });
    expect(problems).toEqual(["m=audio mid audio: offer with setup passive", "m=video mid video: offer with setup passive"]);
    expect(h.peer.remoteDescription).toMatch(/a=ice-ufrag:Lq9c/);
    expect(h.peer.remoteDescription).toMatch(/a=sendonly/);
    expect(h.call.video).toEqual({ sending: false, receiving: true, request: undefined });
  });

  it("declining sends content-reject for 'video' with <decline/>; the call stays an audio call", async () => {
    const h = await audioCall();
    expect(h.iq(fx("content-add-video.xml", SID))).toBeUndefined();
    await until(() => h.call.video.request === "incoming", "our user is asked");
    h.call.declineVideo();
    await until(() => h.jingle("content-reject").length === 1, "content-reject sent");
    const answer: Element = h.jingle("content-reject")[0]!.jingle;
    expect(answer.getChildren("content").map((c) => c.attrs.name)).toEqual(["video"]);
    expect(answer.getChild("reason")?.getChild("decline")).toBeTruthy();
    expect(h.call.state).toBe("active");
    expect(h.call.video).toEqual({ sending: false, receiving: false, request: undefined });
  });

  it("its srflx transport-info for the new content, sent before our user answers, is kept and applied after the accept", async () => {
    const h = await audioCall();
    expect(h.iq(fx("content-add-video.xml", SID))).toBeUndefined();
    const early = fx("transport-info.xml");
    early.getChild("jingle", "urn:xmpp:jingle:1")!.getChild("content")!.attrs.name = "video";
    expect(h.iq(early)).toBeUndefined();
    const before = h.peer.remoteCandidates.length;
    await until(() => h.call.video.request === "incoming", "our user is asked");
    expect(h.peer.remoteCandidates).toHaveLength(before);
    h.call.acceptVideo();
    await until(() => h.peer.remoteCandidates.some((c) => c.sdpMid === "video"), "video candidate applied");
  });
});

// Observed live with Dino 0.4.2 (docs/interop.md, "Mid-call"; shared/INTEROP.md).
describe("what Dino requires mid-call", () => {
  const ID = "our-call-1";
  const content = (j: Element) => j.getChildren("content");

  /** Our audio call to Dino, accepted and connected; `refuse` answers some of our iqs with an error, as Dino does. */
  async function audioCallToDino(refuse?: (jingle: Element) => StanzaError | undefined) {
    const h = new InteropHarness({ refuse });
    await h.manager.call("juliet@example.org", ["audio"]);
    h.message(fx("proceed.xml", ID));
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    const accept = fx("session-accept-audio-video.xml", ID);
    const jingle = accept.getChild("jingle", "urn:xmpp:jingle:1")!;
    jingle.children = content(jingle).filter((c) => c.attrs.name === "0");
    expect(h.iq(accept)).toBeUndefined();
    await until(() => h.call.iceState === "connected", "connected");
    return h;
  }

  /** Dino's content-accept of our video content `1` (its session-accept's video content, as it answers). */
  function contentAccept(): Element {
    const stanza = fx("session-accept-audio-video.xml", ID);
    const jingle = stanza.getChild("jingle", "urn:xmpp:jingle:1")!;
    jingle.attrs.action = "content-accept";
    jingle.children = content(jingle).filter((c) => c.attrs.name === "1");
    return stanza;
  }

  function contentModify(senders: string): Element {
    return xml("iq", { type: "set", from: DINO, to: "romeo@example.net/web", id: "dino-cm" },
      xml("jingle", { xmlns: "urn:xmpp:jingle:1", action: "content-modify", sid: ID }, xml("content", { creator: "initiator", name: "1", senders })));
  }

  it("our candidates for two contents go out one content per transport-info (Dino refuses two with feature-not-implemented)", async () => {
    const h = new InteropHarness();
    await h.manager.call("juliet@example.org", ["audio", "video"]);
    h.message(fx("proceed.xml", ID));
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    const ufrag = h.jingle("session-initiate")[0]!.jingle.getChild("content")!.getChildren("transport")[0]!.attrs.ufrag;
    for (const sdpMid of ["0", "1"]) {
      h.peer.options.listeners.onCandidate({ candidate: `candidate:7 1 udp 1686052607 198.51.100.9 5${sdpMid}000 typ srflx raddr 192.0.2.9 rport 50000 generation 0`, sdpMid, sdpMLineIndex: Number(sdpMid), usernameFragment: ufrag });
    }
    await until(() => h.jingle("transport-info").flatMap(({ jingle }) => content(jingle)).length === 2, "both candidates sent");
    expect(h.jingle("transport-info").map(({ jingle }) => content(jingle).map((c) => c.attrs.name))).toEqual([["0"], ["1"]]);
  });

  it("its content-modify for our content-add, sent before its content-accept, is acked and applied after it: we send video, it does not", async () => {
    const h = await audioCallToDino();
    h.call.addVideo();
    await until(() => h.jingle("content-add").length === 1, "content-add sent");
    expect(content(h.jingle("content-add")[0]!.jingle).map((c) => c.attrs.name)).toEqual(["1"]);
    expect(h.iq(contentModify("initiator"))).toBeUndefined();
    expect(h.iq(contentAccept())).toBeUndefined();
    await until(() => h.call.video.request === undefined && h.call.video.sending, "video agreed");
    await until(() => /a=recvonly/.test(h.peer.remoteDescription.split("m=video")[1] ?? ""), "its senders applied");
    expect(h.call.video).toEqual({ sending: true, receiving: false, request: undefined });
    expect(h.call.state).toBe("active");
  });

  it("when it refuses our content-modify senders='none' (bad-request), our camera off is told with session-info <mute/>, and <unmute/> when it comes back", async () => {
    const refusal = (j: Element) =>
      j.attrs.action === "content-modify" && content(j).some((c) => c.attrs.senders === "none") ? new StanzaError("bad-request", "modify", "invalid role none") : undefined;
    const h = await audioCallToDino(refusal);
    const errors: string[] = [];
    h.call.on("iqError", (action) => errors.push(action));
    h.call.addVideo();
    await until(() => h.jingle("content-add").length === 1, "content-add sent");
    expect(h.iq(contentModify("initiator"))).toBeUndefined();
    expect(h.iq(contentAccept())).toBeUndefined();
    await until(() => h.call.video.sending, "video on");
    h.call.stopVideo();
    await until(() => h.jingle("session-info").length === 1, "mute sent instead");
    const mute = h.jingle("session-info")[0]!.jingle.getChildElements()[0]!;
    expect([mute.name, mute.attrs.name]).toEqual(["mute", "1"]);
    expect(errors).toEqual(["content-modify"]);
    expect(h.call.state).toBe("active");
    h.call.addVideo();
    await until(() => h.jingle("session-info").length === 2, "unmute sent");
    expect(h.jingle("session-info")[1]!.jingle.getChildElements()[0]!.name).toBe("unmute");
  });
});

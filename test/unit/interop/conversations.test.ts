// Conversations (as merged in snikket-android) against our call layer, with its stanzas from
// test/fixtures/interop/conversations/. Requirements cited in docs/interop.md.
import { describe, expect, it } from "vitest";
import type { Element } from "@xmpp/xml";
import { CHROMIUM_ANSWER_AV, shapeSdp } from "../../support/sdp-shape.js";
import { until } from "../../support/until.js";
import { OWN_INFO, callability } from "../../../client/src/xmpp/disco.js";
import {
  InteropHarness, NS_JMI, checkRemoteSdp, checkSentCandidates, checkSentDescription, interopFixture, mediaOf,
} from "./harness.js";
import { NS_JINGLE_ICE_UDP } from "../../../client/src/namespaces.js";

const CONVERSATIONS = "juliet@example.org/Conversations.Vyxr";
const fx = (file: string, id?: string) => interopFixture("conversations", file, id);
const hasStore = (m: { getChild(n: string, ns: string): unknown }) => !!m.getChild("store", "urn:xmpp:hints");

describe("Conversations calls us (XEP-0353 audio call)", () => {
  async function answered() {
    // Our browser answers Conversations' audio-only offer (Chromium's answer, audio m-line kept).
    const h = new InteropHarness({ peer: { answerSdp: shapeSdp(CHROMIUM_ANSWER_AV, ["audio"]) } });
    h.message(fx("propose-audio.xml"));
    await until(() => h.manager.calls[0]?.state === "incoming", "we ring");
    return h;
  }

  it("we send <ringing/> to its full JID at once, so its 12 s device discovery stops", async () => {
    const h = await answered();
    const [ringing] = h.jmi("ringing");
    expect(ringing?.attrs.to).toBe(CONVERSATIONS);
    expect(ringing?.getChild("ringing", NS_JMI)?.attrs.id).toBe("HDC9e_X9hJSTpmHHVZEBEw");
    expect(h.call.media).toEqual(["audio"]);
  });

  it("answering sends accept to our own bare JID and proceed to its full JID, both with a store hint", async () => {
    const h = await answered();
    await h.call.accept();
    const [accept] = h.jmi("accept");
    const [proceed] = h.jmi("proceed");
    expect(accept?.attrs.to).toBe("romeo@example.net");
    expect(proceed?.attrs.to).toBe(CONVERSATIONS);
    expect([accept, proceed].every((m) => m && hasStore(m))).toBe(true);
  });

  it("its session-initiate (BUNDLE, ice-option children, ssrc sources) is acked and becomes a valid offer for the browser", async () => {
    const h = await answered();
    await h.call.accept();
    expect(h.iq(fx("session-initiate-audio.xml"))).toBeUndefined();
    await until(() => h.call.state === "active", "we accept");
    expect(h.peer.remoteType).toBe("offer");
    expect(checkRemoteSdp(h.peer.remoteDescription, { mids: ["0"], bundle: true, type: "offer" })).toEqual([]);
  });

  it("our session-accept has what Conversations requires: same content names and media, ufrag/pwd, setup never actpass, opus/2, rtcp-mux, no TCP or mDNS candidates", async () => {
    const h = await answered();
    await h.call.accept();
    h.iq(fx("session-initiate-audio.xml"));
    await until(() => h.jingle("session-accept").length === 1, "session-accept sent");
    const [{ to, jingle }] = h.jingle("session-accept") as [{ to: string; jingle: import("@xmpp/xml").Element }];
    expect(to).toBe(CONVERSATIONS);
    expect(jingle.attrs.sid).toBe("HDC9e_X9hJSTpmHHVZEBEw");
    expect(jingle.getChildren("content").map((c) => c.attrs.name)).toEqual(["0"]);
    expect(mediaOf(jingle)).toEqual(["audio"]);
    expect(checkSentDescription(jingle, "answer")).toEqual([]);
  });

  it("its transport-info reaches the browser, ICE connects; our trickled candidates carry ufrag/pwd and no TCP/mDNS", async () => {
    const h = await answered();
    await h.call.accept();
    h.iq(fx("session-initiate-audio.xml"));
    await until(() => h.call.state === "active", "active");
    expect(h.iq(fx("transport-info.xml"))).toBeUndefined();
    await until(() => h.call.iceState === "connected", "ICE connected");
    expect(h.peer.remoteCandidates[0]).toMatchObject({ sdpMid: "0", usernameFragment: "Hq3N" });
    for (const { jingle } of [...h.jingle("session-accept"), ...h.jingle("transport-info")]) {
      expect(checkSentCandidates(jingle)).toEqual([]);
    }
    for (const { jingle } of h.jingle("transport-info")) {
      for (const t of jingle.getChildren("content").map((c) => c.getChildElements()[0]!)) expect([t.attrs.ufrag, t.attrs.pwd].every(Boolean)).toBe(true);
    }
  });

  it("its <finish/> with reason success ends our call as finished", async () => {
    const h = await answered();
    await h.call.accept();
    h.iq(fx("session-initiate-audio.xml"));
    await until(() => h.call.state === "active", "active");
    h.message(fx("finish.xml"));
    expect(h.call.state).toBe("finished");
    expect(h.call.reason).toBe("success");
  });

  it("its <retract/> (with an empty <description/>) stops our ringing as a missed call", async () => {
    const h = await answered();
    h.message(fx("retract.xml"));
    expect(h.call.state).toBe("retracted");
  });
});

describe("we call Conversations (XEP-0353 audio+video call)", () => {
  const ID = "our-call-1";
  async function proceeded() {
    const h = new InteropHarness();
    await h.manager.call("juliet@example.org", ["audio", "video"]);
    h.message(fx("ringing.xml", ID));
    h.message(fx("proceed.xml", ID));
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    return h;
  }

  it("the propose goes to its bare JID as type=chat with a store hint, a receipt request and one description per medium", async () => {
    const h = new InteropHarness();
    await h.manager.call("juliet@example.org", ["audio", "video"]);
    const [propose] = h.jmi("propose");
    expect(propose?.attrs).toMatchObject({ to: "juliet@example.org", type: "chat" });
    expect(hasStore(propose!)).toBe(true);
    expect(propose!.getChild("request", "urn:xmpp:receipts")).toBeTruthy();
    expect(propose!.getChild("propose", NS_JMI)!.getChildren("description").map((d) => d.attrs.media)).toEqual(["audio", "video"]);
  });

  it("its <ringing/> moves our call to ringing", async () => {
    const h = new InteropHarness();
    const call = await h.manager.call("juliet@example.org", ["audio"]);
    h.message(fx("ringing.xml", ID));
    expect(call.state).toBe("ringing");
  });

  it("after its proceed our session-initiate goes to its full JID with the proposed media and actpass on every transport", async () => {
    const h = await proceeded();
    const [{ to, jingle }] = h.jingle("session-initiate") as [{ to: string; jingle: import("@xmpp/xml").Element }];
    expect(to).toBe(CONVERSATIONS);
    expect(jingle.attrs.sid).toBe(ID);
    expect(mediaOf(jingle)).toEqual(["audio", "video"]);
    expect(checkSentDescription(jingle, "offer")).toEqual([]);
  });

  it("an audio call's session-initiate carries audio only, as proposed (else Conversations ends it with security-error)", async () => {
    const h = new InteropHarness();
    await h.manager.call("juliet@example.org", ["audio"]);
    h.message(fx("proceed.xml", ID));
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    expect(mediaOf(h.jingle("session-initiate")[0]!.jingle)).toEqual(["audio"]);
  });

  it("its session-accept (setup active, BUNDLE, FID group) becomes a valid answer; its transport-info connects ICE", async () => {
    const h = await proceeded();
    expect(h.iq(fx("session-accept-audio-video.xml", ID))).toBeUndefined();
    await until(() => h.peer.remoteType === "answer", "answer applied");
    expect(checkRemoteSdp(h.peer.remoteDescription, { mids: ["0", "1"], bundle: true, type: "answer" })).toEqual([]);
    expect(h.iq(fx("transport-info-responder.xml", ID))).toBeUndefined();
    await until(() => h.call.iceState === "connected", "ICE connected");
    expect(h.call.state).toBe("active");
  });

  it("hanging up sends session-terminate and a <finish/> with reason success to its full JID", async () => {
    const h = await proceeded();
    h.iq(fx("session-accept-audio-video.xml", ID));
    await until(() => h.call.state === "active", "active");
    await h.call.hangUp();
    const [terminate] = h.jingle("session-terminate");
    expect(terminate?.to).toBe(CONVERSATIONS);
    expect(terminate?.jingle.getChild("reason")?.getChild("success")).toBeTruthy();
    const [finish] = h.jmi("finish");
    expect(finish?.attrs.to).toBe(CONVERSATIONS);
    expect(finish?.getChild("finish", NS_JMI)?.getChild("reason", "urn:xmpp:jingle:1")?.getChild("success")).toBeTruthy();
    expect(hasStore(finish!)).toBe(true);
  });
});

describe("being callable from Conversations", () => {
  it("we advertise every feature its RtpCapability checks (video level) and JMI, and not urn:ietf:rfc:3264", () => {
    const required = ["urn:xmpp:jingle:1", "urn:xmpp:jingle:transports:ice-udp:1", "urn:xmpp:jingle:apps:rtp:1", "urn:xmpp:jingle:apps:dtls:0", "urn:xmpp:jingle:apps:rtp:audio", "urn:xmpp:jingle:apps:rtp:video", NS_JMI];
    expect(OWN_INFO.features).toEqual(expect.arrayContaining(required));
    expect(OWN_INFO.features).not.toContain("urn:ietf:rfc:3264");
    expect(callability(OWN_INFO.features)).toEqual({ audio: true, video: true, jmi: true, groups: true });
  });
});

describe("ICE restart as Conversations does it (JingleRtpConnection.checkForIceRestart / initiateIceRestart)", () => {
  const transportsOf = (jingle: Element) => jingle.getChildren("content").map((c) => c.getChild("transport", NS_JINGLE_ICE_UDP)!);
  const ufragOf = (sdp: string) => /^a=ice-ufrag:(.*)$/m.exec(sdp)?.[1];
  const setupOf = (sdp: string) => [...sdp.matchAll(/^a=setup:(.*)$/gm)].map((m) => m[1]);

  it("its restart offer (new ufrag/pwd, no candidate) is acked; the browser gets an offer with them and the DTLS role Conversations holds; our next candidates carry our new ufrag/pwd (its answer) and no fingerprint", async () => {
    const h = new InteropHarness({ peer: { answerSdp: shapeSdp(CHROMIUM_ANSWER_AV, ["audio"]) } });
    h.message(fx("propose-audio.xml"));
    await until(() => h.manager.calls[0]?.state === "incoming", "we ring");
    await h.call.accept();
    h.iq(fx("session-initiate-audio.xml"));
    h.iq(fx("transport-info.xml"));
    await until(() => h.call.iceState === "connected", "ICE connected");
    const before = h.jingle("transport-info").length;
    const oldUfrag = transportsOf(h.jingle("session-accept")[0]!.jingle)[0]!.attrs.ufrag;

    expect(h.iq(fx("transport-info-ice-restart.xml"))).toBeUndefined();
    await until(() => h.jingle("transport-info").length > before, "our answer's candidates sent");
    expect(h.peer.remoteType).toBe("offer");
    expect(ufragOf(h.peer.remoteDescription)).toBe("Vb7e");
    expect(h.peer.remoteDescription).toContain("a=ice-pwd:q2LwX9mRk4TzN8cPa1Yd6HsF");
    // Our Chromium answered the first offer with setup:active, so Conversations holds passive: restated, never actpass.
    expect(setupOf(h.peer.remoteDescription)).toEqual(["passive"]);
    const answer = h.jingle("transport-info").slice(before);
    for (const { jingle } of answer) {
      for (const t of transportsOf(jingle)) {
        expect(t.attrs.ufrag).not.toBe(oldUfrag);
        expect(t.attrs.pwd).toBeTruthy();
        expect(t.getChild("fingerprint", "urn:xmpp:jingle:apps:dtls:0")).toBeUndefined();
      }
      expect(checkSentCandidates(jingle)).toEqual([]);
    }
    expect(transportsOf(answer[0]!.jingle)[0]!.getChildren("candidate").length).toBeGreaterThan(0);
    expect(h.call.state).toBe("active");
    expect(h.call.iceRestarts).toBe(1);
  });

  it("when ICE fails we restart toward it: our transport-info has new ufrag/pwd and no candidate, its candidate with new credentials is taken as the answer, and ICE connects again", async () => {
    const ID = "our-call-1";
    const h = new InteropHarness({ timeouts: { iceDisconnectedMs: 10, iceResponderDelayMs: 10 } });
    await h.manager.call("juliet@example.org", ["audio", "video"]);
    h.message(fx("proceed.xml", ID));
    await until(() => h.jingle("session-initiate").length === 1, "session-initiate sent");
    h.iq(fx("session-accept-audio-video.xml", ID));
    h.iq(fx("transport-info-responder.xml", ID));
    await until(() => h.call.iceState === "connected", "ICE connected");
    const oldUfrag = transportsOf(h.jingle("session-initiate")[0]!.jingle)[0]!.attrs.ufrag;
    const before = h.jingle("transport-info").length;

    h.peer.setIceState("failed");
    expect(h.call.state).toBe("active");
    expect(h.call.recovering).toBe(true);
    await until(() => h.jingle("transport-info").length > before, "restart offer sent");
    const offer = h.jingle("transport-info")[before]!;
    expect(offer.to).toBe(CONVERSATIONS);
    expect(offer.jingle.getChildren("content").map((c) => c.attrs.name)).toEqual(["0", "1"]);
    for (const t of transportsOf(offer.jingle)) {
      expect(t.attrs.ufrag).toBeTruthy();
      expect(t.attrs.ufrag).not.toBe(oldUfrag);
      expect(t.attrs.pwd).toBeTruthy();
      expect(t.getChildElements()).toEqual([]);
    }

    expect(h.iq(fx("transport-info-ice-restart-answer.xml", ID))).toBeUndefined();
    await until(() => ufragOf(h.peer.remoteDescription) === "Wm5k" && h.call.iceState === "connected", "restart answer applied, ICE connected");
    expect(h.peer.remoteType).toBe("answer");
    // Conversations answered the first offer with setup active: restated on both m-lines.
    expect(setupOf(h.peer.remoteDescription)).toEqual(["active", "active"]);
    expect(h.peer.remoteCandidates.at(-1)).toMatchObject({ usernameFragment: "Wm5k", sdpMid: "0" });
    expect(h.call.recovering).toBe(false);
    expect(h.call.state).toBe("active");
  });
});

// XEP-0293 §3 description-level <rtcp-fb/>: hoisting the feedback all media payload types share,
// and reading it back onto each payload type, so a hoisted stanza negotiates what the browser's
// own SDP negotiates. Real SDP from the fixtures; small stanzas written here say so.
import { describe, expect, it } from "vitest";
import { parse } from "sdp-transform";
import type { Element } from "@xmpp/xml";
import {
  hoistFeedback, hoistSessionFeedback, jingleToSdp, jingleToSession, parseJingleXml, sdpToSession, sessionToJingle,
  writesDescriptionFeedback, type JingleSession, type PayloadType, type RtpDescription,
} from "../../../client/src/jingle/index.js";
import { NS_JINGLE_RTP_FB } from "../../../client/src/namespaces.js";
import { fixture, sdpFixtures, semantics } from "./helpers.js";

const keepAll = { dropTcp: false, dropMdns: false };
const ANSWERS = new Set(["chromium-audio-video-answer.sdp", "chromium-no-bundle-answer-to-dino.sdp", "freeswitch-audio-answer-no-mid.sdp"]);

function session(name: string): JingleSession {
  const answer = ANSWERS.has(name);
  return sdpToSession(fixture(`sdp/${name}`), { role: answer ? "responder" : "initiator", answer, ...keepAll }).session;
}

/** As a peer receives it: written, serialised, parsed. */
function wire(s: JingleSession, action: string): Element {
  return parseJingleXml(sessionToJingle(s, { action, sid: "a73sjjvkla37jfea" }).toString());
}

function descriptionOf(s: JingleSession, media: string): RtpDescription {
  const d = s.contents.find((c) => c.description?.media === media)?.description;
  if (!d) throw new Error(`no ${media} description`);
  return d;
}

const fbElements = (el: Element): Element[] => {
  const out: Element[] = [];
  const visit = (e: Element) => {
    for (const c of e.getChildElements()) {
      if (c.getNS() === NS_JINGLE_RTP_FB && c.name === "rtcp-fb") out.push(c);
      visit(c);
    }
  };
  visit(el);
  return out;
};

const pt = (id: number, name: string, feedback: string[], extra: Partial<PayloadType> = {}): PayloadType => ({
  id, name, clockrate: 90000, parameters: [],
  feedback: feedback.map((f) => {
    const [type = "", subtype] = f.split(" ");
    return subtype ? { type, subtype } : { type };
  }),
  ...extra,
});
const description = (payloadTypes: PayloadType[], extra: Partial<RtpDescription> = {}): RtpDescription => ({
  media: "video", payloadTypes, feedback: [], headerExtensions: [], extmapAllowMixed: false, rtcpMux: true,
  rtcpReducedSize: false, bandwidth: [], sources: [], ssrcGroups: [], ...extra,
});
const fbOf = (x: { feedback: { type: string; subtype?: string }[] }) => x.feedback.map((f) => `${f.type}${f.subtype ? ` ${f.subtype}` : ""}`);

describe("hoisting feedback to the description (XEP-0293 §3)", () => {
  it("writes the five feedback types Chromium gives each video codec once, not once per codec", () => {
    const s = session("chromium-audio-video-offer.sdp");
    const video = descriptionOf(hoistSessionFeedback(s), "video");
    expect(fbOf(video)).toEqual(["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"]);
    expect(video.payloadTypes.flatMap((p) => p.feedback)).toEqual([]);
    const before = fbElements(wire(s, "session-initiate")).length;
    const after = fbElements(wire(hoistSessionFeedback(s), "session-initiate")).length;
    expect(before).toBe(1 + 5 * descriptionOf(s, "video").payloadTypes.filter((p) => p.feedback.length > 0).length);
    expect(after).toBe(1 + 5);
  });

  it("leaves Chromium's audio as it is: only Opus has transport-cc, G722, PCMU and PCMA have none", () => {
    const s = session("chromium-audio-video-offer.sdp");
    expect(descriptionOf(hoistSessionFeedback(s), "audio")).toEqual(descriptionOf(s, "audio"));
  });

  it.each(sdpFixtures())("%s: the hoisted stanza gives the browser the same SDP as the unhoisted one", (name) => {
    const action = ANSWERS.has(name) ? "session-accept" : "session-initiate";
    const role = ANSWERS.has(name) ? "initiator" : "responder";
    const s = session(name);
    const plain = jingleToSdp(wire(s, action), { role });
    const hoisted = jingleToSdp(wire(hoistSessionFeedback(s), action), { role });
    expect(semantics(hoisted)).toEqual(semantics(plain));
  });

  it("keeps on its payload type the feedback that not every media payload type has", () => {
    const d = hoistFeedback(description([pt(96, "VP8", ["nack", "nack pli", "goog-remb"]), pt(98, "VP9", ["nack", "nack pli"])]));
    expect(fbOf(d)).toEqual(["nack", "nack pli"]);
    expect(d.payloadTypes.map(fbOf)).toEqual([["goog-remb"], []]);
  });

  it("hoists nothing from a single media payload type (Dino's one-codec answer): nothing to save", () => {
    const d = description([pt(96, "VP8", ["nack", "nack pli"]), pt(97, "rtx", [], { parameters: [{ name: "apt", value: "96" }] })]);
    expect(hoistFeedback(d)).toBe(d);
  });

  it("neither counts nor strips auxiliary formats (rtx, red, ulpfec): their own feedback stays on them", () => {
    const d = hoistFeedback(description([pt(96, "VP8", ["nack"]), pt(97, "rtx", ["nack"]), pt(98, "VP9", ["nack"]), pt(99, "red", [])]));
    expect(fbOf(d)).toEqual(["nack"]);
    expect(d.payloadTypes.map(fbOf)).toEqual([[], ["nack"], [], []]);
  });

  it("hoists a trr-int that every media payload type has, and not one they differ on", () => {
    const same = hoistFeedback(description([pt(96, "VP8", [], { trrInt: 100 }), pt(98, "VP9", [], { trrInt: 100 })]));
    expect(same.trrInt).toBe(100);
    expect(same.payloadTypes.map((p) => p.trrInt)).toEqual([undefined, undefined]);
    const differ = description([pt(96, "VP8", [], { trrInt: 100 }), pt(98, "VP9", [], { trrInt: 200 })]);
    expect(hoistFeedback(differ)).toBe(differ);
  });

  it("does not repeat a feedback the description already has", () => {
    const d = hoistFeedback(description([pt(96, "VP8", ["nack"]), pt(98, "VP9", ["nack"])], { feedback: [{ type: "nack" }] }));
    expect(fbOf(d)).toEqual(["nack"]);
  });

  it("is pure: the session it is given is unchanged", () => {
    const s = session("chromium-audio-video-offer.sdp");
    const copy = structuredClone(s);
    hoistSessionFeedback(s);
    expect(s).toEqual(copy);
  });
});

describe("reading description-level feedback (toward the browser)", () => {
  it("gives it to each media payload type, not to rtx, and writes no a=rtcp-fb:*", () => {
    const s = hoistSessionFeedback(session("chromium-audio-video-offer.sdp"));
    const sdp = jingleToSdp(wire(s, "session-initiate"), { role: "responder" });
    const video = parse(sdp).media.find((m) => m.type === "video")!;
    const rtx = video.rtp.filter((r) => r.codec === "rtx").map((r) => r.payload);
    expect(rtx.length).toBeGreaterThan(0);
    expect(video.rtcpFb?.filter((f) => rtx.includes(Number(f.payload)))).toEqual([]);
    expect(video.rtcpFb?.filter((f) => f.payload === 96).map((f) => `${f.type} ${f.subtype ?? ""}`.trim())).toEqual(["goog-remb", "transport-cc", "ccm fir", "nack", "nack pli"]);
    expect(sdp).not.toContain("a=rtcp-fb:*");
  });

  it("keeps a=rtcp-fb:* for a description of auxiliary formats only (written here: telephone-event alone)", () => {
    const jingle = parseJingleXml(`<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='s1'>
      <content creator='initiator' name='a0'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>
        <payload-type id='126' name='telephone-event' clockrate='8000'/>
        <rtcp-fb xmlns='urn:xmpp:jingle:apps:rtp:rtcp-fb:0' type='nack'/>
      </description>
      <transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='u1' pwd='p1p1p1p1p1p1p1p1p1p1p1'>
        <fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='actpass'>AA:BB</fingerprint>
      </transport></content></jingle>`);
    expect(jingleToSdp(jingle, { role: "responder" })).toContain("a=rtcp-fb:* nack\r\n");
  });
});

describe("knowing that the peer reads description-level feedback", () => {
  const REAL_PEER_STANZAS = [
    "interop/dino/session-initiate-audio-video.xml", "interop/dino/session-accept-audio-video.xml", "interop/dino/content-add-video.xml",
    "interop/conversations/session-initiate-audio.xml", "interop/conversations/session-accept-audio-video.xml",
    "interop/stanza/session-initiate-audio-video.xml", "interop/stanza/session-accept-audio-video.xml",
    "jingle/dino-0.4.2-session-initiate.xml", "jingle/stanza-chrome-session-initiate.xml",
  ];

  it.each(REAL_PEER_STANZAS)("%s does not show it (so nothing is hoisted toward that client)", (file) => {
    expect(writesDescriptionFeedback(jingleToSession(parseJingleXml(fixture(file))))).toBe(false);
  });

  it("a hoisted session-initiate shows it, so its session-accept may be hoisted in turn", () => {
    const hoisted = wire(hoistSessionFeedback(session("chromium-audio-video-offer.sdp")), "session-initiate");
    expect(writesDescriptionFeedback(jingleToSession(hoisted))).toBe(true);
  });
});

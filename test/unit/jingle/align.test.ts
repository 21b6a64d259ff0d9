// alignAnswerToOffer: our session-accept restates the offer's receive-side codec parameters.
import { describe, expect, it } from "vitest";
import {
  alignAnswerToOffer, hoistSessionFeedback, jingleToSession, parseJingleXml, sdpToSession, type JingleSession, type PayloadType,
} from "../../../client/src/jingle/index.js";
import { fixture } from "./helpers.js";

const dinoOffer = () => jingleToSession(parseJingleXml(fixture("jingle/dino-0.4.2-session-initiate.xml")));
/** Chromium's real answer to the SDP our codec made from that offer (test/fixtures/README.md). */
const chromiumAnswer = (sdp = fixture("sdp/chromium-no-bundle-answer-to-dino.sdp")) =>
  sdpToSession(sdp, { role: "responder", answer: true }).session;

const payload = (s: JingleSession, content: string, id: number) =>
  s.contents.find((c) => c.name === content)?.description?.payloadTypes.find((p) => p.id === id);

/**
 * Dino 0.4.2's PayloadType.equals_func (xmpp-vala/src/module/xep/0167_jingle_rtp/payload_type.vala
 * @ 45723ac2): id, name, channels, clockrate, maxptime, ptime, the parameter map and the number of
 * rtcp-fb must all match for it to recognise the payload type it offered.
 */
function dinoEquals(a: PayloadType, b: PayloadType): boolean {
  const params = (p: PayloadType) => new Map(p.parameters.map((x) => [x.name, x.value]));
  const [pa, pb] = [params(a), params(b)];
  return a.id === b.id && a.name === b.name && (a.channels ?? 1) === (b.channels ?? 1) && a.clockrate === b.clockrate
    && (a.maxptime ?? 0) === (b.maxptime ?? 0) && (a.ptime ?? 0) === (b.ptime ?? 0)
    && pa.size === pb.size && [...pa].every(([k, v]) => pb.get(k) === v) && a.feedback.length === b.feedback.length;
}

describe("alignAnswerToOffer", () => {
  it("answers Dino's Opus with exactly the parameters Dino offered (Chromium adds minptime=10)", () => {
    const offer = dinoOffer();
    const answer = chromiumAnswer();
    const offered = payload(offer, "audio", 111)!;
    expect(dinoEquals(payload(answer, "audio", 111)!, offered)).toBe(false);
    const aligned = alignAnswerToOffer(answer, offer);
    expect(payload(aligned, "audio", 111)?.parameters).toEqual([{ name: "useinbandfec", value: "1" }]);
    expect(dinoEquals(payload(aligned, "audio", 111)!, offered)).toBe(true);
  });

  it("keeps our sender-side sprop-* parameters and never copies the offerer's", () => {
    const offer = dinoOffer();
    payload(offer, "audio", 111)!.parameters.push({ name: "sprop-stereo", value: "1" });
    const answer = chromiumAnswer(fixture("sdp/chromium-no-bundle-answer-to-dino.sdp").replace("a=fmtp:111 minptime=10;", "a=fmtp:111 sprop-maxcapturerate=16000;minptime=10;"));
    expect(payload(alignAnswerToOffer(answer, offer), "audio", 111)?.parameters).toEqual([
      { name: "sprop-maxcapturerate", value: "16000" },
      { name: "useinbandfec", value: "1" },
    ]);
  });

  it("takes receive-side parameters the offer has and the answer lacks (stereo, maxplaybackrate) and the offer's ptime", () => {
    const offer = dinoOffer();
    const opus = payload(offer, "audio", 111)!;
    opus.parameters.push({ name: "stereo", value: "1" }, { name: "maxplaybackrate", value: "48000" });
    opus.ptime = 20;
    const aligned = payload(alignAnswerToOffer(chromiumAnswer(), offer), "audio", 111)!;
    expect(aligned.parameters).toEqual([
      { name: "useinbandfec", value: "1" },
      { name: "stereo", value: "1" },
      { name: "maxplaybackrate", value: "48000" },
    ]);
    expect(aligned.ptime).toBe(20);
  });

  it("leaves video codecs, and audio codecs without receive-side parameters, as the browser answered", () => {
    const chromiumOffer = sdpToSession(fixture("sdp/chromium-audio-video-offer.sdp"), { role: "initiator" }).session;
    const answer = sdpToSession(fixture("sdp/chromium-audio-video-answer.sdp"), { role: "responder", answer: true }).session;
    for (const pt of payload(chromiumOffer, "1", 102)?.parameters ?? []) if (pt.name === "profile-level-id") pt.value = "640032";
    const aligned = alignAnswerToOffer(answer, chromiumOffer);
    expect(aligned.contents[1]?.description?.payloadTypes).toEqual(answer.contents[1]?.description?.payloadTypes);
    expect(payload(aligned, "0", 0)).toEqual(payload(answer, "0", 0));
  });

  it("changes nothing when the browser already repeated the offer (Chromium answering Chromium)", () => {
    const offer = sdpToSession(fixture("sdp/chromium-audio-video-offer.sdp"), { role: "initiator" }).session;
    const answer = sdpToSession(fixture("sdp/chromium-audio-video-answer.sdp"), { role: "responder", answer: true }).session;
    expect(alignAnswerToOffer(answer, offer)).toEqual(answer);
  });

  it("does not touch a payload type whose number the offer gives to another codec", () => {
    const offer = dinoOffer();
    payload(offer, "audio", 111)!.name = "speex";
    const answer = chromiumAnswer();
    expect(payload(alignAnswerToOffer(answer, offer), "audio", 111)).toEqual(payload(answer, "audio", 111));
  });

  it("writes the answer's shared video feedback once when the offer wrote its own that way (our hoisted offer)", () => {
    const offer = hoistSessionFeedback(sdpToSession(fixture("sdp/chromium-audio-video-offer.sdp"), { role: "initiator" }).session);
    const answer = sdpToSession(fixture("sdp/chromium-audio-video-answer.sdp"), { role: "responder", answer: true }).session;
    const video = alignAnswerToOffer(answer, offer).contents[1]?.description;
    expect(video?.feedback.map((f) => f.type)).toEqual(["goog-remb", "transport-cc", "ccm", "nack", "nack"]);
    expect(video?.payloadTypes.flatMap((p) => p.feedback)).toEqual([]);
  });

  it("keeps feedback on each payload type toward an offer that had it there (Dino, Conversations, StanzaJS, browsers)", () => {
    const offer = sdpToSession(fixture("sdp/chromium-audio-video-offer.sdp"), { role: "initiator" }).session;
    const answer = sdpToSession(fixture("sdp/chromium-audio-video-answer.sdp"), { role: "responder", answer: true }).session;
    expect(alignAnswerToOffer(answer, offer).contents[1]?.description?.feedback).toEqual([]);
    expect(payload(alignAnswerToOffer(chromiumAnswer(), dinoOffer()), "video", 98)?.feedback).toHaveLength(4);
  });

  it("changes neither input", () => {
    const offer = dinoOffer();
    const answer = chromiumAnswer();
    const [offerCopy, answerCopy] = [structuredClone(offer), structuredClone(answer)];
    alignAnswerToOffer(answer, offer);
    expect([offer, answer]).toEqual([offerCopy, answerCopy]);
  });
});

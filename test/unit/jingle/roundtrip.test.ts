import { describe, expect, it } from "vitest";
import {
  jingleToSdp, jingleToSession, parseJingleXml, sdpToJingle, type JingleSession,
} from "../../../client/src/jingle/index.js";
import { fixture, sdpFixtures, semantics } from "./helpers.js";

const keepAll = { dropTcp: false, dropMdns: false };
const ANSWERS = new Set(["chromium-audio-video-answer.sdp", "chromium-no-bundle-answer-to-dino.sdp", "freeswitch-audio-answer-no-mid.sdp"]);

/** Offers go out as session-initiate from the initiator, answers as session-accept from the responder. */
function toJingle(name: string, sdp: string) {
  const answer = ANSWERS.has(name);
  return sdpToJingle(sdp, {
    action: answer ? "session-accept" : "session-initiate",
    sid: "a73sjjvkla37jfea",
    role: answer ? "responder" : "initiator",
    ...keepAll,
  });
}

/** Over the wire: serialise and parse the XML, as a peer would receive it. */
const wire = (el: ReturnType<typeof toJingle>) => parseJingleXml(el.toString());

describe("SDP → Jingle → SDP", () => {
  it.each(sdpFixtures())("%s keeps codecs, fmtp, rtcp-fb, extmaps, ssrcs, msid, groups, ICE, DTLS, candidates, directions and SCTP", (name) => {
    const original = fixture(`sdp/${name}`);
    const answer = ANSWERS.has(name);
    const regenerated = jingleToSdp(wire(toJingle(name, original)), { role: answer ? "initiator" : "responder" });
    const expected = semantics(original);
    // An SDP without a=mid comes back with the derived names (checked below), all else equal.
    const got = semantics(regenerated);
    expected.media.forEach((m, i) => (m.mid ??= got.media[i]?.mid));
    expect(got).toEqual(expected);
  });

  it.each(sdpFixtures())("%s gives the same Jingle again after SDP → Jingle → SDP → Jingle", (name) => {
    const answer = ANSWERS.has(name);
    const first = toJingle(name, fixture(`sdp/${name}`));
    const sdp = jingleToSdp(wire(first), { role: answer ? "initiator" : "responder" });
    // The legacy a=sctpmap stream count has no RFC 8841 SDP form: the regenerated SDP is modern.
    for (const sctpmap of first.getChildren("content").flatMap((c) => c.getChildren("transport")).flatMap((t) => t.getChildren("sctpmap"))) {
      delete sctpmap.attrs["streams"];
    }
    expect(toJingle(name, sdp).toString()).toBe(first.toString());
  });

  it("regenerated SDP always has rtcp-mux, and the same m-line order as the original", () => {
    const original = fixture("sdp/safari-audio-video-data-offer.sdp");
    const regenerated = jingleToSdp(wire(toJingle("safari", original)), { role: "responder" });
    expect(regenerated.match(/^m=\w+/gm)).toEqual(["m=audio", "m=video", "m=application"]);
    expect(regenerated.match(/^a=rtcp-mux/gm)).toHaveLength(2);
  });
});

/**
 * What a trip through SDP changes on purpose: component 2 is dropped and rtcp-mux added (browsers
 * mux RTCP), candidate ids are derived anew (SDP has none), and a payload type without clock rate
 * (XEP-0167's static G729 example) keeps its id but not its name, since an rtpmap needs a rate.
 * Everything else must survive.
 */
function comparable(session: JingleSession): JingleSession {
  return {
    ...session,
    contents: session.contents.map((c) => ({
      ...c,
      ...(c.description
        ? {
            description: {
              ...c.description,
              rtcpMux: true,
              payloadTypes: c.description.payloadTypes.map((p) => (p.clockrate === undefined ? { ...p, name: undefined } : p)),
            },
          }
        : {}),
      transport: c.transport && {
        ...c.transport,
        candidates: c.transport.candidates.filter((k) => k.component === 1).map((k) => ({ ...k, id: "" })),
      },
    })),
  };
}

const JINGLE_FIXTURES = [
  ["dino-0.4.2-session-initiate.xml", "responder"],
  ["stanza-chrome-session-initiate.xml", "responder"],
  ["xep-0320-session-initiate.xml", "responder"],
  ["xep-0320-session-accept.xml", "initiator"],
] as const;

describe("Jingle → SDP → Jingle", () => {
  it.each(JINGLE_FIXTURES)("%s describes the same session after a trip through SDP", (file, role) => {
    const jingle = parseJingleXml(fixture(`jingle/${file}`));
    const action = jingle.attrs["action"] ?? "";
    const sdp = jingleToSdp(jingle, { role });
    const back = sdpToJingle(sdp, { action, sid: jingle.attrs["sid"] ?? "", role: role === "initiator" ? "responder" : "initiator", ...keepAll });
    expect(comparable(jingleToSession(back))).toEqual(comparable(jingleToSession(jingle)));
  });
});

describe("SDP without a=mid (RFC 4566/3264 examples, FreeSWITCH)", () => {
  it("names FreeSWITCH's one audio section 'audio' and writes that mid back", () => {
    const original = fixture("sdp/freeswitch-audio-answer-no-mid.sdp");
    const jingle = toJingle("freeswitch-audio-answer-no-mid.sdp", original);
    expect(jingle.getChildren("content").map((c) => c.attrs["name"])).toEqual(["audio"]);
    expect(jingleToSdp(wire(jingle), { role: "initiator" }).match(/^a=mid:.*$/gm)).toEqual(["a=mid:audio"]);
  });

  it("names several sections by media kind without a clash: audio, video, video-1, application", () => {
    const chromium = fixture("sdp/chromium-audio-video-offer.sdp");
    const video = chromium.slice(chromium.indexOf("m=video"));
    const data = fixture("sdp/chromium-datachannel-offer.sdp");
    const sdp = (chromium + video + data.slice(data.indexOf("m=application")))
      .replace(/^a=mid:.*\r\n/gm, "").replace(/^a=group:BUNDLE.*\r\n/gm, "");
    const jingle = toJingle("no-mid", sdp);
    expect(jingle.getChildren("content").map((c) => c.attrs["name"])).toEqual(["audio", "video", "video-1", "application"]);
    expect(jingleToSdp(wire(jingle), { role: "responder" }).match(/^a=mid:.*$/gm)).toEqual(["a=mid:audio", "a=mid:video", "a=mid:video-1", "a=mid:application"]);
  });

  it("never derives a name that another section has as its a=mid", () => {
    const chromium = fixture("sdp/chromium-audio-video-offer.sdp").replace(/^a=group:BUNDLE.*\r\n/gm, "");
    const sdp = chromium.replace("a=mid:0", "a=mid:video").replace(/a=mid:1\r\n/, "");
    expect(toJingle("partial", sdp).getChildren("content").map((c) => c.attrs["name"])).toEqual(["video", "video-1"]);
  });
});

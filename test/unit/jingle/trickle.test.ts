import { describe, expect, it } from "vitest";
import {
  candidateToJingle, jingleToCandidates, JingleCodecError, parseCandidateString, parseJingleXml, sdpToSession,
  formatCandidateString,
} from "../../../client/src/jingle/index.js";
import { fixture } from "./helpers.js";

const { session } = sdpToSession(fixture("sdp/chromium-audio-video-offer.sdp"), { role: "initiator" });
const ctx = { sid: "s1", contents: session.contents };
// As Chromium trickles it: ufrag and network-cost after generation.
const CHROME = "candidate:842163049 1 udp 1677729535 198.51.100.7 61015 typ srflx raddr 192.168.0.87 rport 61015 generation 0 ufrag xJq/ network-id 1 network-cost 10";

describe("candidateToJingle", () => {
  it("puts a trickled candidate into a transport-info with the content's ufrag and pwd", () => {
    const el = candidateToJingle({ candidate: CHROME, sdpMid: "1", sdpMLineIndex: 1 }, ctx);
    expect(el?.attrs).toMatchObject({ action: "transport-info", sid: "s1" });
    const content = el?.getChild("content");
    expect(content?.attrs).toEqual({ creator: "initiator", name: "1" });
    const transport = content?.getChild("transport");
    expect(transport?.attrs).toMatchObject({ ufrag: session.contents[1]?.transport?.ufrag, pwd: session.contents[1]?.transport?.pwd });
    expect(transport?.getChild("candidate")?.attrs).toMatchObject({
      foundation: "842163049", component: "1", protocol: "udp", priority: "1677729535", ip: "198.51.100.7", port: "61015",
      type: "srflx", "rel-addr": "192.168.0.87", "rel-port": "61015", generation: "0", network: "1",
    });
    expect(transport?.getChild("candidate")?.attrs["id"]).toBeTruthy();
  });

  it("finds the content by sdpMLineIndex when sdpMid is missing", () => {
    expect(candidateToJingle({ candidate: CHROME, sdpMLineIndex: 0 }, ctx)?.getChild("content")?.attrs["name"]).toBe("0");
  });

  it("groups several candidates by content in one transport-info", () => {
    const el = candidateToJingle([{ candidate: CHROME, sdpMid: "0" }, { candidate: CHROME.replace("61015 typ", "61016 typ"), sdpMid: "0" }, { candidate: CHROME, sdpMid: "1" }], ctx);
    expect(el?.getChildren("content").map((c) => c.getChild("transport")?.getChildren("candidate").length)).toEqual([2, 1]);
  });

  it("returns null for the end-of-candidates marker and for candidates filtered for Jingle peers", () => {
    expect(candidateToJingle({ candidate: "", sdpMid: "0" }, ctx)).toBeNull();
    expect(candidateToJingle({ candidate: "candidate:1 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active generation 0", sdpMid: "0" }, ctx)).toBeNull();
    expect(candidateToJingle({ candidate: "candidate:1 1 udp 2122260223 1f4712db.local 54321 typ host generation 0", sdpMid: "0" }, ctx)).toBeNull();
    expect(candidateToJingle({ candidate: "candidate:1 1 tcp 1518214911 192.0.2.2 9 typ host tcptype active", sdpMid: "0" }, { ...ctx, dropTcp: false })).not.toBeNull();
  });

  it("refuses a candidate for a content it does not know", () => {
    expect(() => candidateToJingle({ candidate: CHROME, sdpMid: "9" }, ctx)).toThrow(JingleCodecError);
  });

  it("refuses a string that is not a candidate", () => {
    expect(() => parseCandidateString("candidate:garbage")).toThrowError(/malformed-candidate/);
    expect(() => parseCandidateString("candidate:1 1 udp x 192.0.2.1 5 typ host")).toThrowError(/malformed-candidate/);
  });
});

describe("jingleToCandidates", () => {
  it("turns XEP-0176's transport-info into an RTCIceCandidateInit per candidate", () => {
    expect(jingleToCandidates(parseJingleXml(fixture("jingle/xep-0176-transport-info.xml")), ["this-is-the-audio-content"])).toEqual([
      {
        candidate: "candidate:1 1 udp 21149780477 2001:db8::9:1 9001 typ host generation 0 network-id 0",
        sdpMid: "this-is-the-audio-content",
        sdpMLineIndex: 0,
        usernameFragment: "8hhy",
      },
    ]);
  });

  it("keeps rel-addr/rel-port and leaves sdpMLineIndex null for an unknown m-line order", () => {
    const [c] = jingleToCandidates(parseJingleXml(fixture("jingle/xep-0320-session-initiate.xml")).getChild("jingle") ?? parseJingleXml(fixture("jingle/xep-0320-session-initiate.xml"))).slice(1);
    expect(c).toMatchObject({ sdpMid: "voice", sdpMLineIndex: null });
    expect(c?.candidate).toContain("typ srflx raddr 10.0.1.1 rport 8998");
  });

  it("skips component-2 candidates, which a browser muxing RTCP cannot use", () => {
    const all = jingleToCandidates(parseJingleXml(fixture("jingle/dino-0.4.2-session-initiate.xml")));
    expect(all.map((c) => c.sdpMid)).toEqual(["audio", "video"]);
  });

  it("round-trips a browser candidate string through Jingle", () => {
    const parsed = parseCandidateString(CHROME);
    expect(parseCandidateString(formatCandidateString(parsed))).toEqual(parsed);
  });
});

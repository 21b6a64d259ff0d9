// Bad input: every failure is a JingleCodecError with a reason, the wire condition and a place.
import { describe, expect, it } from "vitest";
import {
  JingleCodecError, jingleToSdp, jingleToSession, parseJingleXml, sdpToJingle, type JingleCodecReason,
} from "../../../client/src/jingle/index.js";
import { fixture } from "./helpers.js";

const offer = fixture("sdp/chromium-audio-offer.sdp");
const toJingle = (sdp: string) => sdpToJingle(sdp, { action: "session-initiate", sid: "s", role: "initiator" });
const toSdp = (xml: string) => jingleToSdp(parseJingleXml(xml), { role: "responder" });
const wrap = (inner: string) => `<jingle xmlns='urn:xmpp:jingle:1' action='session-initiate' sid='s'>${inner}</jingle>`;
const TRANSPORT = `<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='u' pwd='pppppppppppppppppppppp'><fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='actpass'>AA:BB</fingerprint></transport>`;
const DESC = `<description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'><payload-type id='0' name='PCMU'/></description>`;

function failure(fn: () => unknown): JingleCodecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof JingleCodecError) return err;
    throw err;
  }
  throw new Error("expected a JingleCodecError");
}

const CASES: Array<[string, () => unknown, JingleCodecReason, string, string | undefined]> = [
  ["empty SDP", () => toJingle(""), "malformed-sdp", "bad-request", undefined],
  ["text that is not SDP, naming the line", () => toJingle("v=0\r\nhello world\r\n"), "malformed-sdp", "bad-request", "line 2"],
  ["SDP without v= first", () => toJingle(offer.replace(/^v=0\r\n/, "")), "malformed-sdp", "bad-request", "line 1"],
  ["SDP without m= section", () => toJingle("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"), "malformed-sdp", "bad-request", "no m= section"],
  ["SDP without ICE ufrag", () => toJingle(offer.replace(/a=ice-ufrag:.*\r\n/, "")), "missing-ice-credentials", "bad-request", "content '0'"],
  ["SDP without fingerprint", () => toJingle(offer.replace(/a=fingerprint:.*\r\n/, "")), "missing-fingerprint", "bad-request", "content '0'"],
  ["an empty a=mid", () => toJingle(offer.replace("a=mid:0", "a=mid:")), "invalid-content-name", "bad-request", undefined],
  ["a mid longer than Conversations accepts", () => toJingle(offer.replace("a=mid:0", "a=mid:a-very-long-content-name")), "invalid-content-name", "bad-request", "content 'a-very-long-content-name'"],
  ["two m= sections with one mid", () => toJingle(fixture("sdp/chromium-audio-video-offer.sdp").replace("a=mid:1", "a=mid:0")), "duplicate-content", "bad-request", "content '0'"],
  ["an m= section that is neither RTP nor SCTP", () => toJingle(offer.replace("UDP/TLS/RTP/SAVPF", "TCP/BFCP")), "unsupported-application", "feature-not-implemented", "content '0'"],
  ["malformed XML", () => toSdp("<jingle xmlns='urn:xmpp:jingle:1'><content></jingle>"), "malformed-xml", "bad-request", undefined],
  ["XML without <jingle/>", () => toSdp("<iq xmlns='jabber:client' type='set'><query xmlns='jabber:iq:roster'/></iq>"), "not-jingle", "bad-request", undefined],
  ["<jingle/> in the wrong namespace", () => toSdp("<jingle xmlns='urn:xmpp:jingle:0' action='session-initiate' sid='s'/>"), "not-jingle", "bad-request", undefined],
  ["<jingle/> without content", () => toSdp(wrap("")), "missing-content", "bad-request", undefined],
  ["a content without transport", () => toSdp(wrap(`<content creator='initiator' name='voice'>${DESC}</content>`)), "missing-transport", "bad-request", "content 'voice'"],
  ["a content without description", () => toSdp(wrap(`<content creator='initiator' name='voice'>${TRANSPORT}</content>`)), "missing-description", "bad-request", "content 'voice'"],
  ["a transport without ufrag", () => toSdp(wrap(`<content creator='initiator' name='voice'>${DESC}${TRANSPORT.replace("ufrag='u' ", "")}</content>`)), "missing-ice-credentials", "bad-request", "content 'voice'"],
  ["XEP-0167's example, which has no DTLS fingerprint", () => toSdp(fixture("jingle/xep-0167-initiation.xml")), "missing-fingerprint", "bad-request", "content 'voice'"],
  ["XEP-0293's raw-udp example", () => toSdp(fixture("jingle/xep-0293-raw-udp-session-initiate.xml")), "unsupported-transport", "feature-not-implemented", "content 'voice'"],
  ["XEP-0343's file-transfer example", () => toSdp(fixture("jingle/xep-0343-file-transfer-initiation.xml")), "unsupported-application", "feature-not-implemented", undefined],
  ["a content name with whitespace", () => toSdp(wrap(`<content creator='initiator' name='my voice'>${DESC}${TRANSPORT}</content>`)), "invalid-content-name", "bad-request", "content 'my voice'"],
  ["two contents with one name", () => toSdp(wrap(`<content name='v'>${DESC}${TRANSPORT}</content><content name='v'>${DESC}${TRANSPORT}</content>`)), "duplicate-content", "bad-request", "content 'v'"],
  ["an unknown senders value", () => toSdp(wrap(`<content name='v' senders='everybody'>${DESC}${TRANSPORT}</content>`)), "invalid-attribute", "bad-request", "content 'v'"],
  ["a payload-type id that is not a number", () => toSdp(wrap(`<content name='v'>${DESC.replace("id='0'", "id='zero'")}${TRANSPORT}</content>`)), "invalid-attribute", "bad-request", "'zero'"],
  ["a payload-type without id", () => toSdp(wrap(`<content name='v'>${DESC.replace("id='0' ", "")}${TRANSPORT}</content>`)), "invalid-attribute", "bad-request", "content 'v'"],
  ["a candidate without ip", () => toSdp(wrap(`<content name='v'>${DESC}${TRANSPORT.replace("</transport>", "<candidate component='1' foundation='1' port='1' priority='1' protocol='udp' type='host'/></transport>")}</content>`)), "invalid-attribute", "bad-request", "'ip'"],
  ["a fingerprint with an unknown setup", () => toSdp(wrap(`<content name='v'>${DESC}${TRANSPORT.replace("actpass", "sometimes")}</content>`)), "invalid-attribute", "bad-request", "content 'v'"],
];

describe("bad input", () => {
  it.each(CASES)("%s is refused with a typed error", (_name, run, reason, condition, where) => {
    const err = failure(run);
    expect(err).toBeInstanceOf(JingleCodecError);
    expect(err.reason).toBe(reason);
    expect(err.condition).toBe(condition);
    expect(err.message.startsWith(`${reason}: `)).toBe(true);
    if (where) expect(err.message).toContain(where);
  });

  it("names the session-terminate reason when the error ends the session", () => {
    expect(failure(() => toSdp(fixture("jingle/xep-0167-initiation.xml"))).terminateReason).toBe("security-error");
    expect(failure(() => toSdp(fixture("jingle/xep-0293-raw-udp-session-initiate.xml"))).terminateReason).toBe("unsupported-transports");
  });

  it("does not require a transport in a content-modify, nor a description in a transport-info", () => {
    const modify = `<jingle xmlns='urn:xmpp:jingle:1' action='content-modify' sid='s'><content creator='initiator' name='v' senders='initiator'/></jingle>`;
    expect(jingleToSession(parseJingleXml(modify)).contents[0]?.senders).toBe("initiator");
    expect(jingleToSession(parseJingleXml(fixture("jingle/xep-0320-transport-info.xml"))).contents[0]?.transport?.fingerprints[0]?.setup).toBe("active");
  });
});

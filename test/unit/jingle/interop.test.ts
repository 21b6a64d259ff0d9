// The interop rules of shared/INTEROP.md, one behaviour per test.
import { describe, expect, it } from "vitest";
import { parse } from "sdp-transform";
import {
  jingleToSdp, jingleToSession, parseJingleXml, sdpToJingle, sdpToSession,
} from "../../../client/src/jingle/index.js";
import { fixture, sdpFixtures } from "./helpers.js";
import { NS_JINGLE_RTP_SSMA } from "../../../client/src/namespaces.js";

const jingle = (inner: string, action = "session-initiate") =>
  parseJingleXml(`<jingle xmlns='urn:xmpp:jingle:1' action='${action}' sid='s1'>${inner}</jingle>`);
const transport = (setup = "actpass", extra = "") =>
  `<transport xmlns='urn:xmpp:jingle:transports:ice-udp:1' ufrag='u1' pwd='p1p1p1p1p1p1p1p1p1p1p1'>
     <fingerprint xmlns='urn:xmpp:jingle:apps:dtls:0' hash='sha-256' setup='${setup}'>
       AA:BB
     </fingerprint>${extra}</transport>`;
const audio = (payloads: string, extra = "") =>
  `<content creator='initiator' name='a0'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'>${payloads}</description>${extra}</content>`;

describe("toward the browser (Jingle → SDP)", () => {
  it("gives opus channels=2 even when the peer omits it (Dino bug #1189)", () => {
    const sdp = jingleToSdp(jingle(audio(`<payload-type id='111' name='opus' clockrate='48000'/>`, transport())), { role: "responder" });
    expect(sdp).toContain("a=rtpmap:111 opus/48000/2");
  });

  it("adds a=rtcp-mux although the peer did not send <rtcp-mux/>", () => {
    const sdp = jingleToSdp(parseJingleXml(fixture("jingle/xep-0320-session-initiate.xml")), { role: "responder" });
    expect(parse(sdp).media[0]?.rtcpMux).toBe("rtcp-mux");
  });

  it("trims the fingerprint that XEP-0320's examples wrap in whitespace", () => {
    const sdp = jingleToSdp(parseJingleXml(fixture("jingle/xep-0320-session-initiate.xml")), { role: "responder" });
    expect(sdp).toContain("a=fingerprint:sha-256 02:1A:CC:54:27:AB:EB:9C:53:3F:3E:4B:65:2E:7D:46:3F:54:42:CD:54:F1:7A:03:A2:7D:F9:B0:7F:46:19:B2\r\n");
  });

  it("turns setup='actpass' in a session-accept into a=setup:active", () => {
    const sdp = jingleToSdp(jingle(audio(`<payload-type id='0' name='PCMU' clockrate='8000'/>`, transport("actpass")), "session-accept"), { role: "initiator" });
    expect(parse(sdp).media[0]?.setup).toBe("active");
  });

  it("strips Dino's SDES <crypto/>, drops its component-2 candidates and keeps one transport per content without BUNDLE", () => {
    const sdp = jingleToSdp(parseJingleXml(fixture("jingle/dino-0.4.2-session-initiate.xml")), { role: "responder" });
    const parsed = parse(sdp);
    expect(sdp).not.toContain("a=crypto");
    expect(parsed.groups).toBeUndefined();
    expect(parsed.media.map((m) => m.iceUfrag)).toEqual(["Xr4a", "Lq9c"]);
    expect(parsed.media.flatMap((m) => m.candidates ?? []).map((c) => c.component)).toEqual([1, 1]);
  });

  it("writes nameless StanzaJS parameters (<parameter name='111/111'/>) back as fmtp tokens", () => {
    const sdp = jingleToSdp(jingle(audio(`<payload-type id='63' name='red' clockrate='48000' channels='2'><parameter name='111/111'/></payload-type>`, transport())), { role: "responder" });
    expect(sdp).toContain("a=fmtp:63 111/111");
  });

  it("writes value-only parameters (lib-jitsi-meet, <parameter name='' value='0-15'/>, or ours) back as fmtp tokens", () => {
    const pts = `<payload-type id='101' name='telephone-event' clockrate='8000'><parameter name='' value='0-15'/></payload-type>
      <payload-type id='63' name='red' clockrate='48000' channels='2'><parameter value='111/111'/></payload-type>`;
    const sdp = jingleToSdp(jingle(audio(pts, transport())), { role: "responder" });
    expect(sdp).toContain("a=fmtp:101 0-15\r\n");
    expect(sdp).toContain("a=fmtp:63 111/111\r\n");
  });

  it("refuses a value-only parameter that would forge an fmtp name=value pair", () => {
    const pts = `<payload-type id='63' name='red' clockrate='48000' channels='2'><parameter value='a=b'/></payload-type>`;
    expect(() => jingleToSdp(jingle(audio(pts, transport())), { role: "responder" })).toThrow(/nameless/);
  });

  it("ignores unknown elements and attributes in other namespaces (RFC 6120 §8.4)", () => {
    const extra = `<x xmlns='urn:example:unknown'><payload-type id='9'/></x>`;
    const sdp = jingleToSdp(jingle(audio(`<payload-type id='0' name='PCMU' clockrate='8000' x:y='1' xmlns:x='urn:example:x'/>${extra}`, transport("actpass", extra))), { role: "responder" });
    expect(String(parse(sdp).media[0]?.payloads)).toBe("0");
  });

  it("accepts lenient candidates: no generation or id (StanzaJS), rel_port (Monal), upper-case protocol", () => {
    const cand = `<candidate component='1' foundation='1' ip='192.0.2.1' port='5000' priority='100' protocol='UDP' type='srflx' rel-addr='10.0.0.1' rel_port='4000'/>`;
    const session = jingleToSession(jingle(audio(`<payload-type id='0' name='PCMU'/>`, transport("actpass", cand))));
    expect(session.contents[0]?.transport?.candidates[0]).toMatchObject({ protocol: "udp", generation: 0, relPort: 4000, relAddr: "10.0.0.1" });
    expect(session.contents[0]?.transport?.candidates[0]?.id).toMatch(/^c[0-9a-z]+$/);
  });

  it("maps senders to the direction seen by the peer, depending on our role", () => {
    const el = (senders: string) => jingle(`<content creator='initiator' name='a0' senders='${senders}'><description xmlns='urn:xmpp:jingle:apps:rtp:1' media='audio'><payload-type id='0' name='PCMU'/></description>${transport()}</content>`);
    expect(parse(jingleToSdp(el("initiator"), { role: "responder" })).media[0]?.direction).toBe("sendonly");
    expect(parse(jingleToSdp(el("initiator"), { role: "initiator" })).media[0]?.direction).toBe("recvonly");
    expect(parse(jingleToSdp(el("none"), { role: "responder" })).media[0]?.direction).toBe("inactive");
  });
});

describe("toward Jingle peers (SDP → Jingle)", () => {
  const offer = fixture("sdp/chromium-audio-video-offer.sdp");

  it("drops TCP and mDNS .local candidates by default, keeps them on request", () => {
    const tcp = (o: object) => sdpToJingle(offer, { action: "session-initiate", sid: "s", role: "initiator", ...o }).toString().includes('protocol="tcp"');
    expect(tcp({})).toBe(false);
    expect(tcp({ dropTcp: false })).toBe(true);
    const mdns = "a=candidate:1 1 udp 2122260223 4f2a.local 50000 typ host generation 0\r\n";
    const withMdns = offer.replace("a=ice-ufrag", `${mdns}a=ice-ufrag`);
    const ips = (o: object) => sdpToSession(withMdns, { role: "initiator", ...o }).session.contents[0]?.transport?.candidates.map((c) => c.ip);
    expect(ips({ dropTcp: false })).not.toContain("4f2a.local");
    expect(ips({ dropTcp: false, dropMdns: false })).toContain("4f2a.local");
  });

  it("sends RED's and DTMF's nameless fmtp token as a value-only <parameter/>, never StanzaJS's name-only form", () => {
    const red = sdpToJingle(fixture("sdp/chrome-120-audio-video-offer.sdp"), { action: "session-initiate", sid: "s", role: "initiator" }).toString();
    expect(red).not.toContain('name="111/111"');
    expect(red).toContain('<payload-type id="63" name="red" clockrate="48000" channels="2"><parameter value="111/111"/></payload-type>');
    const dtmf = sdpToJingle(fixture("sdp/firefox-121-audio-video-offer.sdp"), { action: "session-initiate", sid: "s", role: "initiator" }).toString();
    expect(dtmf).toContain('<payload-type id="101" name="telephone-event" clockrate="8000" channels="1"><parameter value="0-15"/></payload-type>');
  });

  // Conversations' SessionDescription.java (snikket-android @ 4b329a26, l. 225-231, and
  // RtpDescription.Parameter.toSdpString, l. 392-432): one parameter needs a value and may lack
  // a name; several need both. Anything else throws and fails the call.
  const conversationsAccepts = (pt: { getChildren(name: string): { attrs: Record<string, string | undefined> }[] }) => {
    const params = pt.getChildren("parameter");
    if (params.length === 1) return params[0]?.attrs["value"] !== undefined;
    return params.every((p) => p.attrs["name"] !== undefined && p.attrs["value"] !== undefined);
  };

  it.each(sdpFixtures())("every payload type made from %s has parameters Conversations can turn into fmtp", (name) => {
    const el = sdpToJingle(fixture(`sdp/${name}`), { action: "session-initiate", sid: "s", role: "initiator" });
    const pts = el.getChildren("content").flatMap((c) => c.getChild("description")?.getChildren("payload-type") ?? []);
    expect(pts.filter((pt) => !conversationsAccepts(pt)).map((pt) => pt.toString())).toEqual([]);
  });

  it("leaves out a nameless token mixed with name=value pairs (Conversations throws on it)", () => {
    const sdp = fixture("sdp/firefox-121-audio-video-offer.sdp").replace("a=fmtp:101 0-15", "a=fmtp:101 0-15;x=1");
    const pt = sdpToJingle(sdp, { action: "session-initiate", sid: "s", role: "initiator" }).getChildren("content")[0]
      ?.getChild("description")?.getChildren("payload-type").find((p) => p.attrs["id"] === "101");
    expect(pt?.getChildren("parameter").map((p) => p.attrs)).toEqual([{ name: "x", value: "1" }]);
  });

  it("copies Firefox's session-level fingerprint into every transport", () => {
    const { session } = sdpToSession(fixture("sdp/firefox-121-audio-video-offer.sdp"), { role: "initiator" });
    expect(session.contents.map((c) => c.transport?.fingerprints[0]?.value.slice(0, 8))).toEqual(["75:4F:CA", "75:4F:CA"]);
  });

  it("maps Firefox's a=extmap:2/recvonly to rtp-hdrext senders relative to our role", () => {
    const sdp = fixture("sdp/firefox-121-audio-video-offer.sdp");
    const ext = (role: "initiator" | "responder") =>
      sdpToSession(sdp, { role }).session.contents[0]?.description?.headerExtensions.find((e) => e.id === 2)?.senders;
    expect(ext("initiator")).toBe("responder");
    expect(ext("responder")).toBe("initiator");
  });

  it("puts msid from a=msid into every <source/> for Conversations, once: no StanzaJS <stream/> repeats it, and it comes back as a=msid", () => {
    const sdp = fixture("sdp/firefox-121-audio-video-offer.sdp");
    const el = sdpToJingle(sdp, { action: "session-initiate", sid: "s", role: "initiator" });
    const description = el.getChildren("content")[0]?.getChild("description");
    const source = description?.getChild("source", NS_JINGLE_RTP_SSMA);
    expect(source?.getChildByAttr("name", "msid")?.attrs["value"]).toBe("- {ba72adfe-d5b5-42bd-bf15-e8fcdcbb2ee1}");
    expect(description?.getChild("stream")).toBeUndefined();
    expect(jingleToSdp(el, { role: "initiator" })).toContain("a=msid:- {ba72adfe-d5b5-42bd-bf15-e8fcdcbb2ee1}\r\n");
  });

  it("writes a StanzaJS <stream/> for a=msid when no <source/> can carry it, or the sources say another msid (Jitsi)", () => {
    const noSsrc = fixture("sdp/firefox-121-audio-video-offer.sdp").replace(/^a=ssrc:.*\r?\n/gm, "");
    const bare = sdpToJingle(noSsrc, { action: "session-initiate", sid: "s", role: "initiator" }).getChildren("content")[0]?.getChild("description");
    expect(bare?.getChild("stream")?.attrs).toMatchObject({ id: "-", track: "{ba72adfe-d5b5-42bd-bf15-e8fcdcbb2ee1}" });
    const jitsi = sdpToJingle(fixture("sdp/jitsi-simulcast-rtx.sdp"), { action: "session-initiate", sid: "s", role: "initiator" }).getChildren("content")[0]?.getChild("description");
    expect(jitsi?.getChild("stream")?.attrs["id"]).toBe("-");
  });

  it("trims values such as a trailing space after a Firefox msid", () => {
    const sdp = fixture("sdp/firefox-121-audio-video-offer.sdp").replace("a=msid:- {ba72adfe-d5b5-42bd-bf15-e8fcdcbb2ee1}", "a=msid:- {ba72adfe-d5b5-42bd-bf15-e8fcdcbb2ee1} ");
    expect(sdpToSession(sdp, { role: "initiator" }).session.contents[0]?.description?.msid?.track).toBe("{ba72adfe-d5b5-42bd-bf15-e8fcdcbb2ee1}");
  });

  it("drops component-2 candidates when RTCP is muxed (Firefox 58)", () => {
    const { session } = sdpToSession(fixture("sdp/firefox-58-audio-offer.sdp"), { role: "initiator", dropTcp: false });
    expect(session.contents[0]?.transport?.candidates.map((c) => c.component)).toEqual([1, 1, 1, 1, 1]);
  });

  it("never sends setup='actpass' in a session-accept", () => {
    const xml = sdpToJingle(fixture("sdp/chromium-audio-offer.sdp"), { action: "session-accept", sid: "s", role: "responder" }).toString();
    expect(xml).toContain('setup="active"');
    expect(xml).not.toContain("actpass");
  });

  it("reports SDP attributes that Jingle cannot carry instead of dropping them silently", () => {
    const items: string[] = [];
    sdpToJingle(fixture("sdp/chromium-simulcast-offer.sdp"), { action: "session-initiate", sid: "s", role: "initiator", onUnmapped: (u) => items.push(...u) });
    expect(items).toEqual(expect.arrayContaining(["rids (content '1')", "simulcast (content '1')"]));
  });

  it("keeps unknown fmtp parameters as they are", () => {
    const sdp = fixture("sdp/chromium-audio-offer.sdp").replace("a=fmtp:111 minptime=10;useinbandfec=1", "a=fmtp:111 minptime=10;useinbandfec=1;x-future-knob=7");
    const xml = sdpToJingle(sdp, { action: "session-initiate", sid: "s", role: "initiator" }).toString();
    expect(xml).toContain('<parameter name="x-future-knob" value="7"/>');
    expect(jingleToSdp(parseJingleXml(xml), { role: "responder" })).toContain("a=fmtp:111 minptime=10;useinbandfec=1;x-future-knob=7");
  });
});

// The codec's limits and the fixes the fuzzer (test/support/fuzz) led to, one case each.
import { describe, expect, it } from "vitest";
import { Element, xml } from "@xmpp/xml";
import { parse } from "sdp-transform";
import {
  jingleToCandidates, jingleToSdp, JingleCodecError, parseCandidateString, parseJingleXml, sdpToJingle, type JingleCodecReason,
} from "../../../client/src/jingle/index.js";
import { LIMITS } from "../../../client/src/jingle/limits.js";
import { fixture } from "./helpers.js";

const INITIATE = () => parseJingleXml(fixture("jingle/xep-0320-session-initiate.xml"));
const OFFER = fixture("sdp/chromium-audio-video-offer.sdp");

function refusal(fn: () => unknown): { reason: JingleCodecReason; condition: string } {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(JingleCodecError);
    const e = error as JingleCodecError;
    return { reason: e.reason, condition: e.condition };
  }
  throw new Error("expected a JingleCodecError");
}

function firstTransport(jingle: Element): Element {
  return jingle.getChild("content")!.getChild("transport", "urn:xmpp:jingle:transports:ice-udp:1")!;
}

function withCandidates(jingle: Element, n: number): Element {
  const transport = firstTransport(jingle);
  const template = transport.getChild("candidate")!;
  for (let i = 0; i < n; i++) transport.cnode(new Element("candidate", { ...template.attrs, id: `c${i}`, port: String(10000 + i), foundation: String(i) }));
  return jingle;
}

describe("caps so a peer cannot exhaust memory (limits.ts)", () => {
  it(`more than ${LIMITS.candidatesPerContent} candidates in one content are refused with not-acceptable`, () => {
    expect(refusal(() => jingleToCandidates(withCandidates(INITIATE(), LIMITS.candidatesPerContent + 1)))).toEqual({ reason: "limit-exceeded", condition: "not-acceptable" });
  });

  it(`exactly ${LIMITS.candidatesPerContent} candidates in one content still convert`, () => {
    const jingle = INITIATE();
    const existing = firstTransport(jingle).getChildren("candidate").length;
    expect(jingleToCandidates(withCandidates(jingle, LIMITS.candidatesPerContent - existing)).length).toBeGreaterThanOrEqual(LIMITS.candidatesPerContent - existing);
  });

  it(`more than ${LIMITS.contents} contents are refused, in Jingle and in SDP`, () => {
    const jingle = INITIATE();
    const content = jingle.getChild("content")!;
    for (let i = 0; i < LIMITS.contents; i++) jingle.cnode(parseJingleXml(`<jingle xmlns='urn:xmpp:jingle:1'>${content.toString()}</jingle>`).getChild("content")!).attrs["name"] = `c${i}`;
    expect(refusal(() => jingleToSdp(jingle, { role: "responder" })).reason).toBe("limit-exceeded");
    const section = OFFER.slice(OFFER.indexOf("m=audio"), OFFER.indexOf("m=video"));
    const many = OFFER + Array.from({ length: LIMITS.contents }, (_, i) => section.replace(/a=mid:\S+/, `a=mid:m${i}`)).join("");
    expect(refusal(() => sdpToJingle(many, { role: "initiator", action: "session-initiate", sid: "s" })).reason).toBe("limit-exceeded");
  });

  it(`more than ${LIMITS.payloadTypes} payload types in one content are refused`, () => {
    const jingle = INITIATE();
    const description = jingle.getChild("content")!.getChild("description", "urn:xmpp:jingle:apps:rtp:1")!;
    for (let i = 0; i <= LIMITS.payloadTypes; i++) description.cnode(new Element("payload-type", { id: String(i % 128), name: "x", clockrate: "8000" }));
    expect(refusal(() => jingleToSdp(jingle, { role: "responder" })).reason).toBe("limit-exceeded");
  });

  it("a stanza with megabytes of text, a huge attribute or deep nesting is refused before it is read", () => {
    const big = INITIATE();
    big.cnode(new Element("x", { xmlns: "urn:example" })).t("y".repeat(LIMITS.stanzaChars + 1));
    expect(refusal(() => jingleToSdp(big, { role: "responder" })).reason).toBe("limit-exceeded");
    const attr = INITIATE();
    attr.getChild("content")!.attrs["name"] = "n".repeat(LIMITS.valueChars + 1);
    expect(refusal(() => jingleToSdp(attr, { role: "responder" })).reason).toBe("limit-exceeded");
    const deep = INITIATE();
    let at = deep.cnode(new Element("x", { xmlns: "urn:example" }));
    for (let i = 0; i < 50_000; i++) at = at.cnode(new Element("x"));
    expect(refusal(() => jingleToSdp(deep, { role: "responder" })).reason).toBe("limit-exceeded");
  });

  it("an SDP past the size cap is refused without parsing it", () => {
    expect(refusal(() => sdpToJingle(OFFER + `a=x-junk:${"z".repeat(LIMITS.sdpChars)}\r\n`, { role: "initiator", action: "session-initiate", sid: "s" })).reason).toBe("limit-exceeded");
  });
});

describe("fixes found by the fuzzer", () => {
  it("a 100 000-deep XML text is malformed or too deep, not a stack overflow (findJingle is iterative)", () => {
    const text = `<iq xmlns='jabber:client'>${"<x>".repeat(100_000)}${"</x>".repeat(100_000)}<jingle xmlns='urn:xmpp:jingle:1' action='transport-info' sid='s'/></iq>`;
    expect(refusal(() => parseJingleXml(text)).reason).toMatch(/limit-exceeded|not-jingle/);
  });

  it("a CR/LF in a candidate address cannot inject an SDP line", () => {
    const jingle = INITIATE();
    firstTransport(jingle).getChild("candidate")!.attrs["ip"] = "192.0.2.1\r\na=fingerprint:sha-1 00";
    expect(refusal(() => jingleToSdp(jingle, { role: "responder" })).reason).toBe("invalid-attribute");
  });

  it("a space inside a token (rel-addr 'a b') is refused rather than written as an unreadable a=candidate", () => {
    const jingle = INITIATE();
    firstTransport(jingle).getChild("candidate")!.attrs["rel-addr"] = "candidate:evil rport";
    expect(refusal(() => jingleToSdp(jingle, { role: "responder" })).reason).toBe("invalid-attribute");
  });

  it("an fmtp parameter with ';' cannot forge other parameters", () => {
    const jingle = INITIATE();
    const pt = jingle.getChild("content")!.getChild("description", "urn:xmpp:jingle:apps:rtp:1")!.getChild("payload-type")!;
    pt.cnode(xml("parameter", { name: "minptime", value: "10;x-injected=1" }));
    expect(refusal(() => jingleToSdp(jingle, { role: "responder" })).reason).toBe("invalid-attribute");
  });

  it("a non-numeric bandwidth is refused instead of written as b=AS:NaN", () => {
    const jingle = INITIATE();
    jingle.getChild("content")!.getChild("description", "urn:xmpp:jingle:apps:rtp:1")!.cnode(xml("bandwidth", { type: "AS" }, "lots"));
    expect(refusal(() => jingleToSdp(jingle, { role: "responder" })).reason).toBe("invalid-attribute");
  });

  it("payload type ids past 127 and ports past 65535 are invalid-attribute", () => {
    const pt = INITIATE();
    pt.getChild("content")!.getChild("description", "urn:xmpp:jingle:apps:rtp:1")!.getChild("payload-type")!.attrs["id"] = "128";
    expect(refusal(() => jingleToSdp(pt, { role: "responder" })).reason).toBe("invalid-attribute");
    const port = INITIATE();
    firstTransport(port).getChild("candidate")!.attrs["port"] = "65536";
    expect(refusal(() => jingleToSdp(port, { role: "responder" })).reason).toBe("invalid-attribute");
  });

  it("an SDP fingerprint without hex value is refused, not sent as an empty <fingerprint/>", () => {
    const sdp = OFFER.replace(/a=fingerprint:(\S+) \S+/g, "a=fingerprint:$1 ");
    expect(refusal(() => sdpToJingle(sdp, { role: "initiator", action: "session-initiate", sid: "s" })).reason).toMatch(/missing-fingerprint|invalid-attribute/);
  });

  it("a control character in the SDP is malformed-sdp, never copied into the XML we send", () => {
    expect(refusal(() => sdpToJingle(OFFER.replace("a=mid:0", "a=mid:0\u0001"), { role: "initiator", action: "session-initiate", sid: "s" })).reason).toBe("malformed-sdp");
  });

  it("a truncated m= line is malformed input, not a TypeError", () => {
    const sdp = OFFER.replace(/m=audio [^\r\n]*/, "m=audio");
    expect(refusal(() => sdpToJingle(sdp, { role: "initiator", action: "session-initiate", sid: "s" })).reason).toMatch(/unsupported-application|malformed-sdp/);
  });

  it("a sid with characters XML forbids is refused rather than sent", () => {
    expect(refusal(() => sdpToJingle(OFFER, { role: "initiator", action: "session-initiate", sid: "a\u0000b" })).reason).toBe("invalid-attribute");
  });

  it("a candidate string with a lone surrogate is malformed, so the stanza we send stays XML", () => {
    expect(refusal(() => parseCandidateString("candidate:1 1 udp 1 192.0.2.\uD800 9 typ host")).reason).toBe("malformed-candidate");
  });

  it("a one-ssrc a=ssrc-group (a number to sdp-transform) converts instead of throwing a TypeError", () => {
    const sdp = OFFER.replace(/(a=mid:1\r\n)/, "$1a=ssrc-group:FID 1234\r\n");
    const jingle = sdpToJingle(sdp, { role: "initiator", action: "session-initiate", sid: "s" });
    expect(jingle.toString()).toContain("ssrc-group");
  });

  it("an a=ssrc line without a number is refused instead of written back as a=ssrc:NaN", () => {
    const sdp = OFFER.replace(/(a=mid:1\r\n)/, "$1a=ssrc: cname:x\r\n");
    expect(refusal(() => sdpToJingle(sdp, { role: "initiator", action: "session-initiate", sid: "s" })).reason).toBe("invalid-attribute");
  });

  it("real fixtures are far below every cap and still read back through sdp-transform", () => {
    const sdp = jingleToSdp(parseJingleXml(fixture("jingle/stanza-chrome-session-initiate.xml")), { role: "responder" });
    expect(parse(sdp).media.every((m) => !m.invalid?.length)).toBe(true);
  });
});

// The description examples of XEP-0293, XEP-0294 and XEP-0339 (fragments, verbatim in fixtures),
// placed in XEP-0320's session-initiate so that they can be converted to SDP.
import { describe, expect, it } from "vitest";
import { Element } from "@xmpp/xml";
import { jingleToCandidates, jingleToSdp, parseJingleXml } from "../../../client/src/jingle/index.js";
import { NS_JINGLE } from "../../../client/src/namespaces.js";
import parse from "@xmpp/xml/lib/parse.js";
import { fixture } from "./helpers.js";

/** XEP-0320's session-initiate with its <description/> replaced by `description`. */
function withDescription(description: Element): Element {
  const jingle = parseJingleXml(fixture("jingle/xep-0320-session-initiate.xml"));
  const content = jingle.getChild("content", NS_JINGLE)!;
  content.children = content.children.map((c) => (typeof c !== "string" && c.getName() === "description" ? description : c));
  return jingle;
}
const sdpOf = (file: string) => jingleToSdp(withDescription(parse(fixture(`jingle/${file}`))), { role: "responder" });

describe("XEP example descriptions", () => {
  it("XEP-0293: description-level rtcp-fb reaches every payload type, beside payload-level rtcp-fb and trr-int", () => {
    const sdp = sdpOf("xep-0293-description.xml");
    expect(sdp).toContain("a=rtcp-fb:96 nack pli\r\n");
    expect(sdp).toContain("a=rtcp-fb:34 nack pli\r\n");
    expect(sdp).not.toContain("a=rtcp-fb:*");
    expect(sdp).toContain("a=rtcp-fb:96 nack sli\r\n");
    expect(sdp).toContain("a=rtcp-fb:96 trr-int 100\r\n");
  });

  it("XEP-0294: extmap with senders and extmap-allow-mixed", () => {
    const sdp = sdpOf("xep-0294-description.xml");
    expect(sdp).toContain("a=extmap:1 URI-toffset\r\n");
    // senders='initiator' seen from the initiator who wrote it: it only sends.
    expect(sdp).toContain("a=extmap:2/sendonly URI-gps-string\r\n");
    expect(sdp).toContain("a=extmap-allow-mixed\r\n");
  });

  it("XEP-0339: sources and FID groups", () => {
    const content = parse(fixture("jingle/xep-0339-content.xml"));
    const sdp = jingleToSdp(withDescription(content.getChild("description")!), { role: "responder" });
    expect(sdp).toContain("a=ssrc-group:FID 2301230316 386328120\r\n");
    expect(sdp).toContain("a=ssrc-group:FID 3139499595 2613715171\r\n");
    expect(sdp).toContain("a=ssrc:2613715171 cname:f83avsiw6n1m7vi\r\n");
  });

  it("XEP-0320: the session-accept's setup and fingerprint", () => {
    const sdp = jingleToSdp(parseJingleXml(fixture("jingle/xep-0320-session-accept.xml")), { role: "initiator" });
    expect(sdp).toContain("a=setup:active\r\n");
    expect(sdp).toContain("a=fingerprint:sha-256 BD:E8:2C:D3:BD:B6:98:50:45:7D:5B:36:89:53:31:15:52:25:88:82:06:95:88:A3:3D:A5:43:8D:5C:21:21:66\r\n");
  });

  it("XEP-0176: the ICE restart's candidate carries the new ufrag and generation", () => {
    const [candidate] = jingleToCandidates(parseJingleXml(fixture("jingle/xep-0176-ice-restart.xml")));
    expect(candidate?.usernameFragment).toBe("g7qs");
    expect(candidate?.candidate).toBe("candidate:1 1 udp 1694498815 192.0.2.3 45665 typ srflx generation 1 network-id 1");
  });
});

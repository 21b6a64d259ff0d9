// Codec fixes that interop fixtures proved necessary (client/src/jingle).
import { describe, expect, it } from "vitest";
import { parse } from "sdp-transform";
import { jingleToSdp } from "../../../client/src/jingle/index.js";
import { interopFixture } from "./harness.js";

describe("SDP for StanzaJS's session-accept", () => {
  it("declares the FID group's second ssrc, which StanzaJS names only in <ssrc-group/>, with the first source's cname", () => {
    const jingle = interopFixture("stanza", "session-accept-audio-video.xml").getChild("jingle", "urn:xmpp:jingle:1")!;
    const video = parse(jingleToSdp(jingle, { role: "initiator" })).media[1]!;
    const [primary, repair] = String(video.ssrcGroups?.[0]?.ssrcs).split(" ").map(Number);
    const declared = (ssrc: number | undefined) => (video.ssrcs ?? []).filter((s) => s.id === ssrc).map((s) => `${s.attribute}:${String(s.value)}`);
    expect(declared(repair)).toEqual(declared(primary).filter((a) => a.startsWith("cname:") || a.startsWith("msid:")));
    expect(declared(repair)).not.toEqual([]);
  });
});

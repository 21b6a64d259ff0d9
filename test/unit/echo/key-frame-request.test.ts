import { describe, expect, it } from "vitest";
import { RtcpPacketConverter } from "werift";
import { asksForKeyFrame } from "../../../services/echo/echo-peer.ts";

// RTCP packets written byte by byte from the RFCs (not by werift's own serializer), read by werift
// as the echo receives them from a browser.
const rtcp = (...words: number[][]) => Buffer.from(words.flat());
const ssrc = (n: number) => [(n >>> 24) & 255, (n >>> 16) & 255, (n >>> 8) & 255, n & 255];

const packets = {
  // RFC 4585 §6.3.1: payload-specific feedback (PT 206), FMT 1, no FCI.
  pli: rtcp([0x81, 206, 0, 2], ssrc(0x11111111), ssrc(0x22222222)),
  // RFC 5104 §4.3.1: FMT 4, media SSRC 0, one FCI entry (SSRC, sequence number, reserved).
  fir: rtcp([0x84, 206, 0, 4], ssrc(0x11111111), ssrc(0), ssrc(0x22222222), [7, 0, 0, 0]),
  // RFC 4585 §6.3.2: Slice Loss Indication (FMT 2), which werift does not read.
  sli: rtcp([0x82, 206, 0, 3], ssrc(0x11111111), ssrc(0x22222222), [0, 0, 0, 1]),
  // RFC 3550 §6.4.2: a receiver report without blocks.
  rr: rtcp([0x80, 201, 0, 1], ssrc(0x11111111)),
};

describe("asksForKeyFrame: which RTCP from the caller's decoder is passed on to its encoder", () => {
  it.each([
    ["pli", true],
    ["fir", true],
    ["sli", false],
    ["rr", false],
  ] as const)("%s → %s", (name, expected) => {
    const parsed = RtcpPacketConverter.deSerialize(packets[name]);
    expect(parsed).toHaveLength(1);
    expect(asksForKeyFrame(parsed[0]!)).toBe(expected);
  });
});

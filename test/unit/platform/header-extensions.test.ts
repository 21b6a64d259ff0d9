import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { negotiatedHeaderExtensions, type HeaderExtensionChoice } from "../../../client/src/platform/header-extensions.ts";

// Chromium 156's RTCRtpTransceiver.getHeaderExtensionsToNegotiate() for a new transceiver of each kind.
const chromium = JSON.parse(readFileSync(join(import.meta.dirname, "../../fixtures/capabilities/chromium-156-header-extensions.json"), "utf8")) as Record<"audio" | "video", HeaderExtensionChoice[]>;
const negotiated = (list: readonly HeaderExtensionChoice[]) => list.filter((e) => e.direction !== "stopped").map((e) => e.uri);

describe("negotiatedHeaderExtensions", () => {
  it("leaves Chromium 156's video m-line mid, abs-send-time, transport-cc, video-orientation and video-content-type of its eleven", () => {
    expect(negotiated(chromium.video)).toHaveLength(11);
    expect(negotiated(negotiatedHeaderExtensions(chromium.video)!)).toEqual([
      "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
      "urn:3gpp:video-orientation",
      "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
      "http://www.webrtc.org/experiments/rtp-hdrext/video-content-type",
      "urn:ietf:params:rtp-hdrext:sdes:mid",
    ]);
  });

  it("keeps the browser's list, order and length, changing only directions (the browser refuses any other list)", () => {
    const chosen = negotiatedHeaderExtensions(chromium.video)!;
    expect(chosen.map((e) => e.uri)).toEqual(chromium.video.map((e) => e.uri));
    expect(chosen.filter((e, i) => e.direction !== chromium.video[i]!.direction).every((e) => e.direction === "stopped")).toBe(true);
  });

  it("changes nothing on Chromium's audio m-line (every one of its four is used), so the browser's list stays", () => {
    expect(negotiatedHeaderExtensions(chromium.audio)).toBeUndefined();
  });

  it("never stops what congestion control, BUNDLE or rotation need, whatever the browser lists", () => {
    const needed = ["urn:ietf:params:rtp-hdrext:sdes:mid", "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01", "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time", "urn:3gpp:video-orientation", "urn:ietf:params:rtp-hdrext:ssrc-audio-level"];
    const list: HeaderExtensionChoice[] = [...needed, "urn:ietf:params:rtp-hdrext:toffset"].map((uri) => ({ uri, direction: "sendrecv" }));
    expect(negotiated(negotiatedHeaderExtensions(list)!)).toEqual(needed);
  });
});

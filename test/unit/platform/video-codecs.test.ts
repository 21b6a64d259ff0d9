import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { offeredVideoCodecs, type VideoCodecCapability } from "../../../client/src/platform/video-codecs.ts";

const fixture = (name: string) =>
  JSON.parse(readFileSync(join(import.meta.dirname, "../../fixtures/capabilities", `${name}-video.json`), "utf8")) as VideoCodecCapability[];
const describeCodec = (c: VideoCodecCapability) => `${c.mimeType} ${c.sdpFmtpLine ?? ""}`.trim();

describe("offeredVideoCodecs", () => {
  it("keeps from Chromium 156's capabilities VP8, VP9 profile 0, AV1 profile 0, H.264 (constrained) baseline in packetization-mode 1, and the repair formats, in the browser's order", () => {
    expect(offeredVideoCodecs(fixture("chromium-156"))!.map(describeCodec)).toEqual([
      "video/VP8",
      "video/rtx",
      "video/VP9 profile-id=0",
      "video/H264 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f",
      "video/H264 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f",
      "video/AV1 level-idx=5;profile=0;tier=0",
      "video/red",
      "video/ulpfec",
    ]);
  });

  it("adds nothing Chromium does not offer by default (flexfec, VP9 profiles 1–3, H.264 high, AV1 profile 1)", () => {
    const kept = offeredVideoCodecs(fixture("chromium-156"))!.map(describeCodec).join("\n");
    expect(kept).not.toMatch(/flexfec|profile-id=[123]|f4001f|4d001f|packetization-mode=0|profile=1/);
  });

  it("keeps every codec of Firefox ESR 153 (VP8 and VP9 without a profile-id are profile 0; AV1 without parameters)", () => {
    const firefox = fixture("firefox-esr-153");
    expect(offeredVideoCodecs(firefox)).toEqual(firefox);
  });

  it("reads parameters in any case and order, and H.264 without packetization-mode as mode 0", () => {
    expect(offeredVideoCodecs([
      { mimeType: "video/h264", clockRate: 90000, sdpFmtpLine: "Profile-Level-Id=42E01F; packetization-mode=1" },
      { mimeType: "video/H264", clockRate: 90000, sdpFmtpLine: "profile-level-id=42e01f" },
    ])!.map(describeCodec)).toEqual(["video/h264 Profile-Level-Id=42E01F; packetization-mode=1"]);
  });

  it("leaves the browser's list alone when none of its codecs would remain (a codec-less list, or only unknown ones)", () => {
    expect(offeredVideoCodecs([{ mimeType: "video/rtx", clockRate: 90000 }, { mimeType: "video/H265", clockRate: 90000 }])).toBeUndefined();
    expect(offeredVideoCodecs([])).toBeUndefined();
  });
});

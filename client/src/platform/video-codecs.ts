// Which video codecs our offers list. Chromium offers 23 video payload types: H.264 in three
// profiles, each in packetization-mode 0 and 1, and VP9 profile 2 (10-bit), each with its RTX.
// The clients we call use far fewer: Conversations and Monal (libwebrtc) take VP8 and H.264
// constrained baseline in packetization-mode 1 (RFC 6184 §8.1), Dino takes VP8, Firefox VP8, VP9
// and AV1. Each payload type dropped saves ≈ 0.3 KB of XML in every session-initiate
// (payload-type, parameters, XEP-0293 feedback); the answer still picks from what is left
// (RFC 3264 §6). Pure: the browser peer feeds in RTCRtpReceiver.getCapabilities("video").codecs.

/** The parts of RTCRtpCodec this choice reads. */
export interface VideoCodecCapability {
  mimeType: string;
  clockRate: number;
  sdpFmtpLine?: string;
}

/** Repair formats: they follow the codecs they protect (RFC 4588 apt, RFC 2198, RFC 5109). */
const REPAIR_FORMATS = new Set(["video/rtx", "video/red", "video/ulpfec"]);

/** H.264 profile-level-ids kept: baseline and constrained baseline, level 3.1 (RFC 6184 §8.1). */
const H264_PROFILES = new Set(["42001f", "42e01f"]);

function fmtp(codec: VideoCodecCapability): Map<string, string> {
  const parameters = new Map<string, string>();
  for (const part of (codec.sdpFmtpLine ?? "").split(";")) {
    const [key, value] = part.split("=");
    if (key?.trim()) parameters.set(key.trim().toLowerCase(), (value ?? "").trim().toLowerCase());
  }
  return parameters;
}

/** Whether an offer of ours lists this codec. */
export function offeredVideoCodec(codec: VideoCodecCapability): boolean {
  const mimeType = codec.mimeType.toLowerCase();
  if (REPAIR_FORMATS.has(mimeType)) return true;
  const parameters = fmtp(codec);
  switch (mimeType) {
    case "video/vp8":
      return true;
    case "video/vp9":
      // Profile 0 (8-bit 4:2:0) is what every VP9 decoder takes; absent means 0 (VP9 RTP §6).
      return (parameters.get("profile-id") ?? "0") === "0";
    case "video/av1":
      return (parameters.get("profile") ?? "0") === "0";
    case "video/h264":
      return parameters.get("packetization-mode") === "1" && H264_PROFILES.has(parameters.get("profile-level-id") ?? "");
    // flexfec and anything new: capabilities list them, but browsers do not offer them by default.
    default:
      return false;
  }
}

/**
 * The codec preferences for a video transceiver we offer, in the browser's own order; undefined
 * when they would leave no codec to send (then the browser's default list stays).
 */
export function offeredVideoCodecs<C extends VideoCodecCapability>(capabilities: readonly C[]): C[] | undefined {
  const chosen = capabilities.filter(offeredVideoCodec);
  return chosen.some((c) => !REPAIR_FORMATS.has(c.mimeType.toLowerCase())) ? chosen : undefined;
}

// Which video codecs our offers list. Chromium offers 23 video payload types, among them H.264
// in three profiles, each with packetization-mode 0 and 1, and VP9 profile 2 (10-bit), each with
// its RTX. No XMPP client needs those: Conversations, Monal and browsers send and take H.264
// constrained baseline with packetization-mode 1 (RFC 6184 §8.1), Dino adds VP8, and
// Firefox has no other. Every payload type is ~0.5 KB of XML in a session-initiate
// (payload-type, parameters, XEP-0293 feedback), so the offer lists what a peer can use and
// nothing more: the answer still picks from it (RFC 3264 §6).
// Pure: the browser peer feeds in RTCRtpReceiver.getCapabilities("video").codecs.

/** The parts of RTCRtpCodec this choice reads. */
export interface VideoCodecCapability {
  mimeType: string;
  clockRate: number;
  channels?: number;
  sdpFmtpLine?: string;
}

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
  const parameters = fmtp(codec);
  switch (codec.mimeType.toLowerCase()) {
    case "video/vp8":
      return true;
    case "video/vp9":
      // Profile 0 (8-bit 4:2:0) is what every VP9 decoder takes; absent means 0 (VP9 RTP §6).
      return (parameters.get("profile-id") ?? "0") === "0";
    case "video/av1":
      return (parameters.get("profile") ?? "0") === "0";
    case "video/h264":
      return parameters.get("packetization-mode") === "1" && H264_PROFILES.has(parameters.get("profile-level-id") ?? "");
    // Repair formats follow the codecs they protect (RFC 4588 apt, RFC 2198, RFC 5109).
    case "video/rtx":
    case "video/red":
    case "video/ulpfec":
      return true;
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
  const media = chosen.filter((c) => !["video/rtx", "video/red", "video/ulpfec"].includes(c.mimeType.toLowerCase()));
  return media.length > 0 ? chosen : undefined;
}

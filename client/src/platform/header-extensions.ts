// Which RTP header extensions (RFC 8285) our descriptions list. Chromium offers eleven on a video
// m-line; each costs ≈ 125 bytes of XML (XEP-0294 rtp-hdrext) in the offer and again in the answer,
// the largest element kind of a call's signaling. Six of them do nothing in a one-to-one call:
// - toffset (RFC 5450): bandwidth estimation reads transport-cc, or abs-send-time without it;
// - rtp-stream-id and repaired-rtp-stream-id (RFC 8852): they name simulcast layers, and we send
//   one layer per track;
// - playout-delay, video-timing: for senders that ask the receiver for a delay, and for timing
//   diagnostics; neither is set by a call;
// - color-space: HDR metadata; an 8-bit camera's colour travels in the bitstream.
// Kept: sdes:mid (BUNDLE, RFC 9143), abs-send-time and transport-cc (congestion control),
// video-orientation (a phone's rotation, 3GPP TS 26.114), video-content-type (marks a shared
// screen), ssrc-audio-level (RFC 6464). Stopping an extension only removes it from what is
// negotiated (webrtc-extensions §7); an answer still takes only what the offer listed.
// Pure: the browser peer feeds in RTCRtpTransceiver.getHeaderExtensionsToNegotiate().

/** The parts of RTCRtpHeaderExtensionCapability the choice reads and writes. */
export interface HeaderExtensionChoice {
  uri: string;
  direction: RTCRtpTransceiverDirection;
}

export const UNUSED_HEADER_EXTENSIONS: ReadonlySet<string> = new Set([
  "urn:ietf:params:rtp-hdrext:toffset",
  "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
  "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
  "http://www.webrtc.org/experiments/rtp-hdrext/playout-delay",
  "http://www.webrtc.org/experiments/rtp-hdrext/video-timing",
  "http://www.webrtc.org/experiments/rtp-hdrext/color-space",
]);

/**
 * The header extensions to negotiate: the browser's list with the unused ones stopped, or
 * undefined when nothing would change (then the browser's list stays as it is).
 */
export function negotiatedHeaderExtensions<E extends HeaderExtensionChoice>(extensions: readonly E[]): E[] | undefined {
  if (!extensions.some((e) => e.direction !== "stopped" && UNUSED_HEADER_EXTENSIONS.has(e.uri))) return undefined;
  return extensions.map((e) => (UNUSED_HEADER_EXTENSIONS.has(e.uri) ? { ...e, direction: "stopped" as const } : e));
}

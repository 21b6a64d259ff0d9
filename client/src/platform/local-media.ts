// Camera and microphone for a call: opened on the devices the user chose, degraded to what is
// available when one is refused, switched mid-call with replaceTrack (no renegotiation: the
// m-line, its SSRC and codecs stay; W3C webrtc-pc §5.2 replaceTrack), and recovered when a
// device goes away (unplugged: its track ends).
import { MediaAccessError } from "../call/peer.js";
import type { CallMedia } from "../call/states.js";

/** Device ids chosen by the user (MediaDeviceInfo.deviceId), by MediaDeviceKind. */
export interface DeviceChoice {
  audioinput?: string;
  videoinput?: string;
  audiooutput?: string;
}

export const INPUT_OF: Record<CallMedia, "audioinput" | "videoinput"> = { audio: "audioinput", video: "videoinput" };
const NAME: Record<CallMedia, string> = { audio: "microphone", video: "camera" };

function accessReason(error: unknown): MediaAccessError["reason"] {
  const name = error instanceof DOMException ? error.name : "";
  return name === "NotAllowedError" || name === "SecurityError" ? "denied" : name === "NotFoundError" || name === "OverconstrainedError" ? "not-found" : "unavailable";
}

/**
 * `exact`: Chromium picks its first device for a merely preferred deviceId (seen with its fake
 * capture); a chosen device that is gone is retried as the default by openMedia.
 */
const constraint = (media: CallMedia, choice: DeviceChoice): MediaTrackConstraints | boolean => {
  const id = choice[INPUT_OF[media]];
  return id ? { deviceId: { exact: id } } : true;
};
const isGone = (error: unknown) => error instanceof DOMException && (error.name === "OverconstrainedError" || error.name === "NotFoundError");

export interface OpenedMedia {
  stream: MediaStream;
  /** What was asked for and could not be opened, with why (the call goes on without it). */
  missing: { media: CallMedia; reason: MediaAccessError["reason"] }[];
}

/**
 * Opens `media` on the chosen devices. If the browser refuses the whole request, each kind is
 * tried alone, so a refused camera still leaves a voice call; only when nothing opens does it throw.
 */
export async function openMedia(media: readonly CallMedia[], choice: DeviceChoice): Promise<OpenedMedia> {
  const ask = async (kinds: readonly CallMedia[]) => {
    const request = (c: DeviceChoice) => navigator.mediaDevices.getUserMedia({ audio: kinds.includes("audio") && constraint("audio", c), video: kinds.includes("video") && constraint("video", c) });
    try {
      return await request(choice);
    } catch (error) {
      // The device chosen last is unplugged: the default one instead.
      if (isGone(error) && kinds.some((k) => choice[INPUT_OF[k]])) return request({});
      throw error;
    }
  };
  try {
    return { stream: await ask(media), missing: [] };
  } catch (error) {
    if (media.length < 2) throw new MediaAccessError(accessReason(error), { cause: error });
    const stream = new MediaStream();
    const missing: OpenedMedia["missing"] = [];
    for (const kind of media) {
      try {
        for (const track of (await ask([kind])).getTracks()) stream.addTrack(track);
      } catch (alone) {
        missing.push({ media: kind, reason: accessReason(alone) });
      }
    }
    if (stream.getTracks().length === 0) throw new MediaAccessError(accessReason(error), { cause: error });
    return { stream, missing };
  }
}

export function missingText(missing: OpenedMedia["missing"]): string {
  return missing
    .map(({ media, reason }) => {
      const what = NAME[media];
      const why = reason === "denied" ? `access to the ${what} was refused (allow it in the site settings)` : reason === "not-found" ? `no ${what} was found` : `the ${what} could not be started`;
      return `${why[0]!.toUpperCase()}${why.slice(1)}: the call continues without it.`;
    })
    .join(" ");
}

/**
 * Puts a track from another device in place of the current one of its kind: on the sender
 * (replaceTrack), in the local stream the self-view shows, with the mute state carried over.
 * The old track is stopped (its device released).
 */
export async function swapTrack(pc: RTCPeerConnection, local: MediaStream, track: MediaStreamTrack): Promise<void> {
  const kind = track.kind as CallMedia;
  const old = local.getTracks().find((t) => t.kind === kind);
  if (old) track.enabled = old.enabled;
  const sender = pc.getSenders().find((s) => s.track !== null && s.track === old) ?? pc.getTransceivers().find((t) => t.sender.track === null && t.receiver.track.kind === kind && t.currentDirection !== "stopped" && (t.direction === "sendrecv" || t.direction === "sendonly"))?.sender;
  await sender?.replaceTrack(track);
  if (old) {
    local.removeTrack(old);
    old.stop();
  }
  local.addTrack(track);
}

/** Opens the chosen device of `media` alone (exactly it: a switch to a device that is gone must fail, not silently pick another). */
export async function openDevice(media: CallMedia, choice: DeviceChoice): Promise<MediaStreamTrack> {
  try {
    const track = (await navigator.mediaDevices.getUserMedia({ [media]: constraint(media, choice) })).getTracks()[0];
    if (!track) throw new DOMException("no track", "NotFoundError");
    return track;
  } catch (error) {
    throw new MediaAccessError(accessReason(error), { cause: error });
  }
}

/** The user-facing name of a kind of input, for notices. */
export const deviceName = (media: CallMedia): string => NAME[media];

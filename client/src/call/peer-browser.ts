import type { RemoteCandidate } from "../jingle/index.js";
import { MediaAccessError, type IceState, type MediaPeer, type PeerFactory, type PeerOptions } from "./peer.js";
import type { CallMedia } from "./states.js";

export interface BrowserStreams {
  local: MediaStream;
  remote: MediaStream;
}

declare global {
  // Test harness hook: every peer connection, so a test can close them before the page (TURN allocations).
  var __peerConnections: RTCPeerConnection[] | undefined;
}

async function openMedia(media: readonly CallMedia[]): Promise<MediaStream> {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: true, video: media.includes("video") });
  } catch (error) {
    const name = error instanceof DOMException ? error.name : "";
    const reason = name === "NotAllowedError" || name === "SecurityError" ? "denied" : name === "NotFoundError" ? "not-found" : "unavailable";
    throw new MediaAccessError(reason, { cause: error });
  }
}

/**
 * The real MediaPeer: RTCPeerConnection plus camera/microphone. `bundlePolicy: balanced`
 * because Dino bundles nothing (INTEROP); remote media is built from `track` events.
 */
export function browserPeerFactory(onStreams: (streams: BrowserStreams) => void): PeerFactory {
  return async (options: PeerOptions): Promise<MediaPeer> => {
    const local = await openMedia(options.media);
    const pc = new RTCPeerConnection({
      iceServers: [...options.iceServers],
      iceTransportPolicy: options.relayOnly ? "relay" : "all",
      bundlePolicy: "balanced",
    });
    (globalThis.__peerConnections ??= []).push(pc);
    const remote = new MediaStream();
    for (const track of local.getTracks()) pc.addTrack(track, local);
    pc.addEventListener("track", (event) => {
      remote.addTrack(event.track);
      onStreams({ local, remote });
    });
    pc.addEventListener("icecandidate", (event) => options.listeners.onCandidate(event.candidate ? event.candidate.toJSON() : null));
    pc.addEventListener("iceconnectionstatechange", () => options.listeners.onIceState(pc.iceConnectionState as IceState));
    onStreams({ local, remote });
    return {
      async offer() {
        await pc.setLocalDescription(await pc.createOffer());
        return pc.localDescription?.sdp ?? "";
      },
      async answer(remoteOffer: string) {
        await pc.setRemoteDescription({ type: "offer", sdp: remoteOffer });
        await pc.setLocalDescription(await pc.createAnswer());
        return pc.localDescription?.sdp ?? "";
      },
      async applyAnswer(remoteAnswer: string) {
        await pc.setRemoteDescription({ type: "answer", sdp: remoteAnswer });
      },
      async addCandidate(candidate: RemoteCandidate) {
        await pc.addIceCandidate(candidate);
      },
      setMuted(media: CallMedia, muted: boolean) {
        for (const track of local.getTracks()) if (track.kind === media) track.enabled = !muted;
      },
      close() {
        for (const track of local.getTracks()) track.stop();
        pc.close();
      },
    };
  };
}

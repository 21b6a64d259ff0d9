// The MediaPeer port (call/peer.ts) on the browser: RTCPeerConnection, getUserMedia, the tracks
// the call screen shows. The only DOM-bound part of a call; the call layer never imports it.
import type { RemoteCandidate } from "../jingle/index.js";
import { MediaAccessError, type IceState, type MediaPeer, type PeerFactory, type PeerOptions } from "../call/peer.js";
import type { CallMedia } from "../call/states.js";

export interface BrowserStreams {
  local: MediaStream;
  remote: MediaStream;
}

async function openMedia(media: readonly CallMedia[]): Promise<MediaStream> {
  try {
    return await navigator.mediaDevices.getUserMedia({ audio: media.includes("audio"), video: media.includes("video") });
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
/** No RTP audio from the peer this long after ICE connected: its sender never started. */
const SILENT_PEER_MS = 4_000;
/** …then looked at again this often, until it arrives. */
const SILENT_PEER_RECHECK_MS = 2_000;

/**
 * Reports whether the peer's audio arrives: once, a while after ICE first connects, and again as
 * it changes while it did not. Dino 0.4.2 under load sometimes never starts its microphone branch
 * (its first buffer is refused and the stream stops for good; docs/interop.md, "Dino 0.4.2 live"):
 * ICE, DTLS and its RTCP are fine, only its RTP never comes. Nothing we send restarts it.
 */
function watchIncomingAudio(pc: RTCPeerConnection, report: (flowing: boolean) => void): void {
  let armed = false;
  let reported: boolean | undefined;
  const check = async () => {
    if (pc.connectionState === "closed") return;
    let packets = 0;
    (await pc.getStats()).forEach((r: { type: string; kind?: string; packetsReceived?: number }) => {
      if (r.type === "inbound-rtp" && r.kind === "audio") packets += r.packetsReceived ?? 0;
    });
    const flowing = packets > 0;
    if (flowing !== reported) report((reported = flowing));
    if (!flowing) setTimeout(() => void check(), SILENT_PEER_RECHECK_MS);
  };
  pc.addEventListener("iceconnectionstatechange", () => {
    if (armed || (pc.iceConnectionState !== "connected" && pc.iceConnectionState !== "completed")) return;
    armed = true;
    setTimeout(() => void check(), SILENT_PEER_MS);
  });
}

export function browserPeerFactory(onStreams: (streams: BrowserStreams) => void): PeerFactory {
  return async (options: PeerOptions): Promise<MediaPeer> => {
    const local = await openMedia(["audio", ...options.media.filter((m) => m === "video")]);
    const pc = new RTCPeerConnection({
      iceServers: [...options.iceServers],
      iceTransportPolicy: options.relayOnly ? "relay" : "all",
      bundlePolicy: "balanced",
    });
    const remote = new MediaStream();
    for (const track of local.getTracks()) pc.addTrack(track, local);
    pc.addEventListener("track", (event) => {
      remote.addTrack(event.track);
      onStreams({ local, remote });
    });
    pc.addEventListener("icecandidate", (event) => options.listeners.onCandidate(event.candidate ? event.candidate.toJSON() : null));
    pc.addEventListener("iceconnectionstatechange", () => options.listeners.onIceState(pc.iceConnectionState as IceState));
    watchIncomingAudio(pc, (flowing) => options.listeners.onIncomingAudio(flowing));
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
      async setSending(media: CallMedia, send: boolean) {
        // The transceiver of this kind still in use (a stopped one never comes back).
        const transceiver = pc.getTransceivers().find((t) => t.currentDirection !== "stopped" && t.direction !== "stopped" && t.receiver.track.kind === media);
        const current = local.getTracks().find((t) => t.kind === media);
        if (send) {
          const track = current ?? (await openMedia([media])).getTracks()[0];
          if (!track) return;
          if (!current) local.addTrack(track);
          if (transceiver) {
            await transceiver.sender.replaceTrack(track);
            transceiver.sender.setStreams(local);
            transceiver.direction = transceiver.direction === "recvonly" || transceiver.direction === "inactive" ? "sendrecv" : transceiver.direction;
          } else {
            // addTrack (not addTransceiver): a remote offer's new m-line of this kind takes it (JSEP §5.10).
            pc.addTrack(track, local);
          }
        } else {
          if (current) {
            current.stop();
            local.removeTrack(current);
          }
          if (!transceiver) return;
          await transceiver.sender.replaceTrack(null);
          // Never negotiated (a content-add that was refused): drop it from later offers.
          if (transceiver.mid === null) transceiver.stop();
          else transceiver.direction = transceiver.direction === "sendrecv" ? "recvonly" : transceiver.direction === "sendonly" ? "inactive" : transceiver.direction;
        }
        onStreams({ local, remote });
      },
      async restartSending(media: CallMedia) {
        const sender = pc.getSenders().find((s) => s.track?.kind === media);
        const track = sender?.track;
        if (!sender || !track) return;
        await sender.replaceTrack(null);
        await sender.replaceTrack(track);
      },
      async restartIce() {
        await pc.setLocalDescription(await pc.createOffer({ iceRestart: true }));
        return pc.localDescription?.sdp ?? "";
      },
      setIceServers(servers: readonly RTCIceServer[]) {
        pc.setConfiguration({ ...pc.getConfiguration(), iceServers: [...servers] });
      },
      async rollback() {
        if (pc.signalingState === "have-local-offer") await pc.setLocalDescription({ type: "rollback" });
      },
      close() {
        for (const track of local.getTracks()) track.stop();
        pc.close();
      },
    };
  };
}

// The MediaPeer port (call/peer.ts) on the browser: RTCPeerConnection, getUserMedia, the tracks
// the call screen shows. The only DOM-bound part of a call; the call layer never imports it.
import type { RemoteCandidate } from "../jingle/index.js";
import { MediaAccessError, type IceState, type MediaPeer, type PeerFactory, type PeerOptions } from "../call/peer.js";
import type { CallMedia } from "../call/states.js";
import type { StatRecord } from "../call/quality.js";
import { deviceName, missingText, openDevice, openMedia, swapTrack, type DeviceChoice } from "./local-media.js";
import { negotiatedHeaderExtensions, type HeaderExtensionChoice } from "./header-extensions.js";
import { offeredVideoCodecs } from "./video-codecs.js";

export interface BrowserStreams {
  local: MediaStream;
  remote: MediaStream;
  /** The peer connection's getStats() as plain records (call/quality.ts reads them); [] once closed. */
  stats(): Promise<StatRecord[]>;
  /** Switches the microphone or camera in use to this device mid-call (replaceTrack; no renegotiation). */
  useDevice(media: CallMedia, deviceId: string): Promise<void>;
  /** Whether a screen or window is sent in place of the camera. */
  readonly sharing: boolean;
  /** Sends a screen or window (getDisplayMedia) in place of the camera; the browser's "stop sharing" returns to it. */
  shareScreen(): Promise<void>;
  stopSharing(): Promise<void>;
}

/** The app's side of device handling: which devices the user chose, and where notices go. */
export interface DeviceHooks {
  choice(): DeviceChoice;
  onNotice(text: string): void;
}

async function readStats(pc: RTCPeerConnection): Promise<StatRecord[]> {
  if (pc.connectionState === "closed") return [];
  const records: StatRecord[] = [];
  (await pc.getStats()).forEach((r: StatRecord) => records.push(r));
  return records;
}


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

/**
 * The video m-lines our offer adds list only the codecs a peer can use (video-codecs.ts); the
 * ones already negotiated keep what was agreed. A browser that refuses the list offers its own.
 */
function preferOfferedVideoCodecs(pc: RTCPeerConnection): void {
  const codecs = offeredVideoCodecs(RTCRtpReceiver.getCapabilities?.("video")?.codecs ?? []);
  if (!codecs) return;
  for (const transceiver of pc.getTransceivers()) {
    if (transceiver.mid !== null || transceiver.receiver.track.kind !== "video" || typeof transceiver.setCodecPreferences !== "function") continue;
    try {
      transceiver.setCodecPreferences(codecs);
    } catch {
      // InvalidModificationError: this browser's list differs from its capabilities; its default stays.
    }
  }
}

/** webrtc-extensions §7, not yet in TypeScript's DOM types. */
type TransceiverWithHeaderExtensions = RTCRtpTransceiver & {
  getHeaderExtensionsToNegotiate?(): HeaderExtensionChoice[];
  setHeaderExtensionsToNegotiate?(extensions: HeaderExtensionChoice[]): void;
};

/**
 * The m-lines about to be negotiated for the first time (`fresh`) list only the header extensions
 * a call uses (header-extensions.ts); negotiated ones keep theirs. Chromium has the API; Firefox
 * (153) has not, and offers toffset and playout-delay among its own five.
 */
function negotiateUsedHeaderExtensions(pc: RTCPeerConnection, fresh: (transceiver: RTCRtpTransceiver) => boolean): void {
  for (const transceiver of pc.getTransceivers() as TransceiverWithHeaderExtensions[]) {
    if (!fresh(transceiver) || !transceiver.getHeaderExtensionsToNegotiate || !transceiver.setHeaderExtensionsToNegotiate) continue;
    const extensions = negotiatedHeaderExtensions(transceiver.getHeaderExtensionsToNegotiate());
    if (!extensions) continue;
    try {
      transceiver.setHeaderExtensionsToNegotiate(extensions);
    } catch {
      // InvalidModificationError: the browser refuses this list; its own stays.
    }
  }
}

/**
 * The real MediaPeer: RTCPeerConnection plus camera/microphone. `bundlePolicy: balanced`
 * because Dino bundles nothing (INTEROP), `max-bundle` only for an offer to devices that all
 * group contents (PeerOptions.bundle); remote media is built from `track` events.
 */
export function browserPeerFactory(onStreams: (streams: BrowserStreams) => void, devices: DeviceHooks = { choice: () => ({}), onNotice: () => undefined }): PeerFactory {
  return async (options: PeerOptions): Promise<MediaPeer> => {
    // The peer connection does not wait for the devices: an incoming call's offer is applied
    // while the camera starts (addTrack then takes the transceiver the offer made, JSEP §5.10).
    // No candidate pool (W3C webrtc-pc §4.4.1.4): answering right after construction (a direct
    // session-initiate) sometimes left Chromium gathering for ever with no candidate at all, and
    // its candidates surfaced no earlier than without it (≈ 115 ms after the answer, issue 16).
    const pc = new RTCPeerConnection({
      iceServers: [...options.iceServers],
      iceTransportPolicy: options.relayOnly ? "relay" : "all",
      bundlePolicy: options.bundle ? "max-bundle" : "balanced",
    });
    const local = new MediaStream();
    const remote = new MediaStream();
    /** What our user muted, also for tracks that open after the mute. */
    const muted = new Set<CallMedia>();
    const stats = () => readStats(pc);
    // A device unplugged mid-call ends its track: carry on with the default device of that kind.
    const watchEnded = (track: MediaStreamTrack) =>
      track.addEventListener("ended", () => {
        const media = track.kind as CallMedia;
        if (pc.connectionState === "closed" || !local.getTracks().includes(track)) return;
        void openDevice(media, {})
          .then(async (fresh) => {
            watchEnded(fresh);
            await swapTrack(pc, local, fresh);
            devices.onNotice(`Your ${deviceName(media)} was disconnected: using the default ${deviceName(media)}.`);
            onStreams(streams());
          })
          .catch(() => devices.onNotice(`Your ${deviceName(media)} was disconnected, and no other could be opened.`));
      });
    const useDevice = async (media: CallMedia, deviceId: string) => {
      // Camera off (never opened or stopped): the choice applies when it is turned on.
      // Sharing the screen: the chosen camera comes back when sharing stops.
      if (pc.connectionState === "closed" || !local.getTracks().some((t) => t.kind === media) || (media === "video" && screen)) return;
      const track = await openDevice(media, { [media === "audio" ? "audioinput" : "videoinput"]: deviceId });
      watchEnded(track);
      await swapTrack(pc, local, track);
      onStreams(streams());
    };
    // Screen sharing is a track swap on the camera's sender: the peer sees video, nothing is
    // signalled (no Jingle for it; README "Screen sharing").
    let screen: MediaStreamTrack | undefined;
    const streams = (): BrowserStreams => ({ local, remote, stats, useDevice, get sharing() { return screen !== undefined; }, shareScreen, stopSharing });
    const stopSharing = async () => {
      if (!screen) return;
      screen = undefined;
      if (pc.connectionState === "closed") return;
      const camera = await openDevice("video", devices.choice()).catch(() => openDevice("video", {}));
      watchEnded(camera);
      await swapTrack(pc, local, camera);
      onStreams(streams());
    };
    const shareScreen = async () => {
      if (screen || !local.getVideoTracks()[0]) return;
      const track = (await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false })).getVideoTracks()[0];
      if (!track) return;
      track.addEventListener("ended", () => void (screen === track && stopSharing()));
      screen = track;
      await swapTrack(pc, local, track);
      onStreams(streams());
    };
    /** Devices opening for a setSending(…, true) to come (prepareSending), by kind; undefined: it could not be opened. */
    const prepared = new Map<CallMedia, Promise<MediaStreamTrack | undefined>>();
    const takePrepared = (media: CallMedia) => {
      const track = prepared.get(media);
      prepared.delete(media);
      return track;
    };
    /** A device opened early that will not be used: stopped once it has opened. */
    const releasePrepared = (media: CallMedia) => void takePrepared(media)?.then((track) => track?.stop());
    const kinds: CallMedia[] = ["audio", ...options.media.filter((m) => m === "video")];
    /**
     * Transceivers our answer already declared as sending, before the devices were open: their
     * tracks follow with replaceTrack, which needs no renegotiation (addTrack reuses only a
     * transceiver that has never sent, webrtc-pc §5.1: once answered as sending, it would add one).
     */
    const answeredBeforeOpen = new Map<string, RTCRtpTransceiver>();
    let devicesSettled = false;
    const opening = openMedia(kinds, devices.choice()).then(async (opened) => {
      devicesSettled = true;
      const tracks = opened.stream.getTracks();
      if (pc.connectionState === "closed") return tracks.forEach((t) => t.stop());
      if (opened.missing.length > 0) devices.onNotice(missingText(opened.missing));
      for (const track of tracks) {
        track.enabled = !muted.has(track.kind as CallMedia);
        local.addTrack(track);
        watchEnded(track);
        const transceiver = answeredBeforeOpen.get(track.kind);
        if (transceiver) await transceiver.sender.replaceTrack(track);
        else pc.addTrack(track, local);
      }
      onStreams(streams());
    }, (error: unknown) => {
      devicesSettled = true;
      throw error;
    });
    /**
     * Our answer does not wait for the camera (≈ 70 ms, more at a permission prompt): the offer's
     * first transceiver of each kind we send is set to send our stream now, so the answer says so
     * (JSEP §5.3.1: the answer's direction is the transceiver's, narrowed by the offer's), and the
     * devices' tracks take those senders when they open, while ICE and DTLS connect.
     */
    const sendBeforeOpen = () => {
      for (const kind of kinds) {
        const transceiver = pc.getTransceivers().find((t) => t.mid !== null && t.receiver.track.kind === kind && !t.sender.track && t.direction !== "stopped");
        if (!transceiver) continue;
        transceiver.direction = "sendrecv";
        transceiver.sender.setStreams(local);
        answeredBeforeOpen.set(kind, transceiver);
      }
    };
    /**
     * A sender already says it sends `media` (an offer or answer made before the device opened):
     * the device opens, and its track takes the sender of that kind still waiting for one, unless
     * setSending (which then attaches it itself) or close() took it meanwhile. Resolved when it
     * opens, not before: a crossing content-add may have moved the sending to another m-line.
     */
    const attachWhenOpen = (media: CallMedia) => {
      let reason: MediaAccessError["reason"] = "unavailable";
      const opening = prepared.get(media) ?? openMedia([media], devices.choice()).then(({ stream }) => stream.getTracks()[0], (error: unknown) => {
        if (error instanceof MediaAccessError) reason = error.reason;
        return undefined;
      });
      prepared.set(media, opening);
      void opening.then(async (track) => {
        if (prepared.get(media) !== opening) return;
        prepared.delete(media);
        if (!track) return devices.onNotice(missingText([{ media, reason }]));
        const transceiver = pc.getTransceivers().find((t) => t.receiver.track.kind === media && !t.sender.track && t.currentDirection !== "stopped" && (t.direction === "sendrecv" || t.direction === "sendonly"));
        if (pc.connectionState === "closed" || !transceiver) return track.stop();
        track.enabled = !muted.has(media);
        watchEnded(track);
        local.addTrack(track);
        await transceiver.sender.replaceTrack(track);
        onStreams(streams());
      }).catch(() => undefined); // replaceTrack on a connection closed meanwhile: nothing left to send on
    };
    /**
     * `transceiver` sends our stream of `media`: the track we have, or the device's once it opens.
     * Transceivers of that kind never negotiated (ours, left by a crossing offer rolled back) go:
     * a later offer would add them as new m-lines.
     */
    const sendOn = (transceiver: RTCRtpTransceiver, media: CallMedia) => {
      for (const t of pc.getTransceivers()) if (t !== transceiver && t.mid === null && t.receiver.track.kind === media && t.currentDirection !== "stopped") t.stop();
      if (transceiver.direction === "recvonly" || transceiver.direction === "inactive") transceiver.direction = "sendrecv";
      transceiver.sender.setStreams(local);
      const current = local.getTracks().find((t) => t.kind === media);
      if (current) {
        if (transceiver.sender.track !== current) void transceiver.sender.replaceTrack(current).catch(() => undefined);
      } else if (!transceiver.sender.track) {
        attachWhenOpen(media);
      }
    };
    pc.addEventListener("track", (event) => {
      remote.addTrack(event.track);
      onStreams(streams());
    });
    pc.addEventListener("icecandidate", (event) => options.listeners.onCandidate(event.candidate ? event.candidate.toJSON() : null));
    pc.addEventListener("iceconnectionstatechange", () => options.listeners.onIceState(pc.iceConnectionState as IceState));
    watchIncomingAudio(pc, (flowing) => options.listeners.onIncomingAudio(flowing));
    onStreams(streams());
    return {
      media: opening,
      async offer() {
        await opening;
        // Video proposed but the camera was refused: the offer still carries the video m-line
        // (XEP-0353: the media of session-initiate must equal the proposal's), sending nothing.
        if (options.media.includes("video") && !pc.getTransceivers().some((t) => t.receiver.track.kind === "video")) pc.addTransceiver("video", { direction: "sendrecv", streams: [local] });
        preferOfferedVideoCodecs(pc);
        negotiateUsedHeaderExtensions(pc, (t) => t.mid === null);
        await pc.setLocalDescription(await pc.createOffer());
        return pc.localDescription?.sdp ?? "";
      },
      async answer(remoteOffer: string, answerOptions: { send?: CallMedia } = {}) {
        await pc.setRemoteDescription({ type: "offer", sdp: remoteOffer });
        if (devicesSettled) await opening;
        else sendBeforeOpen();
        const send = answerOptions.send;
        // The offer's m-line of that kind (the one it adds) sends; the device follows.
        const added = send && pc.getTransceivers().find((t) => t.mid !== null && t.receiver.track.kind === send && t.currentDirection !== "stopped" && t.direction !== "stopped");
        if (send && added) sendOn(added, send);
        negotiateUsedHeaderExtensions(pc, (t) => t.currentDirection === null);
        await pc.setLocalDescription(await pc.createAnswer());
        return pc.localDescription?.sdp ?? "";
      },
      async applyAnswer(remoteAnswer: string) {
        await pc.setRemoteDescription({ type: "answer", sdp: remoteAnswer });
      },
      async addCandidate(candidate: RemoteCandidate) {
        await pc.addIceCandidate(candidate);
      },
      setMuted(kind: CallMedia, mute: boolean) {
        if (mute) muted.add(kind);
        else muted.delete(kind);
        for (const track of local.getTracks()) if (track.kind === kind) track.enabled = !mute;
      },
      async setSending(media: CallMedia, send: boolean) {
        // The transceiver of this kind still in use (a stopped one never comes back).
        const transceiver = pc.getTransceivers().find((t) => t.currentDirection !== "stopped" && t.direction !== "stopped" && t.receiver.track.kind === media);
        const current = local.getTracks().find((t) => t.kind === media);
        if (send) {
          // A device that failed to open early is asked again here, so its error reaches the caller;
          // one opened early beside a track already sending is released.
          if (current) releasePrepared(media);
          const track = current ?? (await takePrepared(media)) ?? (await openMedia([media], devices.choice())).stream.getTracks()[0];
          if (!track) return;
          if (pc.connectionState === "closed") return track.stop();
          if (!current) watchEnded(track);
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
          releasePrepared(media);
          // Camera off while sharing the screen: the shared track is the one stopped, and sharing ends with it.
          if (media === "video") screen = undefined;
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
        onStreams(streams());
      },
      startSending(media: CallMedia) {
        if (pc.connectionState === "closed") return;
        const inUse = pc.getTransceivers().find((t) => t.currentDirection !== "stopped" && t.direction !== "stopped" && t.receiver.track.kind === media);
        sendOn(inUse ?? pc.addTransceiver(media, { direction: "sendrecv", streams: [local] }), media);
      },
      prepareSending(media: CallMedia) {
        if (prepared.has(media) || pc.connectionState === "closed" || local.getTracks().some((t) => t.kind === media)) return;
        // Whoever takes it stops the track if it is not used: setSending(…, false) and close().
        prepared.set(media, openMedia([media], devices.choice()).then(({ stream }) => stream.getTracks()[0], () => undefined));
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
        for (const media of [...prepared.keys()]) releasePrepared(media);
        for (const track of local.getTracks()) track.stop();
        pc.close();
      },
    };
  };
}

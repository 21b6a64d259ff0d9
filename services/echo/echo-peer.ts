// The MediaPeer port (client/src/call/peer.ts) on the server, with werift (a WebRTC stack in
// TypeScript): no camera or microphone, but a mirror. Every RTP packet the caller sends comes back
// on the matching outgoing track of the same m-line after a fixed delay, so the caller hears and
// sees themselves through the real path: ICE (and TURN), DTLS-SRTP, the codecs they negotiated.
import {
  MediaStreamTrack,
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtcpPayloadSpecificFeedback,
  useNACK,
  usePLI,
  type RTCRtpTransceiver,
  type RtcpPacket,
  type RtpPacket,
} from "werift";
import type { IceState, MediaPeer, PeerFactory, PeerOptions } from "../../client/src/call/peer.js";
import type { CallMedia } from "../../client/src/call/states.js";
import type { RemoteCandidate } from "../../client/src/jingle/index.js";
import { DelayLine } from "./delay-line.js";

export interface EchoPeerSettings {
  delayMs: number;
  /**
   * Host addresses to offer as ICE candidates, and to bind to. Empty: every interface werift
   * finds (a server's public address). The local deployment gives 127.0.0.1 only: what it
   * starts listens on loopback.
   */
  hostAddresses: readonly string[];
  /** What the peer reports (ICE states, packets echoed): the service's log. */
  log?: (line: string) => void;
}

/**
 * One codec per kind, so what we receive is what we may send back unchanged: werift's sender
 * stamps its one send codec's payload type on every packet, and Opus and VP8 are the codecs every
 * WebRTC peer has (RFC 7874, RFC 7742). No RTX, RED or FEC: the answer leaves them out, so the
 * caller sends none of them. Feedback: NACK (werift retransmits from its cache) and PLI, which we
 * pass on to the caller so key frames come when the caller's own decoder asks for one.
 */
export function echoCodecs(): { audio: RTCRtpCodecParameters[]; video: RTCRtpCodecParameters[] } {
  return {
    audio: [new RTCRtpCodecParameters({ mimeType: "audio/opus", clockRate: 48_000, channels: 2 })],
    video: [new RTCRtpCodecParameters({ mimeType: "video/VP8", clockRate: 90_000, rtcpFeedback: [useNACK(), usePLI()] })],
  };
}

/** RTCP payload-specific feedback formats (RFC 4585 §6.3.1 PLI, RFC 5104 §4.3.1 FIR): both ask for a key frame. */
const PLI_FMT = 1;
const FIR_FMT = 4;

export function asksForKeyFrame(packet: RtcpPacket): boolean {
  if (packet.type !== RtcpPayloadSpecificFeedback.type) return false;
  // werift leaves `feedback` undefined for a format it does not know (e.g. application layer feedback).
  const count = (packet as Partial<RtcpPayloadSpecificFeedback>).feedback?.count;
  return count === PLI_FMT || count === FIR_FMT;
}

/** Packets held per track at most (see DelayLine): ~4 s of a 2.5 Mbit/s video. */
const MAX_HELD_PACKETS = 1_000;

/** One m-line's mirror: what its receiver gets goes, delayed, to its sender. */
class Mirror {
  readonly #line: DelayLine<RtpPacket>;
  readonly #source: MediaStreamTrack;
  readonly #transceiver: RTCRtpTransceiver;
  #remoteSsrc: number | undefined;
  readonly #tracks = new Set<MediaStreamTrack>();
  #sending = true;
  #unsubscribe: Array<() => void> = [];

  constructor(transceiver: RTCRtpTransceiver, delayMs: number) {
    this.#transceiver = transceiver;
    this.#source = new MediaStreamTrack({ kind: transceiver.kind });
    this.#line = new DelayLine<RtpPacket>({ delayMs, maxPackets: MAX_HELD_PACKETS }, (packet) => {
      if (this.#sending) this.#source.writeRtp(packet);
    });
    void transceiver.sender.replaceTrack(this.#source);
    // The caller's decoder wants a key frame (it joined late, lost packets): only the caller's
    // encoder can make one, so ask it; the frame comes back after the delay.
    this.#unsubscribe.push(transceiver.sender.onRtcp.subscribe((packet) => {
      if (asksForKeyFrame(packet)) this.requestKeyFrame();
    }).unSubscribe);
    // werift announces remote tracks while it applies the remote offer, before we see the
    // transceiver: take those it already has, then any that come later.
    for (const track of transceiver.receiver.tracks) this.#receive(track);
    this.#unsubscribe.push(transceiver.onTrack.subscribe((track) => this.#receive(track)).unSubscribe);
  }

  get kind(): string {
    return this.#transceiver.kind;
  }

  #receive(track: MediaStreamTrack) {
    if (this.#tracks.has(track)) return;
    this.#tracks.add(track);
    this.#remoteSsrc = track.ssrc;
    this.#unsubscribe.push(track.onReceiveRtp.subscribe((packet) => {
      this.#remoteSsrc = packet.header.ssrc;
      this.#line.push(packet);
    }).unSubscribe);
  }

  get receiving(): boolean {
    return this.#remoteSsrc !== undefined;
  }

  setSending(send: boolean) {
    this.#sending = send;
  }

  requestKeyFrame() {
    if (this.#remoteSsrc === undefined || this.#transceiver.kind !== "video") return;
    this.#transceiver.receiver.sendRtcpPLI(this.#remoteSsrc).catch(() => undefined);
  }

  close() {
    for (const stop of this.#unsubscribe) stop();
    this.#unsubscribe = [];
    this.#line.close();
  }
}

/** RTCIceServer as the call layer hands it (XEP-0215), in werift's shape. */
function toWeriftServers(servers: readonly RTCIceServer[]) {
  return servers.map((s) => ({ urls: s.urls, username: s.username, credential: s.credential }));
}

export function echoPeerFactory(settings: EchoPeerSettings): PeerFactory {
  return async (options: PeerOptions): Promise<MediaPeer> => {
    const log = settings.log ?? (() => undefined);
    const loopbackOnly = settings.hostAddresses.length > 0;
    const pc = new RTCPeerConnection({
      iceServers: toWeriftServers(options.iceServers),
      iceTransportPolicy: options.relayOnly ? "relay" : "all",
      codecs: echoCodecs(),
      // The addresses to use, exactly: werift otherwise offers every non-loopback interface.
      ...(loopbackOnly
        ? { iceUseIpv4: false, iceUseIpv6: false, iceAdditionalHostAddresses: [...settings.hostAddresses], iceInterfaceAddresses: { udp4: settings.hostAddresses.find((a) => a.includes(".")) } }
        : {}),
      iceUseTcp: false,
    });
    const mirrors = new Map<RTCRtpTransceiver, Mirror>();
    const sending = new Set<CallMedia>(["audio", "video"]);
    let audioReported = false;
    /** Every m-line of the remote offer is answered sendrecv (werift narrows it to what the offer allows) and mirrored. */
    const mirrorAll = () => {
      for (const t of pc.getTransceivers()) {
        if (mirrors.has(t) || t.stopped) continue;
        t.setDirection("sendrecv");
        const mirror = new Mirror(t, settings.delayMs);
        mirror.setSending(sending.has(t.kind as CallMedia));
        mirrors.set(t, mirror);
        const announce = (track: MediaStreamTrack) => {
          log(`receiving ${t.kind} (mid ${t.mid ?? "?"})`);
          if (t.kind === "audio" && !audioReported) {
            audioReported = true;
            track.onReceiveRtp.once(() => options.listeners.onIncomingAudio(true));
          }
        };
        const announced = new Set<MediaStreamTrack>();
        const once = (track: MediaStreamTrack) => announced.has(track) || (announced.add(track), announce(track));
        for (const track of t.receiver.tracks) once(track);
        t.onTrack.subscribe(once);
      }
    };
    pc.onIceCandidate.subscribe((candidate) => options.listeners.onCandidate(candidate ? candidate.toJSON() : null));
    let checked = false;
    pc.iceConnectionStateChange.subscribe((state) => {
      // werift 0.25.2 reports "completed" once as soon as it has gathered, before any check (seen
      // live: completed → checking → connected): that is no media path, so the call is not told.
      if (state === "completed" && !checked) return;
      if (state === "checking" || state === "connected") checked = true;
      log(`ICE ${state}`);
      options.listeners.onIceState(state as IceState);
    });
    const localSdp = () => pc.localDescription?.sdp ?? "";
    return {
      async offer() {
        // Only an ICE restart or our own renegotiation makes us offer; the echo adds no media itself.
        await pc.setLocalDescription(await pc.createOffer());
        return localSdp();
      },
      async answer(remoteOffer: string, answerOptions: { send?: CallMedia } = {}) {
        if (answerOptions.send) sending.add(answerOptions.send);
        await pc.setRemoteDescription({ type: "offer", sdp: remoteOffer });
        mirrorAll();
        await pc.setLocalDescription(await pc.createAnswer());
        return localSdp();
      },
      async applyAnswer(remoteAnswer: string) {
        await pc.setRemoteDescription({ type: "answer", sdp: remoteAnswer });
      },
      async addCandidate(candidate: RemoteCandidate) {
        await pc.addIceCandidate({
          candidate: candidate.candidate,
          sdpMid: candidate.sdpMid,
          sdpMLineIndex: candidate.sdpMLineIndex ?? undefined,
          usernameFragment: candidate.usernameFragment ?? undefined,
        });
      },
      setMuted() {
        // The echo has nothing of its own to mute.
      },
      async setSending(media: CallMedia, send: boolean) {
        if (send) sending.add(media);
        else sending.delete(media);
        for (const mirror of mirrors.values()) if (mirror.kind === media) mirror.setSending(send);
      },
      startSending(media: CallMedia) {
        sending.add(media);
        for (const mirror of mirrors.values()) if (mirror.kind === media) mirror.setSending(true);
      },
      prepareSending() {
        // No device to open: the echo sends what it receives.
      },
      async restartSending(media: CallMedia) {
        // What we send is the caller's own stream: a fresh start means a key frame from the caller.
        if (media === "video") for (const mirror of mirrors.values()) mirror.requestKeyFrame();
      },
      async restartIce() {
        pc.restartIce();
        await pc.setLocalDescription(await pc.createOffer());
        return localSdp();
      },
      setIceServers(servers: readonly RTCIceServer[]) {
        pc.setConfiguration({ ...pc.getConfiguration(), iceServers: toWeriftServers(servers) });
      },
      async rollback() {
        if (pc.signalingState === "have-local-offer") await pc.setLocalDescription({ type: "rollback" });
      },
      close() {
        for (const mirror of mirrors.values()) mirror.close();
        mirrors.clear();
        void pc.close();
      },
    };
  };
}

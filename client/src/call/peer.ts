import type { IceCandidateInit, RemoteCandidate } from "../jingle/index.js";
import type { CallMedia } from "./states.js";

/** RTCIceConnectionState, restated so the call layer needs no DOM types. */
export type IceState = "new" | "checking" | "connected" | "completed" | "disconnected" | "failed" | "closed";

export interface PeerListeners {
  /** A local candidate (null: gathering complete). */
  onCandidate(candidate: IceCandidateInit | null): void;
  onIceState(state: IceState): void;
  /**
   * Whether the peer's audio arrives, checked a few seconds after ICE connects and then until it
   * does: Dino 0.4.2 sometimes never starts sending its microphone (docs/interop.md).
   */
  onIncomingAudio(flowing: boolean): void;
}

/**
 * The platform behind a port (as mediasoup-client's HandlerInterface): what a call needs
 * from a peer connection plus local media. The browser implements it with RTCPeerConnection
 * (platform/peer-browser.ts); unit tests use a fake and run whole flows in Node.
 */
export interface MediaPeer {
  /**
   * Settles when our camera and microphone are open (the peer connection exists before): a
   * MediaAccessError when none could be. offer() waits for it; answer() need not (the tracks
   * may take the answered senders when they open).
   */
  readonly media?: Promise<void>;
  /** Creates the offer, applies it locally, returns its SDP (without waiting for candidates). */
  offer(): Promise<string>;
  /**
   * Applies the remote offer, creates and applies the answer, returns its SDP. `send`: the offer
   * adds this medium and our user accepted sending it (content-accept): the answer says we send
   * at once, and the device's track takes the sender when it opens, so the peer's video does not
   * wait for our camera (a device that cannot open is told as a notice, as at the call's start).
   */
  answer(remoteOffer: string, options?: { send?: CallMedia }): Promise<string>;
  applyAnswer(remoteAnswer: string): Promise<void>;
  addCandidate(candidate: RemoteCandidate): Promise<void>;
  /** Stops sending the microphone's or camera's track (the m-line stays, so no renegotiation). */
  setMuted(media: CallMedia, muted: boolean): void;
  /**
   * Renegotiation (XEP-0166 content-add / content-modify): starts or stops sending `media`,
   * opening the camera on first use and closing it when stopped. Takes effect with the next
   * offer()/answer(); a track added before a remote offer is used for that offer's new m-line.
   */
  setSending(media: CallMedia, send: boolean): Promise<void>;
  /**
   * setSending(media, true) without waiting for the device (content-add): the next offer says we
   * send, and the device's track takes the sender when it opens, so its start-up (a real camera's
   * fraction of a second, a permission prompt) overlaps the peer's answer. A device that cannot
   * open is told as a notice, as at the call's start.
   */
  startSending(media: CallMedia): void;
  /**
   * Starts opening the device of `media` for the setSending(media, true) that follows, so the
   * device starts while the peer acknowledges our content-modify. Sends nothing; a later
   * setSending(media, false) or close() releases the device.
   */
  prepareSending(media: CallMedia): void;
  /**
   * Starts sending `media` afresh, so the encoder begins with a key frame: after the peer took a
   * change that lets it receive again, whose first frames it may have dropped before it was ready.
   */
  restartSending(media: CallMedia): Promise<void>;
  /**
   * ICE restart (RFC 8445 §9): new local ufrag/pwd and a new gathering; creates and applies the
   * offer and returns its SDP. The DTLS association and the media stay as they are.
   */
  restartIce(): Promise<string>;
  /** STUN/TURN servers for the next gathering (an ICE restart), e.g. with fresh TURN credentials. */
  setIceServers(servers: readonly RTCIceServer[]): void;
  /** Drops a local offer the peer did not take (content-reject, tie-break): back to the last stable state. */
  rollback(): Promise<void>;
  close(): void;
}

export interface PeerOptions {
  iceServers: readonly RTCIceServer[];
  /** iceTransportPolicy 'relay': hides our addresses, forces TURN. */
  relayOnly: boolean;
  media: readonly CallMedia[];
  /**
   * The peer groups contents on one transport (XEP-0338 BUNDLE): gather for one transport only
   * (bundlePolicy max-bundle), half the candidates and no second transport to tear down at the
   * answer. Only for an offer to devices that all advertise grouping; Dino does not bundle.
   */
  bundle: boolean;
  listeners: PeerListeners;
}

export type PeerFactory = (options: PeerOptions) => Promise<MediaPeer>;

/** Camera/microphone could not be opened (denied, missing, busy). */
export class MediaAccessError extends Error {
  override readonly name = "MediaAccessError";
  constructor(readonly reason: "denied" | "not-found" | "unavailable", options?: { cause?: unknown }) {
    super(
      reason === "denied"
        ? "Camera or microphone access was denied. Allow it in the browser's site settings and try again."
        : reason === "not-found"
          ? "No camera or microphone was found."
          : "The camera or microphone could not be started (is another application using it?).",
      options,
    );
  }
}

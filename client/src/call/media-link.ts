// The call's media path: the peer connection behind the MediaPeer port, opened once, what our
// user muted, how ICE is doing and whether the peer's audio arrives. The session decides what
// the ICE states mean for the call; this module keeps them and hands remote candidates to the
// browser once their content is known (NegotiationState.admitRemote).
import type { IceCandidateInit, RemoteCandidate } from "../jingle/index.js";
import type { NegotiationState } from "./negotiation.js";
import type { IceState, MediaPeer, PeerFactory } from "./peer.js";
import type { CallMedia } from "./states.js";

export interface MediaLinkOptions {
  readonly negotiation: NegotiationState;
  readonly media: readonly CallMedia[];
  readonly createPeer: PeerFactory;
  /** STUN/TURN servers as of now. */
  iceServers(): readonly RTCIceServer[];
  readonly relayOnly: boolean;
  /** Our offer goes to devices that all bundle (PeerOptions.bundle). */
  readonly bundle: boolean;
}

/** What the media link tells its call (CallSession implements it). */
export interface MediaLinkPort {
  ended(): boolean;
  /** A local candidate (null: gathering complete), for the trickle. */
  candidate(candidate: IceCandidateInit | null): void;
  iceChanged(state: IceState): void;
  /** Whether the peer's audio arrives changed (see `silenceNotice`). */
  silenceChanged(): void;
  /**
   * The peer connection or the local media could not be opened (failed-application), or ICE did
   * not connect in the time connectWithin gave it (connectivity-error).
   */
  failed(problem: string, reason?: "failed-application" | "connectivity-error"): void;
}

export class MediaLink {
  readonly #o: MediaLinkOptions;
  readonly #port: MediaLinkPort;
  #peer: Promise<MediaPeer> | undefined;
  readonly #muted = new Set<CallMedia>();
  #iceState: IceState = "new";
  #connectedAt: number | undefined;
  /** The peer's audio does not arrive although ICE is connected (see PeerListeners.onIncomingAudio). */
  #silent = false;
  /** Runs until ICE first connects (connectWithin). */
  #connectTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: MediaLinkOptions, port: MediaLinkPort) {
    this.#o = options;
    this.#port = port;
  }

  get iceState(): IceState {
    return this.#iceState;
  }
  get connectedAt(): number | undefined {
    return this.#connectedAt;
  }
  isMuted(media: CallMedia): boolean {
    return this.#muted.has(media);
  }
  /** Says so when the peer's audio does not arrive, unless the peer said it muted (XEP-0167 §7.2.5). */
  silenceNotice(peerMuted: boolean): string {
    return this.#silent && !peerMuted ? "No sound is arriving from the other side. If it stays silent, hang up and call again." : "";
  }

  /** Opens the peer connection and local media, once; `withCamera` false starts a video call with the camera off. */
  start(withCamera: boolean): Promise<MediaPeer> {
    if (this.#peer) return this.#peer;
    const { media } = this.#o;
    this.#peer = this.#o.createPeer({
      iceServers: this.#o.iceServers(),
      relayOnly: this.#o.relayOnly,
      bundle: this.#o.bundle,
      media,
      listeners: {
        onCandidate: (c) => this.#port.candidate(c),
        onIceState: (s) => this.#onIceState(s),
        onIncomingAudio: (flowing) => {
          this.#silent = !flowing;
          this.#port.silenceChanged();
        },
      },
    });
    const failed = (error: unknown) => this.#port.failed(error instanceof Error ? error.message : String(error));
    this.#peer.then(
      (peer) => {
        peer.media?.catch(failed);
        if (!withCamera && media.includes("video")) {
          this.#muted.add("video");
          peer.setMuted("video", true);
        }
        if (this.#port.ended()) peer.close();
      },
      failed,
    );
    return this.#peer;
  }

  async require(): Promise<MediaPeer> {
    if (!this.#peer) throw new Error("no peer connection");
    return this.#peer;
  }

  /** Mutes or unmutes our microphone or camera (the track stops; the m-line stays). */
  async setMuted(media: CallMedia, muted: boolean): Promise<void> {
    if (muted) this.#muted.add(media);
    else this.#muted.delete(media);
    (await this.#peer)?.setMuted(media, muted);
  }

  /** Adds remote candidates whose content the browser knows; the others wait for their description. */
  async addCandidates(candidates: readonly RemoteCandidate[]): Promise<void> {
    const ready = this.#o.negotiation.admitRemote(candidates);
    if (ready.length === 0) return;
    const peer = await this.require();
    // A candidate the browser refuses (a stale generation, an address it cannot use) is one path fewer, not an error.
    for (const c of ready) await peer.addCandidate(c).catch(() => undefined);
  }

  /** Adds the remote candidates that arrived before the description of their content, now applied. */
  async addEarlyCandidates(): Promise<void> {
    await this.addCandidates([]);
  }

  /**
   * The session is agreed: ICE must connect for the first time within `ms`, or the call fails
   * with connectivity-error. The browser says "failed" by itself once every pair failed, but not
   * while it has nothing to check (no candidate from the peer, a gathering that stalled). Armed once.
   */
  connectWithin(ms: number): void {
    if (this.#connectTimer !== undefined || this.#connectedAt !== undefined) return;
    this.#connectTimer = setTimeout(() => {
      if (!this.#port.ended() && this.#connectedAt === undefined) this.#port.failed("The call could not connect: no network path to the other side was found.", "connectivity-error");
    }, ms);
  }

  close(): void {
    clearTimeout(this.#connectTimer);
    void this.#peer?.then((p) => p.close(), () => undefined);
  }

  #onIceState(state: IceState) {
    this.#iceState = state;
    if ((state === "connected" || state === "completed") && this.#connectedAt === undefined) {
      this.#connectedAt = Date.now();
      clearTimeout(this.#connectTimer);
    }
    this.#port.iceChanged(state);
  }
}

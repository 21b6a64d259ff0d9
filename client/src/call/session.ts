import type { JingleBody, JingleRequest, OutgoingJingle, RemoteCandidate } from "../jingle/index.js";
import { bareJid } from "../xmpp/connection.js";
import { TypedEmitter } from "../xmpp/emitter.js";
import type { JmiMessage } from "../xmpp/jmi.js";
import { Ending } from "./ending.js";
import { IceRestart } from "./ice-restart.js";
import { InfoMessages } from "./info-messages.js";
import { JingleErrors } from "./jingle-errors.js";
import { LocalTrickle } from "./local-trickle.js";
import { MediaLink } from "./media-link.js";
import { NegotiationState } from "./negotiation.js";
import { OfferAnswer } from "./offer-answer.js";
import { sendWhilePeerAway } from "./peer-away.js";
import type { IceState } from "./peer.js";
import { RemoteReader } from "./remote-reader.js";
import { Renegotiation, type VideoState } from "./renegotiation.js";
import { Ringing } from "./ringing.js";
import { DEFAULT_TIMEOUTS, type CallEvents, type CallSessionOptions, type CallSignaling, type CallTimeouts } from "./session-options.js";
import { acceptsJingle, ANSWERED, canTransition, InvalidTransitionError, isJingleAction, isTerminal, RINGING_OUT } from "./states.js";
import type { CallDirection, CallMedia, CallState, JingleReason } from "./states.js";

export { DEFAULT_TIMEOUTS, type CallEvents, type CallSessionOptions, type CallSignaling, type CallTimeouts } from "./session-options.js";
export type { VideoState } from "./renegotiation.js";

/**
 * One call, from ringing (XEP-0353) to the end of its Jingle RTP session (XEP-0166/0167).
 * `#transition()` is the only place that changes state; Jingle work runs one action at a time on
 * `#queue`, so a transport-info waits for the description it belongs to. The session checks and
 * routes; its parts decide, each through a small port: ringing, offer-answer, info-messages,
 * renegotiation, ice-restart and ending; media-link holds the peer connection.
 */
export class CallSession extends TypedEmitter<CallEvents> {
  readonly id: string;
  readonly direction: CallDirection;
  readonly media: readonly CallMedia[];
  readonly startedAt = Date.now();
  #state: CallState;
  #peerJid: string;
  #reason: JingleReason | undefined;
  #problem = "";
  #endedAt: number | undefined;
  /** session-accept is done (sent or received): the peer is a device in a session with us. */
  #established = false;
  #queue: Promise<void> = Promise.resolve();
  readonly #signaling: CallSignaling;
  readonly #timeouts: CallTimeouts;
  /** What was agreed with the peer and the candidates waiting on either side. */
  readonly #n: NegotiationState;
  readonly #read: RemoteReader;
  readonly #trickle: LocalTrickle;
  readonly #link: MediaLink;
  readonly #ringing: Ringing;
  readonly #offerAnswer: OfferAnswer;
  readonly #info: InfoMessages;
  readonly #renegotiation: Renegotiation;
  readonly #iceRestart: IceRestart;
  readonly #ending: Ending;

  constructor(options: CallSessionOptions) {
    super();
    this.id = options.id;
    this.direction = options.direction;
    this.media = options.media;
    this.#peerJid = options.peer;
    this.#signaling = options.signaling;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#state = options.direction === "outgoing" ? (options.direct ? "initiating" : "proposed") : options.initiate ? "incoming-session" : "incoming";
    const role = options.direction === "outgoing" ? "initiator" : "responder";
    this.#n = new NegotiationState({ role, sid: this.id, onSendable: () => this.#trickle.schedule(), onAgreed: () => this.#iceRestart.remoteChanged() });
    this.#read = new RemoteReader(this.#n, (reason, problem) => this.#fail(reason, problem));
    const core = this.#core();
    this.#trickle = new LocalTrickle({ ...core, batchMs: this.#timeouts.trickleBatchMs, send: core.sendJingle, failed: (e) => core.iqFailed("transport-info", e) });
    const { createPeer, iceServers, relayOnly = false } = options;
    const bundle = options.direction === "outgoing" && options.bundle === true;
    this.#link = new MediaLink({ negotiation: this.#n, media: this.media, createPeer, iceServers, relayOnly, bundle }, {
      ...core,
      candidate: (c) => this.#trickle.onCandidate(c),
      iceChanged: (state) => this.#onIceState(state),
      silenceChanged: () => this.emit("notice", this.notice),
      failed: (problem, reason = "failed-application") => this.#failNow(problem, reason),
    });
    this.#ringing = new Ringing({
      ...core,
      sendJmi: (to, message) => this.#signaling.sendJmi(to, message),
      ringInSession: () => this.#info.ringing(),
      terminate: (reason) => void this.#ending.terminate(reason, "finished"),
      proceeded: (device) => this.#proceeded(device),
    }, !options.initiate && !options.direct);
    const parts = { negotiation: this.#n, trickle: this.#trickle, reader: this.#read, link: this.#link };
    const sharedFeedback = options.direction === "outgoing" && options.sharedFeedback === true;
    this.#offerAnswer = new OfferAnswer({ ...core, sharedFeedback, send: (jingle) => this.#signaling.sendJingle(this.#peerJid, jingle) }, parts, options.initiate);
    this.#info = new InfoMessages({ ...core, signalled: () => this.#trickle.isSignalled, remoteMute: (muted) => this.emit("remoteMute", muted) });
    [this.#renegotiation, this.#iceRestart] = this.#midCall(iceServers);
    this.#ending = new Ending(core, this.#ringing);
  }

  /** The parts that change an established call: its contents (renegotiation.ts) and its ICE generation (ice-restart.ts). */
  #midCall(iceServers: () => readonly RTCIceServer[]): [Renegotiation, IceRestart] {
    const core = this.#core();
    const renegotiation = new Renegotiation({
      ...core,
      readSession: (request) => this.#read.session(request, false),
      readCandidatesOf: (session) => this.#read.inlineIn(session),
      candidatesFor: (names) => this.#trickle.placed(this.#n.takeLocal(names)),
      emitVideo: (state) => this.emit("video", state),
    });
    const iceRestart = new IceRestart({
      ...core,
      connectedOnce: () => this.#link.connectedAt !== undefined,
      negotiating: () => renegotiation.video.request !== undefined,
      iceServers,
      recovering: (lost) => this.emit("recovering", lost),
      giveUp: () => this.#failNow("The connection to the other side was lost and could not be restored.", "connectivity-error"),
    });
    return [renegotiation, iceRestart];
  }

  /** What the call's parts may ask of it; each part's port takes the few it needs. */
  #core() {
    return {
      id: this.id,
      media: this.media,
      timeouts: this.#timeouts,
      negotiation: this.#n,
      state: () => this.#state,
      ended: () => this.ended,
      active: () => this.#state === "active",
      peer: () => this.#peerJid,
      ownJid: () => this.#signaling.jid,
      initiator: () => this.#initiator(),
      transition: (to: CallState) => this.#transition(to),
      end: (state: CallState, reason: JingleReason, problem?: string) => this.#end(state, reason, problem),
      enqueue: (task: () => Promise<void>) => this.#enqueue(task),
      fail: (reason: JingleReason, problem: string) => this.#fail(reason, problem),
      sendJingle: (jingle: JingleBody) => this.#sendToPeer(jingle),
      iqFailed: (action: string, error: unknown) => this.emit("iqError", action, error),
      requirePeer: () => this.#link.require(),
      addCandidates: (candidates: readonly RemoteCandidate[]) => this.#link.addCandidates(candidates),
    };
  }

  get state(): CallState {
    return this.#state;
  }
  /** Bare JID of the other party. */
  get peerBareJid(): string {
    return bareJid(this.#peerJid);
  }
  /** Full JID once known (the device that answered / that calls). */
  get peerJid(): string {
    return this.#peerJid;
  }
  get reason(): JingleReason | undefined {
    return this.#reason;
  }
  get iceState(): IceState {
    return this.#link.iceState;
  }
  /** The media path broke after the call had connected and is being restored (ICE restart). */
  get recovering(): boolean {
    return this.#iceRestart.recovering;
  }
  /** ICE restarts made or answered in this call. */
  get iceRestarts(): number {
    return this.#iceRestart.restarts;
  }
  get connectedAt(): number | undefined {
    return this.#link.connectedAt;
  }
  get problem(): string {
    return this.#problem;
  }
  get ended(): boolean {
    return isTerminal(this.#state);
  }
  /** When the call reached a terminal state (ms since the epoch). */
  get endedAt(): number | undefined {
    return this.#endedAt;
  }
  isMuted(media: CallMedia): boolean {
    return this.#link.isMuted(media);
  }
  /** Informational text about the running call (no sound from the peer, video refused), not an error. */
  get notice(): string {
    return (!this.ended && this.#link.silenceNotice(this.#info.peerMutedAudio)) || this.#renegotiation.notice;
  }
  get video(): VideoState {
    return this.#renegotiation.video;
  }

  // ——— Starting ———

  /** Outgoing: rings all the callee's devices (XEP-0353 §3.1), our offer made meanwhile. */
  async propose(): Promise<void> {
    this.#offerAnswer.prepareOffer();
    await this.#ringing.propose();
  }

  /**
   * Outgoing to a device without XEP-0353: session-initiate straight to the full JID, as
   * Conversations and Dino call such devices (docs/interop.md, "Ringing"). It rings until
   * session-accept, or we give up with session-terminate <timeout/>.
   */
  async initiateDirect(): Promise<void> {
    this.#ringing.ringDirect();
    this.#offerAnswer.prepareOffer();
    this.#enqueue(() => this.#offerAnswer.initiate());
    await this.#queue;
  }

  /** Incoming: tell the caller we ring, arm the missed-call timer. */
  async ring(): Promise<void> {
    await this.#ringing.ring();
  }

  // ——— User intents ———

  /** Answers an incoming call. `withCamera` false answers a video call with the camera off. */
  async accept(withCamera = true): Promise<void> {
    if (this.#state === "incoming") {
      this.#transition("proceeding");
      // The peer connection and the camera start once accept and proceed (XEP-0353 §3.2) are
      // written, still a round trip before the caller's session-initiate can arrive: proceed is on
      // the call's critical path, and constructing the peer connection held the page's thread
      // ≈ 5 ms before it went out.
      await this.#ringing.accept();
      // Retracted meanwhile: no camera to open.
      if (!this.ended) void this.#link.start(withCamera);
    } else if (this.#state === "incoming-session") {
      void this.#link.start(withCamera);
      this.#offerAnswer.answerWaiting();
    }
  }

  /** Declines an incoming call. */
  async reject(): Promise<void> {
    await this.#ending.decline();
  }

  /** Ends the call from our side, whatever its phase (states.ts HANG_UP says how). */
  async hangUp(): Promise<void> {
    await this.#ending.hangUp();
  }

  /** Mutes/unmutes our microphone or camera and tells the peer (XEP-0167 §7.2). */
  async setMuted(media: CallMedia, muted: boolean): Promise<void> {
    await this.#link.setMuted(media, muted);
    await this.#info.muted(media, muted);
  }

  /** The device changed networks: restart ICE before the old path is found dead (ice-restart.ts). */
  networkChanged(): void {
    this.#iceRestart.networkChanged();
  }

  /** Turns our camera on during a call (content-add, or content-modify of an existing video content). */
  addVideo(): void {
    this.#renegotiation.addVideo();
  }

  /** Turns our camera off again (content-modify). */
  stopVideo(): void {
    this.#renegotiation.stopVideo();
  }

  /** Accepts the peer's content-add. */
  acceptVideo(): void {
    this.#renegotiation.acceptVideo();
  }

  /** Declines the peer's content-add (content-reject). */
  declineVideo(): void {
    this.#renegotiation.declineVideo();
  }

  // ——— From the network ———

  /** XEP-0353 messages for this call, from the peer or from our own devices. */
  handleJmi(message: JmiMessage, fromOwnDevice: boolean): void {
    this.#ringing.handle(message, fromOwnDevice);
  }

  /**
   * A Jingle iq for this sid. Checks it synchronously and returns (ack) or throws the
   * StanzaError XEP-0166 prescribes; the work itself is queued.
   */
  handleJingle(from: string, request: JingleRequest): void {
    // §6.7: once terminated, the session is unknown, whatever the action or who sends it.
    if (this.ended) throw JingleErrors.unknownSession();
    if (from !== this.#peerJid && !(this.#state === "proceeding" && bareJid(from) === this.peerBareJid)) throw JingleErrors.unknownSession();
    const { action } = request;
    // §7.2: an action the XEP does not define is malformed.
    if (!isJingleAction(action)) throw JingleErrors.badRequest(`no Jingle action '${action}'`);
    if (!acceptsJingle(this.#state, action)) throw JingleErrors.outOfOrder();
    switch (action) {
      case "session-initiate":
        this.#peerJid = from;
        return this.#offerAnswer.receiveOffer(request);
      case "session-accept":
        return this.#offerAnswer.receiveAnswer(request);
      case "transport-info":
        return this.#iceRestart.receiveTransportInfo(request, this.#read.trickled(request));
      case "session-info":
        return this.#info.receive(request);
      case "content-add":
        return this.#renegotiation.receiveContentAdd(request);
      case "content-accept":
        return this.#renegotiation.receiveContentAccept(request);
      case "content-reject":
      case "content-remove":
        return this.#renegotiation.receiveContentReject(request, action);
      case "content-modify":
        return this.#renegotiation.receiveContentModify(request);
      case "session-terminate":
        return this.#ending.receive(request);
      case "description-info":
        // §6.8: an informational payload this client does not act on.
        throw JingleErrors.unsupportedInfo();
      default:
        // transport-replace, security-info…: defined, but not supported by this client.
        throw JingleErrors.notImplemented();
    }
  }

  // ——— Internals ———

  /** The initiator's full JID (the `initiator` attribute of every Jingle request, XEP-0166 §7.1). */
  #initiator(): string {
    return this.direction === "outgoing" ? this.#signaling.jid : this.#peerJid;
  }

  /** A device of the callee proceeded (XEP-0353 §3.2): the session is set up with it. */
  #proceeded(device: string) {
    this.#peerJid = device;
    this.#transition("proceeded");
    void this.#link.start(true);
    this.#enqueue(() => this.#offerAnswer.initiate());
  }

  #onIceState(state: IceState) {
    this.#iceRestart.onIceState(state);
    this.emit("ice", state);
    // Once connected, a broken path is restored by an ICE restart (ice-restart.ts), which gives up in time.
    if (state === "failed" && !this.ended && this.#link.connectedAt === undefined) {
      this.#failNow("The connection to the other side failed (no network path, or the relay is unreachable).", "connectivity-error");
    }
  }

  /** Ends the call now, with a problem for the user to read. */
  #failNow(problem: string, reason: JingleReason) {
    this.#problem = problem;
    this.emit("problem", problem);
    // Still ringing: retract, or the callee's devices would ring on.
    if (RINGING_OUT.includes(this.#state)) void this.#ringing.retract(reason);
    else void this.#ending.terminate(reason, "failed");
  }

  /** The peer's description cannot be used: the call ends once the current action is answered. */
  #fail(reason: JingleReason, problem: string) {
    this.#problem = problem;
    this.#enqueue(() => this.#ending.terminate(reason, "failed"));
  }

  /** Sends a Jingle request of this session to the peer's device (again while it is away, peer-away.ts). */
  async #sendToPeer(body: JingleBody): Promise<void> {
    const jingle = { ...body, sid: this.id, initiator: this.#initiator() } as OutgoingJingle;
    const { peerAwayMs: awayMs, peerAwayRetryMs: retryMs } = this.#timeouts;
    await sendWhilePeerAway(() => this.#signaling.sendJingle(this.#peerJid, jingle), { awayMs, retryMs, established: () => this.#established });
  }

  #enqueue(task: () => Promise<void>) {
    this.#queue = this.#queue.then(task).catch((error: unknown) => {
      if (this.ended) return;
      this.#problem ||= `Call setup failed: ${error instanceof Error ? error.message : String(error)}`;
      this.emit("problem", this.#problem);
      void this.#ending.terminate("general-error", "failed");
    });
  }

  #end(state: CallState, reason: JingleReason, problem?: string) {
    if (problem) this.#problem = problem;
    this.#reason = reason;
    this.#transition(state);
    this.#endedAt = Date.now();
    this.#trickle.stop();
    this.#iceRestart.stop();
    this.#link.close();
  }

  /** The one place state changes: checks the table, applies, then notifies. */
  #transition(to: CallState) {
    if (!canTransition(this.#state, to)) throw new InvalidTransitionError(this.#state, to);
    this.#state = to;
    if (to === "active") this.#established = true;
    if (ANSWERED.includes(to)) this.#link.connectWithin(this.#timeouts.connectMs);
    this.#ringing.changed(to);
    this.emit("state", to);
  }
}

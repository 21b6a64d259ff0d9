import type { JingleBody, JingleRequest, OutgoingJingle, RemoteCandidate } from "../jingle/index.js";
import { bareJid } from "../xmpp/connection.js";
import { TypedEmitter } from "../xmpp/emitter.js";
import type { JmiMessage } from "../xmpp/jmi.js";
import { JingleErrors } from "./jingle-errors.js";
import { IceRestart } from "./ice-restart.js";
import { LocalTrickle } from "./local-trickle.js";
import { MediaLink } from "./media-link.js";
import { OfferAnswer } from "./offer-answer.js";
import { RemoteReader } from "./remote-reader.js";
import { Ringing } from "./ringing.js";
import { DEFAULT_TIMEOUTS, type CallEvents, type CallSessionOptions, type CallSignaling, type CallTimeouts } from "./session-options.js";
import { Renegotiation, type VideoState } from "./renegotiation.js";
import { NegotiationState } from "./negotiation.js";
import { sendWhilePeerAway } from "./peer-away.js";
import type { IceState } from "./peer.js";
import {
  acceptsJingle,
  AWAITING_ACCEPT,
  isJingleAction,
  canTransition,
  FAILURE_REASONS,
  HANG_UP,
  IN_SESSION,
  InvalidTransitionError,
  isTerminal,
  RINGING_OUT,
  type CallDirection,
  type CallMedia,
  type CallState,
  type JingleReason,
} from "./states.js";

export { DEFAULT_TIMEOUTS, type CallEvents, type CallSessionOptions, type CallSignaling, type CallTimeouts } from "./session-options.js";
export type { VideoState } from "./renegotiation.js";

/**
 * One call, from ringing (XEP-0353) to the end of its Jingle RTP session (XEP-0166/0167).
 * `#transition()` is the only place that changes state; Jingle work runs one action at a
 * time on `#queue`, so a transport-info waits for the description it belongs to. The session
 * routes; its parts decide: ringing.ts the JMI messages and no-answer timers, offer-answer.ts
 * session-initiate/accept, media-link.ts the peer connection, renegotiation.ts mid-call changes
 * of the contents, ice-restart.ts a broken media path.
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
  readonly #renegotiation: Renegotiation;
  readonly #iceRestart: IceRestart;

  constructor(options: CallSessionOptions) {
    super();
    this.id = options.id;
    this.direction = options.direction;
    this.media = options.media;
    this.#peerJid = options.peer;
    this.#signaling = options.signaling;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#state = options.direction === "outgoing" ? (options.direct ? "initiating" : "proposed") : options.initiate ? "incoming-session" : "incoming";
    this.#n = new NegotiationState({
      role: this.#role(),
      sid: this.id,
      onSendable: () => this.#trickle.schedule(),
      onAgreed: () => this.#iceRestart.remoteChanged(),
    });
    this.#read = new RemoteReader(this.#n, (reason, problem) => this.#fail(reason, problem));
    this.#trickle = new LocalTrickle({
      negotiation: this.#n,
      batchMs: this.#timeouts.trickleBatchMs,
      ended: () => this.ended,
      send: (jingle) => this.#sendToPeer(jingle),
      failed: (error) => this.emit("iqError", "transport-info", error),
    });
    const { createPeer, iceServers, relayOnly = false } = options;
    this.#link = new MediaLink({ negotiation: this.#n, media: this.media, createPeer, iceServers, relayOnly }, {
      ended: () => this.ended,
      candidate: (c) => this.#trickle.onCandidate(c),
      iceChanged: (state) => this.#onIceState(state),
      silenceChanged: () => this.emit("notice", this.notice),
      failed: (problem) => this.#peerFailed(problem),
    });
    [this.#ringing, this.#offerAnswer] = this.#setUp(!options.initiate && !options.direct, options.initiate);
    [this.#renegotiation, this.#iceRestart] = this.#midCall(iceServers);
  }

  /** Ringing and the first offer/answer, on a few of the call's methods. */
  #setUp(jmi: boolean, initiate: JingleRequest | undefined): [Ringing, OfferAnswer] {
    const common = {
      media: this.media,
      ownJid: () => this.#signaling.jid,
      peer: () => this.#peerJid,
      state: () => this.#state,
      transition: (to: CallState) => this.#transition(to),
    };
    const ringing = new Ringing({
      ...common,
      id: this.id,
      timeouts: this.#timeouts,
      sendJmi: (to, message) => this.#signaling.sendJmi(to, message),
      end: (state, reason, problem) => this.#end(state, reason, problem),
      terminate: (reason) => void this.#terminate(reason, "finished"),
      proceeded: (device) => this.#proceeded(device),
    }, jmi);
    const offerAnswer = new OfferAnswer({
      ...common,
      sid: this.id,
      enqueue: (task) => this.#enqueue(task),
      send: (jingle) => this.#signaling.sendJingle(this.#peerJid, jingle),
      fail: (reason, problem) => this.#fail(reason, problem),
    }, { negotiation: this.#n, trickle: this.#trickle, reader: this.#read, link: this.#link }, initiate);
    return [ringing, offerAnswer];
  }

  /** Renegotiation and ICE restart, on the call's negotiation state and a few of its methods. */
  #midCall(iceServers: () => readonly RTCIceServer[]): [Renegotiation, IceRestart] {
    const common = {
      negotiation: this.#n,
      active: () => this.#state === "active",
      ended: () => this.ended,
      initiator: () => this.#initiator(),
      requirePeer: () => this.#link.require(),
      enqueue: (task: () => Promise<void>) => this.#enqueue(task),
      sendJingle: (jingle: JingleBody) => this.#sendToPeer(jingle),
      addCandidates: (candidates: readonly RemoteCandidate[]) => this.#link.addCandidates(candidates),
    };
    const renegotiation = new Renegotiation({
      ...common,
      iqFailed: (action, error) => this.emit("iqError", action, error),
      readSession: (request) => this.#read.session(request, false),
      readCandidatesOf: (session) => this.#read.inlineIn(session),
      candidatesFor: (names) => this.#trickle.placed(this.#n.takeLocal(names)),
      emitVideo: (state) => this.emit("video", state),
    });
    const iceRestart = new IceRestart({
      ...common,
      timeouts: this.#timeouts,
      connectedOnce: () => this.#link.connectedAt !== undefined,
      negotiating: () => renegotiation.video.request !== undefined,
      iceServers,
      recovering: (lost) => this.emit("recovering", lost),
      giveUp: () => this.#failWith("The connection to the other side was lost and could not be restored.", "connectivity-error"),
    });
    return [renegotiation, iceRestart];
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
    return (!this.ended && this.#link.silenceNotice) || this.#renegotiation.notice;
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
    const jmi = this.#state === "incoming";
    const ringing = this.#ringing.ring();
    // A caller without JMI hears it in the session (XEP-0167 §7.2.4 session-info <ringing/>).
    if (!jmi) await this.#sendToPeer({ action: "session-info", info: { kind: "ringing" } }).catch((e: unknown) => this.emit("iqError", "session-info", e));
    await ringing;
  }

  // ——— User intents ———

  /** Answers an incoming call. `withCamera` false answers a video call with the camera off. */
  async accept(withCamera = true): Promise<void> {
    if (this.#state === "incoming") {
      this.#transition("proceeding");
      // Open the camera while the caller builds its offer.
      void this.#link.start(withCamera);
      await this.#ringing.accept();
    } else if (this.#state === "incoming-session") {
      void this.#link.start(withCamera);
      this.#offerAnswer.answerWaiting();
    }
  }

  /** Declines an incoming call. */
  async reject(): Promise<void> {
    if (this.#state === "incoming") {
      await this.#ringing.decline();
    } else if (this.#state === "incoming-session") {
      this.#end("rejected", "decline");
      await this.#sendToPeer({ action: "session-terminate", reason: "decline" });
    }
  }

  /** Ends the call from our side, whatever its phase (states.ts HANG_UP says how). */
  async hangUp(): Promise<void> {
    switch (HANG_UP[this.#state]) {
      case "retract":
        return this.#ringing.retract("cancel");
      case "decline":
        return this.reject();
      case "cancel":
        return this.#terminate("cancel", "finished");
      case "success":
        return this.#terminate("success", "finished");
      default:
        return;
    }
  }

  /** Mutes/unmutes our microphone or camera and tells the peer (XEP-0167 §7.2). */
  async setMuted(media: CallMedia, muted: boolean): Promise<void> {
    await this.#link.setMuted(media, muted);
    if (this.#trickle.isSignalled && !this.ended) {
      const content = this.#n.local.find((c) => c.description?.media === media);
      const info = { kind: muted ? "mute" : "unmute", creator: this.#role(), name: content?.name } as const;
      await this.#sendToPeer({ action: "session-info", info }).catch((e: unknown) => this.emit("iqError", "session-info", e));
    }
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
    if (from !== this.#peerJid && !(this.#state === "proceeding" && bareJid(from) === this.peerBareJid)) {
      throw JingleErrors.unknownSession();
    }
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
        return this.#receiveTransportInfo(request);
      case "session-info":
        return this.#receiveSessionInfo(request);
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
        return this.#receiveTerminate(request);
      case "description-info":
        // §6.8: an informational payload this client does not act on.
        throw JingleErrors.unsupportedInfo();
      default:
        // transport-replace, security-info…: defined, but not supported by this client.
        throw JingleErrors.notImplemented();
    }
  }

  #receiveTransportInfo(request: JingleRequest) {
    const candidates = this.#read.trickled(request);
    switch (this.#iceRestart.classify(request, candidates.length)) {
      case "restart-offer":
        return this.#iceRestart.receiveOffer(request);
      case "restart-answer":
        return this.#iceRestart.receiveAnswer(request, candidates);
      case "stale":
        // Candidates of an ICE generation the restart replaced: acknowledged, of no use.
        return;
      default:
        this.#n.countRemote(candidates, true);
        this.#enqueue(() => this.#link.addCandidates(candidates));
    }
  }

  #receiveSessionInfo({ info }: JingleRequest) {
    if (!info) throw JingleErrors.unsupportedInfo();
    if (info.kind === "mute" || info.kind === "unmute") {
      const audio = !info.name || this.#n.remote?.contents.some((c) => c.name === info.name && c.description?.media === "audio");
      if (audio) this.#link.peerMuted(info.kind === "mute");
      this.emit("remoteMute", info.kind === "mute");
    }
    // A device called without JMI rings (StanzaJS MediaSession.ring(), Dino calls.vala).
    if (info.kind === "ringing" && this.#state === "initiating") this.#transition("alerting");
  }

  #receiveTerminate(request: JingleRequest) {
    const reason = request.reason ?? "success";
    // The peer ended it because something broke (XEP-0166 §7.4): a failed call on this side too.
    const declined = AWAITING_ACCEPT.includes(this.#state) && (reason === "decline" || reason === "busy");
    const to = declined ? "rejected" : FAILURE_REASONS.has(reason) ? "failed" : "finished";
    if (!canTransition(this.#state, to)) throw JingleErrors.outOfOrder();
    this.#end(to, reason);
  }

  // ——— Internals ———

  #role(): "initiator" | "responder" {
    return this.direction === "outgoing" ? "initiator" : "responder";
  }

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
      this.#failWith("The connection to the other side failed (no network path, or the relay is unreachable).", "connectivity-error");
    }
  }

  /** The camera, microphone or peer connection could not be opened. */
  #peerFailed(problem: string) {
    this.#problem = problem;
    this.emit("problem", problem);
    // Still ringing: retract, or the callee's devices would ring on.
    if (RINGING_OUT.includes(this.#state)) void this.#ringing.retract("failed-application");
    else void this.#terminate("failed-application", "failed");
  }

  /** Ends the call now with a problem for the user to read. */
  #failWith(problem: string, reason: JingleReason) {
    this.#problem = problem;
    this.emit("problem", problem);
    void this.#terminate(reason, "failed");
  }

  /** The peer's description cannot be used: the call ends once the current action is answered. */
  #fail(reason: JingleReason, problem: string) {
    this.#problem = problem;
    this.#enqueue(() => this.#terminate(reason, "failed"));
  }

  /** session-terminate (if the session was signalled) and JMI finish, then end locally. */
  async #terminate(reason: JingleReason, state: "finished" | "failed") {
    if (this.ended) return;
    const inSession = IN_SESSION.includes(this.#state);
    this.#end(state, reason);
    if (inSession) await this.#sendToPeer({ action: "session-terminate", reason }).catch((error: unknown) => this.emit("iqError", "session-terminate", error));
    await this.#ringing.finish(reason);
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
      void this.#terminate("general-error", "failed");
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
    this.#ringing.changed(to);
    this.emit("state", to);
  }
}

import {
  alignAnswerToOffer,
  sdpToSession,
  type JingleBody,
  type JingleRequest,
  type JingleSession,
  type OutgoingJingle,
  type RemoteCandidate,
} from "../jingle/index.js";
import { bareJid } from "../xmpp/connection.js";
import { TypedEmitter } from "../xmpp/emitter.js";
import type { JmiMessage, OutgoingJmi } from "../xmpp/jmi.js";
import { JingleErrors } from "./jingle-errors.js";
import { IceRestart } from "./ice-restart.js";
import { LocalTrickle } from "./local-trickle.js";
import { RemoteReader } from "./remote-reader.js";
import { DEFAULT_TIMEOUTS, type CallEvents, type CallSessionOptions, type CallSignaling, type CallTimeouts } from "./session-options.js";
import { Renegotiation, type VideoState } from "./renegotiation.js";
import { NegotiationState } from "./negotiation.js";
import { sendWhilePeerAway } from "./peer-away.js";
import type { IceState, MediaPeer, PeerFactory } from "./peer.js";
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
  JMI_ACCEPTED_IN,
  OWN_DEVICE_JMI_ACCEPTED_IN,
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
 * time on `#queue`, so a transport-info waits for the description it belongs to. Mid-call
 * changes of the contents (video upgrade) are decided in renegotiation.ts.
 */
export class CallSession extends TypedEmitter<CallEvents> {
  readonly id: string;
  readonly direction: CallDirection;
  readonly media: readonly CallMedia[];
  readonly startedAt = Date.now();
  #state: CallState;
  #peerJid: string;
  #reason: JingleReason | undefined;
  #iceState: IceState = "new";
  #connectedAt: number | undefined;
  #problem = "";
  readonly #signaling: CallSignaling;
  readonly #createPeer: PeerFactory;
  readonly #iceServers: () => readonly RTCIceServer[];
  readonly #relayOnly: boolean;
  readonly #timeouts: CallTimeouts;
  #peer: Promise<MediaPeer> | undefined;
  #queue: Promise<void> = Promise.resolve();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** What was agreed with the peer and the candidates waiting on either side. */
  readonly #n: NegotiationState;
  readonly #trickle: LocalTrickle;
  readonly #read: RemoteReader;
  #offer: Promise<string> | undefined;
  #pendingInitiate: JingleRequest | undefined;
  #muted = new Set<CallMedia>();
  /** The call rings through XEP-0353 (otherwise a direct session-initiate, no JMI finish). */
  readonly #jmi: boolean;
  #endedAt: number | undefined;
  readonly #renegotiation: Renegotiation;
  readonly #iceRestart: IceRestart;
  /** session-accept is done (sent or received): the peer is a device in a session with us. */
  #established = false;
  /** The peer's audio does not arrive although ICE is connected (see PeerListeners.onIncomingAudio). */
  #silentPeer = false;
  /** The peer said it muted its microphone (session-info, XEP-0167 §7.2.5): silence is expected. */
  #remoteMuted = false;

  constructor(options: CallSessionOptions) {
    super();
    this.id = options.id;
    this.direction = options.direction;
    this.media = options.media;
    this.#peerJid = options.peer;
    this.#signaling = options.signaling;
    this.#createPeer = options.createPeer;
    this.#iceServers = options.iceServers;
    this.#relayOnly = options.relayOnly ?? false;
    this.#timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.#pendingInitiate = options.initiate;
    this.#jmi = !options.initiate && !options.direct;
    this.#state = options.direction === "outgoing" ? (options.direct ? "initiating" : "proposed") : options.initiate ? "incoming-session" : "incoming";
    this.#n = new NegotiationState({
      role: this.#role(),
      sid: this.id,
      onSendable: () => this.#trickle.schedule(),
      onAgreed: () => this.#iceRestart.remoteChanged(),
    });
    this.#read = new RemoteReader(this.#n, (reason, problem) => {
      this.#problem = problem;
      this.#enqueue(() => this.#terminate(reason, "failed"));
    });
    this.#trickle = new LocalTrickle({
      negotiation: this.#n,
      batchMs: this.#timeouts.trickleBatchMs,
      ended: () => this.ended,
      send: (jingle) => this.#sendToPeer(jingle),
      failed: (error) => this.emit("iqError", "transport-info", error),
    });
    [this.#renegotiation, this.#iceRestart] = this.#collaborators();
  }

  /** Renegotiation and ICE restart, on the call's negotiation state and a few of its methods. */
  #collaborators(): [Renegotiation, IceRestart] {
    const common = {
      negotiation: this.#n,
      active: () => this.#state === "active",
      ended: () => this.ended,
      initiator: () => this.#initiator(),
      requirePeer: () => this.#requirePeer(),
      enqueue: (task: () => Promise<void>) => this.#enqueue(task),
      sendJingle: (jingle: JingleBody) => this.#sendToPeer(jingle),
      addCandidates: (candidates: readonly RemoteCandidate[]) => this.#addCandidates(candidates),
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
      connectedOnce: () => this.#connectedAt !== undefined,
      negotiating: () => renegotiation.video.request !== undefined,
      iceServers: () => this.#iceServers(),
      recovering: (lost) => this.emit("recovering", lost),
      giveUp: () => {
        this.#problem = "The connection to the other side was lost and could not be restored.";
        this.emit("problem", this.#problem);
        void this.#terminate("connectivity-error", "failed");
      },
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
    return this.#iceState;
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
    return this.#connectedAt;
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
    return this.#muted.has(media);
  }
  /** Informational text about the running call (no sound from the peer, video refused), not an error. */
  get notice(): string {
    if (this.#silentPeer && !this.#remoteMuted && !this.ended) return "No sound is arriving from the other side. If it stays silent, hang up and call again.";
    return this.#renegotiation.notice;
  }
  get video(): VideoState {
    return this.#renegotiation.video;
  }

  // ——— Starting ———

  /** Outgoing: rings all the callee's devices (XEP-0353 §3.1). */
  async propose(): Promise<void> {
    this.#arm(this.#timeouts.ringMs, () => void this.#retract("timeout"));
    // The camera opens and the offer is made while the callee's devices ring (a preview, as
    // calling apps do), so session-initiate leaves as soon as <proceed/> arrives. Nothing
    // (no candidate) is sent before proceed.
    this.#startPeer(true);
    this.#offer = this.#peer?.then((peer) => peer.offer());
    this.#offer?.catch(() => undefined);
    await this.#signaling.sendJmi(this.#peerJid, { action: "propose", id: this.id, media: this.media });
  }

  /**
   * Outgoing to a device without XEP-0353: session-initiate straight to the full JID, as
   * Conversations and Dino call such devices (docs/interop.md, "Ringing"). It rings until
   * session-accept, or we give up with session-terminate <timeout/>.
   */
  async initiateDirect(): Promise<void> {
    this.#arm(this.#timeouts.ringMs, () => void this.#terminate("timeout", "finished"));
    this.#startPeer(true);
    this.#offer = this.#peer?.then((peer) => peer.offer());
    this.#offer?.catch(() => undefined);
    this.#enqueue(() => this.#initiate());
    await this.#queue;
  }

  /** Incoming: tell the caller we ring (Conversations waits for it), arm the missed-call timer. */
  async ring(): Promise<void> {
    this.#arm(this.#timeouts.incomingMs, () => this.#end("failed", "timeout"));
    if (this.#state === "incoming") await this.#send(this.#peerJid, "ringing");
    else await this.#sendToPeer({ action: "session-info", info: { kind: "ringing" } }).catch((e: unknown) => this.emit("iqError", "session-info", e));
  }

  // ——— User intents ———

  /** Answers an incoming call. `withCamera` false answers a video call with the camera off. */
  async accept(withCamera = true): Promise<void> {
    if (this.#state === "incoming") {
      this.#transition("proceeding");
      this.#arm(this.#timeouts.proceedMs, () => this.#end("failed", "timeout", "The caller did not start the call."));
      // Open the camera while the caller builds its offer.
      this.#startPeer(withCamera);
      // XEP-0353 §3.2: accept to our own bare JID stops our other devices; proceed to the caller.
      await this.#send(bareJid(this.#signaling.jid), "accept");
      await this.#send(this.#peerJid, "proceed");
    } else if (this.#state === "incoming-session" && this.#pendingInitiate) {
      this.#startPeer(withCamera);
      this.#answerInitiate(this.#pendingInitiate);
    }
  }

  /** Declines an incoming call. */
  async reject(): Promise<void> {
    if (this.#state === "incoming") {
      this.#end("rejected", "decline");
      await this.#send(this.#peerJid, "reject", "decline");
      await this.#send(bareJid(this.#signaling.jid), "reject", "decline");
    } else if (this.#state === "incoming-session") {
      this.#end("rejected", "decline");
      await this.#sendToPeer({ action: "session-terminate", reason: "decline" });
    }
  }

  /** Ends the call from our side, whatever its phase (states.ts HANG_UP says how). */
  async hangUp(): Promise<void> {
    switch (HANG_UP[this.#state]) {
      case "retract":
        return this.#retract("cancel");
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
    if (muted) this.#muted.add(media);
    else this.#muted.delete(media);
    (await this.#peer)?.setMuted(media, muted);
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
    const { action } = message;
    if (fromOwnDevice) {
      // Another of our devices answered or declined (XEP-0353 §3.2, via carbons).
      if (!OWN_DEVICE_JMI_ACCEPTED_IN.includes(this.#state)) return;
      if (action === "accept" || action === "proceed") this.#end("answered-elsewhere", "success");
      else if (action === "reject") this.#end("rejected-elsewhere", "decline");
      return;
    }
    if (bareJid(message.from) !== this.peerBareJid) return;
    if (action === "proceed" && this.#state === "retracted") {
      // Our retract crossed their proceed: say it again to the device that answered.
      void this.#send(message.from, "retract", "cancel");
      return;
    }
    // Only the device in the call finishes it (XEP-0353 §3.5); the peer's other resources are not in it.
    if (!JMI_ACCEPTED_IN[action].includes(this.#state) || (action === "finish" && message.from !== this.#peerJid)) return;
    switch (action) {
      case "ringing":
        return this.#transition("ringing");
      case "proceed":
        return this.#proceeded(message.from);
      case "reject":
        return this.#end("rejected", message.reason ?? "decline");
      case "retract":
        return this.#end("retracted", message.reason ?? "cancel");
      case "finish":
        return this.#end("finished", message.reason ?? "success");
      default:
        return;
    }
  }

  #proceeded(device: string) {
    this.#peerJid = device;
    this.#transition("proceeded");
    // Its user has answered, so session-accept should follow; one that never comes (or that we had
    // to refuse) must not leave the call waiting for ever. The ring time again, as the device may
    // still be asking for its camera.
    this.#arm(this.#timeouts.ringMs, () => void this.#terminate("timeout", "finished"));
    this.#startPeer(true);
    this.#enqueue(() => this.#initiate());
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
        this.#checkMedia(request);
        return this.#answerInitiate(request);
      case "session-accept":
        return this.#receiveAccept(request);
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

  #receiveAccept(request: JingleRequest) {
    const sdp = this.#read.sdp(request);
    const remote = this.#read.session(request, true);
    this.#clearTimer();
    this.#transition("active");
    this.#enqueue(async () => {
      await (await this.#requirePeer()).applyAnswer(sdp);
      this.#n.established(this.#n.local, remote, false);
      await this.#addCandidates(this.#read.inline(request));
    });
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
        this.#enqueue(() => this.#addCandidates(candidates));
    }
  }

  #receiveSessionInfo({ info }: JingleRequest) {
    if (!info) throw JingleErrors.unsupportedInfo();
    if (info.kind === "mute" || info.kind === "unmute") {
      const audio = !info.name || this.#n.remote?.contents.some((c) => c.name === info.name && c.description?.media === "audio");
      if (audio) this.#remoteMuted = info.kind === "mute";
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

  #startPeer(withCamera: boolean) {
    this.#peer ??= this.#createPeer({
      iceServers: this.#iceServers(),
      relayOnly: this.#relayOnly,
      media: this.media,
      listeners: {
        onCandidate: (c) => this.#trickle.onCandidate(c),
        onIceState: (s) => this.#onIceState(s),
        onIncomingAudio: (flowing) => {
          this.#silentPeer = !flowing;
          this.emit("notice", this.notice);
        },
      },
    });
    this.#peer.then(
      (peer) => {
        if (!withCamera && this.media.includes("video")) {
          this.#muted.add("video");
          peer.setMuted("video", true);
        }
        if (this.ended) peer.close();
      },
      (error: unknown) => {
        this.#problem = error instanceof Error ? error.message : String(error);
        this.emit("problem", this.#problem);
        // Still ringing: retract, or the callee's devices would ring on.
        if (RINGING_OUT.includes(this.#state)) void this.#retract("failed-application");
        else void this.#terminate("failed-application", "failed");
      },
    );
  }

  async #requirePeer(): Promise<MediaPeer> {
    if (!this.#peer) throw new Error("no peer connection");
    return this.#peer;
  }

  async #initiate() {
    const peer = await this.#requirePeer();
    const sdp = await (this.#offer ?? peer.offer());
    await this.#trickle.firstCandidates();
    if (this.ended) return;
    const offer = sdpToSession(sdp, { role: "initiator" }).session;
    this.#n.setLocal(offer.contents);
    if (this.#state === "proceeded") this.#transition("initiated");
    await this.#sendSignalled({ action: "session-initiate" as const, sid: this.id, initiator: this.#signaling.jid, session: offer });
  }

  /**
   * Sends session-initiate/accept with the candidates gathered so far (XEP-0176 §6.1 allows
   * them there), then trickles the rest without waiting for the ack: RFC 6120 §10.1 keeps
   * our stanzas to one peer in order, so a transport-info cannot overtake its session.
   */
  async #sendSignalled(jingle: { action: "session-initiate" | "session-accept"; sid: string; initiator: string; responder?: string; session: JingleSession }) {
    const sent = this.#signaling.sendJingle(this.#peerJid, { ...jingle, session: this.#trickle.withInline(jingle.session) });
    this.#trickle.signalled();
    await sent;
  }

  #answerInitiate(request: JingleRequest) {
    const sdp = this.#read.sdp(request);
    const offer = this.#read.session(request, true);
    this.#clearTimer();
    this.#transition("accepting");
    this.#enqueue(async () => {
      const peer = await this.#requirePeer();
      const answer = await peer.answer(sdp);
      this.#n.established(sdpToSession(answer, { role: "responder" }).session.contents, offer, true);
      // The caller's candidates (inline and trickled while we rang) are applied while ours gather.
      await Promise.all([this.#addCandidates(this.#read.inline(request)), this.#trickle.firstCandidates()]);
      if (this.ended) return;
      // Dino compares our accept's payload types to its offer, parameters included (jingle/align.ts).
      const session = alignAnswerToOffer(sdpToSession(answer, { role: "responder", answer: true }).session, offer);
      this.#transition("active");
      await this.#sendSignalled({ action: "session-accept" as const, sid: this.id, initiator: this.#peerJid, responder: this.#signaling.jid, session });
    });
  }

  /** INTEROP: the media of session-initiate must be what was proposed. */
  #checkMedia(request: JingleRequest) {
    const offered = new Set(this.#read.session(request, true).contents.map((c) => c.description?.media).filter(Boolean));
    const proposed = new Set(this.media);
    if (offered.size !== proposed.size || [...offered].some((m) => !proposed.has(m as CallMedia))) {
      this.#problem = "The caller started a different kind of call than it announced.";
      this.#enqueue(() => this.#terminate("security-error", "failed"));
      throw JingleErrors.badRequest("media differs from the proposal");
    }
  }

  /** Adds remote candidates whose content the browser knows; the others wait for their description. */
  async #addCandidates(candidates: readonly RemoteCandidate[]) {
    const ready = this.#n.admitRemote(candidates);
    if (ready.length === 0) return;
    const peer = await this.#requirePeer();
    // A candidate the browser refuses (a stale generation, an address it cannot use) is one path fewer, not an error.
    await Promise.all(ready.map((c) => peer.addCandidate(c).catch(() => undefined)));
  }

  #onIceState(state: IceState) {
    this.#iceState = state;
    if ((state === "connected" || state === "completed") && this.#connectedAt === undefined) this.#connectedAt = Date.now();
    this.#iceRestart.onIceState(state);
    this.emit("ice", state);
    // Once connected, a broken path is restored by an ICE restart (ice-restart.ts), which gives up in time.
    if (state === "failed" && !this.ended && this.#connectedAt === undefined) {
      this.#problem = "The connection to the other side failed (no network path, or the relay is unreachable).";
      this.emit("problem", this.#problem);
      void this.#terminate("connectivity-error", "failed");
    }
  }

  async #retract(reason: JingleReason) {
    if (!RINGING_OUT.includes(this.#state)) return;
    this.#end("retracted", reason);
    await this.#send(this.peerBareJid, "retract", reason);
  }

  /** session-terminate (if the session was signalled) and JMI finish, then end locally. */
  async #terminate(reason: JingleReason, state: "finished" | "failed") {
    if (this.ended) return;
    const inSession = IN_SESSION.includes(this.#state);
    this.#end(state, reason);
    if (inSession) await this.#sendToPeer({ action: "session-terminate", reason }).catch((error: unknown) => this.emit("iqError", "session-terminate", error));
    if (this.#jmi && this.#peerJid.includes("/")) {
      await this.#send(this.#peerJid, "finish", reason);
    }
  }

  /** Sends a Jingle request of this session to the peer's device (again while it is away, peer-away.ts). */
  async #sendToPeer(body: JingleBody): Promise<void> {
    const jingle = { ...body, sid: this.id, initiator: this.#initiator() } as OutgoingJingle;
    const { peerAwayMs: awayMs, peerAwayRetryMs: retryMs } = this.#timeouts;
    await sendWhilePeerAway(() => this.#signaling.sendJingle(this.#peerJid, jingle), { awayMs, retryMs, established: () => this.#established });
  }

  /** A JMI message of this call; one that cannot be sent is lost with the connection (re-sent by it when it can). */
  async #send(to: string, action: OutgoingJmi["action"], reason?: JingleReason) {
    await this.#signaling.sendJmi(to, { action, id: this.id, reason }).catch(() => undefined);
  }

  #enqueue(task: () => Promise<void>) {
    this.#queue = this.#queue.then(task).catch((error: unknown) => {
      if (this.ended) return;
      this.#problem ||= `Call setup failed: ${error instanceof Error ? error.message : String(error)}`;
      this.emit("problem", this.#problem);
      void this.#terminate("general-error", "failed");
    });
  }

  #arm(ms: number, onTimeout: () => void) {
    this.#clearTimer();
    this.#timer = setTimeout(onTimeout, ms);
  }

  #clearTimer() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #end(state: CallState, reason: JingleReason, problem?: string) {
    if (problem) this.#problem = problem;
    this.#reason = reason;
    this.#transition(state);
    this.#endedAt = Date.now();
    this.#clearTimer();
    this.#trickle.stop();
    this.#iceRestart.stop();
    void this.#peer?.then((p) => p.close(), () => undefined);
  }

  /** The one place state changes: checks the table, applies, then notifies. */
  #transition(to: CallState) {
    if (!canTransition(this.#state, to)) throw new InvalidTransitionError(this.#state, to);
    this.#state = to;
    if (to === "active") this.#established = true;
    this.emit("state", to);
  }
}

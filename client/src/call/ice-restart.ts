// Recovering a call whose network path broke: an ICE restart (RFC 8445
// §9, JSEP §4.1.3.1) signalled as Conversations does it with Jingle transport-info (docs/interop.md,
// "ICE restart"). New ufrag/pwd and no candidate is the offer; new ufrag/pwd with candidates is the
// answer to ours; an offer crossing ours is refused by the initiator with <tie-break/> (XEP-0166
// §10). New credentials with candidates when we made no offer (XEP-0176 §12 restarts that way, no
// WebRTC client does) are taken as plain trickle: taking them as an offer would have two clients
// answer each other's answers for ever after an abandoned restart. The
// DTLS association survives: each description restates the role the peer holds, no fingerprint goes
// out again. The session owns the call; this module decides when to restart, how to apply one and
// which ICE generation each of the peer's transport-infos belongs to, through a small port to the
// session (IceRestartPort); what was agreed lives in NegotiationState.
import {
  credentialsSession,
  sdpToSession,
  sessionCredentials,
  type JingleBody,
  type JingleRequest,
  type IceCredentials,
  type JingleContent,
  type JingleSession,
  type RemoteCandidate,
} from "../jingle/index.js";
import { credentialsOf, withCredentials } from "./contents.js";
import { isTieBreak, JingleErrors } from "./jingle-errors.js";
import type { NegotiationState } from "./negotiation.js";
import type { IceState, MediaPeer } from "./peer.js";

export interface IceRestartTimeouts {
  /**
   * ICE `disconnected` this long without coming back by itself → the initiator restarts. Short
   * outages (a Wi-Fi hiccup) heal within a second or two; `failed` restarts at once.
   */
  iceDisconnectedMs: number;
  /**
   * The responder waits this much longer, so that normally the initiator's restart comes first
   * and the two do not cross. Conversations restarts only on `failed`: then our responder side
   * restarts for both.
   */
  iceResponderDelayMs: number;
  /** A restart that was agreed but has not connected within this → another attempt. */
  iceRestartAttemptMs: number;
  /** Connectivity lost this long (restarts included) → the call ends with connectivity-error. */
  iceGiveUpMs: number;
}

export const DEFAULT_ICE_RESTART_TIMEOUTS: IceRestartTimeouts = {
  iceDisconnectedMs: 2_000,
  iceResponderDelayMs: 3_000,
  iceRestartAttemptMs: 10_000,
  iceGiveUpMs: 30_000,
};

/** What the ICE restart needs of its call (CallSession implements it). */
export interface IceRestartPort {
  readonly negotiation: NegotiationState;
  readonly timeouts: IceRestartTimeouts;
  /** The initiator's full JID (the `initiator` attribute). */
  initiator(): string;
  /** The call is active (session-accept done): the only state in which ICE restarts. */
  active(): boolean;
  ended(): boolean;
  /** ICE connected at least once in this call (a call that never connected just fails). */
  connectedOnce(): boolean;
  /** A content change awaits its answer (content-add): a restart now would cross it. */
  negotiating(): boolean;
  requirePeer(): Promise<MediaPeer>;
  /** Runs a task on the call's one-action-at-a-time queue. */
  enqueue(task: () => Promise<void>): void;
  /** Sends a Jingle request of this session to the peer; resolves on result, rejects with StanzaError. */
  sendJingle(jingle: JingleBody): Promise<void>;
  /** STUN/TURN servers as of now (TURN credentials are refreshed during the call). */
  iceServers(): readonly RTCIceServer[];
  addCandidates(candidates: readonly RemoteCandidate[]): Promise<void>;
  /** Connectivity is lost (true) or back (false): the UI says "Reconnecting…" meanwhile. */
  recovering(lost: boolean): void;
  /** Gave up: end the call with connectivity-error. */
  giveUp(): void;
}

/** How a transport-info relates to the ICE generation in use. */
export type TransportInfoKind = "trickle" | "stale" | "restart-offer" | "restart-answer";

interface Attempt {
  /** Our local contents before the restart offer, restored if it is refused. */
  previousLocal: readonly JingleContent[];
  /** The peer acknowledged the offer (iq result): an answer may now be waited for, or given up on. */
  acked: boolean;
}

const same = (a: IceCredentials | undefined, b: IceCredentials) => a?.ufrag === b.ufrag && (a.pwd === undefined || b.pwd === undefined || a.pwd === b.pwd);
const key = (c: IceCredentials) => c.ufrag;

export class IceRestart {
  readonly #host: IceRestartPort;
  readonly #n: NegotiationState;
  /** The remote credentials of the generation in use, updated as soon as a restart is taken (before it is applied). */
  #remoteCredentials: Map<string, IceCredentials> | undefined;
  /** Remote ufrags of earlier generations: their late candidates are acknowledged and dropped. */
  readonly #retired = new Set<string>();
  /** Our restart offer, until its answer (or refusal). */
  #ours: Attempt | undefined;
  /** The peer refused a restart (an error other than tie-break): it cannot do them. */
  #peerRefused = false;
  /** A restart was asked for because the device changed networks (networkChanged). */
  #proactive = false;
  #lostAt: number | undefined;
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #restartAt = Infinity;
  #attemptTimer: ReturnType<typeof setTimeout> | undefined;
  #giveUpTimer: ReturnType<typeof setTimeout> | undefined;
  /** Restarts made or taken in this call (diagnostics, tests). */
  restarts = 0;

  constructor(port: IceRestartPort) {
    this.#host = port;
    this.#n = port.negotiation;
  }

  /** Connectivity is lost and being recovered. */
  get recovering(): boolean {
    return this.#lostAt !== undefined;
  }

  // ——— Local ICE state: when to restart ———

  onIceState(state: IceState): void {
    if (state === "connected" || state === "completed") {
      this.#clearTimers();
      this.#peerRefused = false;
      if (this.#lostAt !== undefined) {
        this.#lostAt = undefined;
        this.#host.recovering(false);
      }
      return;
    }
    if ((state !== "disconnected" && state !== "failed") || !this.#host.connectedOnce() || this.#host.ended()) return;
    if (this.#lostAt === undefined) {
      this.#lostAt = Date.now();
      this.#giveUpTimer = setTimeout(() => this.#giveUp(), this.#host.timeouts.iceGiveUpMs);
      this.#host.recovering(true);
    }
    const { iceDisconnectedMs, iceResponderDelayMs } = this.#host.timeouts;
    const delay = (state === "failed" ? 0 : iceDisconnectedMs) + (this.#n.role === "responder" ? iceResponderDelayMs : 0);
    this.#scheduleRestart(delay);
  }

  /**
   * The device changed networks (the browser's `online`, a Network Information `change`): the
   * path ICE uses may be gone before ICE notices it (seconds of silence). A connected call
   * restarts now (the responder after its wait, so the two seldom cross); media keeps flowing
   * on the old pair, if it still works, until the new one is chosen.
   */
  networkChanged(): void {
    if (!this.#host.active() || !this.#host.connectedOnce() || this.#host.ended()) return;
    this.#proactive = true;
    this.#scheduleRestart(this.#n.role === "responder" ? this.#host.timeouts.iceResponderDelayMs : 0);
  }

  /** The call ended: no timer may outlive it. */
  stop(): void {
    this.#clearTimers();
  }

  #scheduleRestart(delayMs: number) {
    const at = Date.now() + delayMs;
    if (at >= this.#restartAt) return;
    clearTimeout(this.#restartTimer);
    this.#restartAt = at;
    this.#restartTimer = setTimeout(() => {
      this.#restartAt = Infinity;
      this.#restart();
    }, delayMs);
  }

  #armAttempt() {
    clearTimeout(this.#attemptTimer);
    this.#attemptTimer = setTimeout(() => this.#attemptTimedOut(), this.#host.timeouts.iceRestartAttemptMs);
  }

  /**
   * A restart did not bring ICE back in time: our offer, if acknowledged but never answered
   * (Dino acks a restart offer and ignores it), is dropped, and while the path is still lost
   * another restart follows. An offer not even acknowledged yet (signaling down) is waited for.
   */
  #attemptTimedOut() {
    if (this.#host.ended()) return;
    const ours = this.#ours;
    if (ours && !ours.acked) {
      this.#armAttempt();
      return;
    }
    if (ours) {
      this.#ours = undefined;
      this.#host.enqueue(() => this.#abandon(ours));
    }
    if (this.recovering) this.#scheduleRestart(0);
  }

  #giveUp() {
    if (this.#host.ended() || !this.recovering) return;
    this.#clearTimers();
    this.#host.giveUp();
  }

  #clearTimers() {
    clearTimeout(this.#restartTimer);
    clearTimeout(this.#attemptTimer);
    clearTimeout(this.#giveUpTimer);
    this.#restartTimer = this.#attemptTimer = this.#giveUpTimer = undefined;
    this.#restartAt = Infinity;
  }

  // ——— Our restart ———

  #restart() {
    const wanted = this.recovering || this.#proactive;
    this.#proactive = false;
    if (!wanted || !this.#host.active() || this.#host.ended() || this.#ours || this.#peerRefused) return;
    if (this.#host.negotiating()) {
      // A content-add is in flight: try again once it had time to settle.
      this.#armAttempt();
      return;
    }
    const attempt: Attempt = { previousLocal: this.#n.local, acked: false };
    this.#ours = attempt;
    this.#armAttempt();
    this.#host.enqueue(async () => {
      if (this.#ours !== attempt || this.#host.ended()) return;
      const peer = await this.#host.requirePeer();
      this.#n.hold(true);
      this.#n.newIceGeneration();
      peer.setIceServers(this.#host.iceServers());
      const offer = await peer.restartIce();
      if (this.#ours !== attempt || this.#host.ended()) return;
      const local = sdpToSession(offer, { role: this.#n.role }).session.contents;
      this.#n.setLocal(local);
      this.restarts += 1;
      this.#host.sendJingle({ action: "transport-info", session: credentialsSession(local) }).then(
        () => {
          attempt.acked = true;
          // Conversations takes candidates only after it acknowledged the offer.
          if (this.#ours === attempt) this.#n.hold(false);
        },
        (error: unknown) => {
          attempt.acked = true;
          // Tie-break: the initiator's crossing offer wins; we answer it (receiveOffer).
          if (isTieBreak(error) || this.#ours !== attempt) return;
          this.#ours = undefined;
          this.#peerRefused = true;
          this.#host.enqueue(() => this.#abandon(attempt));
        },
      );
    });
  }

  /** Back to the description before our offer (refused, crossed, or never answered). */
  async #abandon(attempt: Attempt) {
    if (this.#host.ended()) return;
    await (await this.#host.requirePeer()).rollback();
    this.#n.setLocal(attempt.previousLocal);
    this.#n.hold(false);
  }

  #current(): Map<string, IceCredentials> {
    return (this.#remoteCredentials ??= credentialsOf(this.#n.remote));
  }

  /** The remote description of an ICE restart: agreed contents with the new credentials, the peer's DTLS role restated. */
  #restartSdp(credentials: ReadonlyMap<string, IceCredentials>, answer: boolean): { sdp: string; remote: JingleSession } {
    const agreed = this.#n.remote;
    if (!agreed) throw JingleErrors.outOfOrder();
    const remote = withCredentials(agreed, credentials);
    return { sdp: this.#n.remoteSdp(remote, answer), remote };
  }

  // ——— The peer's transport-info ———

  /**
   * The peer's transport-info: candidates of the generation in use go to the browser (on the queue,
   * after their description); new credentials are a restart offer or the answer to ours; the end of a
   * retired generation is acknowledged and dropped.
   */
  receiveTransportInfo(request: JingleRequest, candidates: readonly RemoteCandidate[]): void {
    switch (this.#classify(request, candidates.length)) {
      case "restart-offer":
        return this.#receiveOffer(request);
      case "restart-answer":
        return this.#receiveAnswer(request, candidates);
      case "stale":
        // Candidates of an ICE generation the restart replaced: acknowledged, of no use.
        return;
      default:
        this.#n.countRemote(candidates, true);
        this.#host.enqueue(() => this.#host.addCandidates(candidates));
    }
  }

  /**
   * Which generation a transport-info belongs to. Only an active call restarts; before that (a
   * caller trickling while we ring) every transport-info is trickle.
   */
  #classify(request: JingleRequest, candidates: number): TransportInfoKind {
    if (!this.#host.active() || !this.#n.remote) return "trickle";
    const stated = sessionCredentials(request.session());
    const current = this.#current();
    const known = [...stated].filter(([name]) => current.has(name));
    if (known.length === 0 || known.every(([name, c]) => same(current.get(name), c))) return "trickle";
    // An earlier generation: its late candidates go to the browser, which drops them; an empty one
    // (end of candidates) must not be taken for a restart back to old credentials.
    if (known.some(([, c]) => this.#retired.has(key(c)))) return candidates === 0 ? "stale" : "trickle";
    if (known.some(([, c]) => c.pwd === undefined)) throw JingleErrors.badRequest("an ICE restart needs the new pwd with the new ufrag (XEP-0176 §5.2)");
    if (candidates === 0) return "restart-offer";
    return this.#ours ? "restart-answer" : "trickle";
  }

  /**
   * The peer restarts ICE (new credentials, no candidate). Checked now (a crossing offer of ours:
   * the initiator's wins, XEP-0166 §10), answered on the queue; our candidates of the new
   * generation are the answer.
   */
  #receiveOffer(request: JingleRequest): void {
    if (this.#host.negotiating()) throw JingleErrors.tieBreak();
    const crossing = this.#ours;
    if (crossing && this.#n.role === "initiator") throw JingleErrors.tieBreak();
    const credentials = sessionCredentials(request.session());
    this.#n.newIceGeneration();
    this.#ours = undefined;
    // The peer's restart is the one: ours, scheduled, would only cross it.
    clearTimeout(this.#restartTimer);
    this.#restartAt = Infinity;
    this.#proactive = false;
    this.#takeGeneration(credentials);
    this.#host.enqueue(async () => {
      const peer = await this.#host.requirePeer();
      // We are the responder: our crossing offer yields to the initiator's.
      if (crossing) await peer.rollback();
      this.#n.hold(false);
      peer.setIceServers(this.#host.iceServers());
      const { sdp, remote } = this.#restartSdp(credentials, false);
      const answer = await peer.answer(sdp);
      this.#n.agree(remote);
      this.#n.setLocal(sdpToSession(answer, { role: this.#n.role, answer: true }).session.contents);
      this.restarts += 1;
      if (this.recovering) this.#armAttempt();
    });
  }

  /** The answer to our restart offer: the peer's new credentials with its first candidates. */
  #receiveAnswer(request: JingleRequest, candidates: readonly RemoteCandidate[]): void {
    const attempt = this.#ours;
    if (!attempt) throw JingleErrors.outOfOrder();
    const credentials = sessionCredentials(request.session());
    this.#takeGeneration(credentials);
    this.#n.countRemote(candidates, true);
    this.#ours = undefined;
    this.#host.enqueue(async () => {
      const { sdp, remote } = this.#restartSdp(credentials, true);
      await (await this.#host.requirePeer()).applyAnswer(sdp);
      this.#n.agree(remote);
      this.#n.hold(false);
      await this.#host.addCandidates(candidates);
    });
  }

  /** From now on transport-infos are read against these credentials; the previous ones are stale. */
  #takeGeneration(credentials: ReadonlyMap<string, IceCredentials>) {
    const current = this.#current();
    for (const c of current.values()) this.#retired.add(key(c));
    const agreed = this.#n.remote;
    this.#remoteCredentials = credentialsOf(agreed ? withCredentials(agreed, credentials) : undefined);
    // The earlier generation is retired, but not the one just taken (a peer may reuse nothing, but be safe).
    for (const c of this.#remoteCredentials.values()) this.#retired.delete(key(c));
  }

  /** The agreed contents changed (content-add/-accept): their credentials are read afresh. */
  remoteChanged(): void {
    const fresh = credentialsOf(this.#n.remote);
    if (this.#remoteCredentials) for (const [name, c] of fresh) if (!this.#remoteCredentials.has(name)) this.#remoteCredentials.set(name, c);
  }
}

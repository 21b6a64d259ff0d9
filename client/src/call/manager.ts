import { JingleCodecError, sessionToSdp, type JingleRequest } from "../jingle/index.js";
import { bareJid } from "../xmpp/connection.js";
import { TypedEmitter } from "../xmpp/emitter.js";
import { randomId } from "../xmpp/ids.js";
import { fromOwnAccount, type JmiMessage } from "../xmpp/jmi.js";
import { codecStanzaError, JingleErrors } from "./jingle-errors.js";
import { CALL_LIMITS } from "./limits.js";
import type { PeerFactory } from "./peer.js";
import type { OfferShape } from "./target.js";
import { CallSession, type CallSignaling, type CallTimeouts } from "./session.js";
import { isJingleAction, type CallMedia, type JingleReason } from "./states.js";

export interface CallPolicy {
  /** Whether a bare JID shares presence with us (roster subscription from/both or to/both). */
  isTrusted(bare: string): boolean;
  /** Opt-in: let anyone ring us (and receive our ICE candidates, which reveal our IPs). */
  allowStrangers: boolean;
}

export interface CallManagerOptions {
  signaling: CallSignaling;
  createPeer: PeerFactory;
  iceServers: () => readonly RTCIceServer[];
  policy: CallPolicy;
  relayOnly?: () => boolean;
  timeouts?: Partial<CallTimeouts>;
  newId?: () => string;
}

export type CallManagerEvents = {
  /** A call was created (outgoing or incoming). */
  call: [call: CallSession];
  /** Every JMI message seen, sent or received (the call history reads these). */
  jmi: [message: JmiMessage, outgoing: boolean];
};

/**
 * Routes JMI messages and Jingle iqs to calls, creates incoming calls, and applies the
 * policy: one call at a time (others get busy), and only trusted contacts may ring.
 */
export class CallManager extends TypedEmitter<CallManagerEvents> {
  readonly #o: CallManagerOptions;
  readonly #calls = new Map<string, CallSession>();
  /** Sids of ended calls no longer in #calls: still unknown-session to any iq (XEP-0166 §6.7). Oldest first. */
  readonly #endedSids = new Set<string>();

  constructor(options: CallManagerOptions) {
    super();
    const { signaling } = options;
    // Every JMI message we send is also history (XEP-0353 messages are what MAM keeps).
    const observed: CallSignaling = {
      get jid() {
        return signaling.jid;
      },
      sendJingle: (to, jingle) => signaling.sendJingle(to, jingle),
      sendJmi: (to, jmi) => {
        const media = jmi.action === "propose" ? [...(jmi.media ?? ["audio"])] : [];
        this.emit("jmi", { action: jmi.action, id: jmi.id, from: signaling.jid, to, media, reason: jmi.reason, sentCarbon: false }, true);
        return signaling.sendJmi(to, jmi);
      },
    };
    this.#o = { ...options, signaling: observed };
  }

  /** Our full JID. */
  get jid(): string {
    return this.#o.signaling.jid;
  }

  /** The call not yet ended, if any. */
  get current(): CallSession | undefined {
    return [...this.#calls.values()].find((c) => !c.ended);
  }

  get calls(): readonly CallSession[] {
    return [...this.#calls.values()];
  }

  /**
   * Starts an outgoing call. To a bare JID all the contact's devices ring through XEP-0353; to
   * a full JID (a device without JMI, see chooseCallTarget) session-initiate goes straight to it.
   * `shape`: what every device it goes to takes (offerShape): a BUNDLE group, shared feedback.
   */
  async call(peer: string, media: readonly CallMedia[], shape: Partial<OfferShape> = {}): Promise<CallSession> {
    if (this.current) throw new Error("already in a call");
    const direct = peer.includes("/");
    const call = this.#create({ id: this.#newId(), direction: "outgoing", peer: direct ? peer : bareJid(peer), media, direct, ...shape });
    if (direct) await call.initiateDirect();
    else await call.propose();
    return call;
  }

  /** The device changed networks: calls under way look for a new path at once. */
  networkChanged(): void {
    for (const call of this.#calls.values()) call.networkChanged();
  }

  /**
   * The page is going away (pagehide): every call this device takes part in ends for the peer
   * now (session-terminate, JMI retract or finish) instead of when its ICE times out. A call that
   * only rings here is left alone: the user's other devices keep ringing (XEP-0353 §3.2).
   */
  leave(): void {
    for (const call of this.#calls.values()) if (!call.ended && call.state !== "incoming") void call.hangUp();
  }

  /** Feed every incoming message stanza. */
  /** Feed every XEP-0353 message (read at the edge, xmpp/jmi.ts, carbons unwrapped). */
  handleJmi(message: JmiMessage): void {
    const own = bareJid(this.#o.signaling.jid);
    // XEP-0353 messages come from devices: one from a bare JID (a server's, or forged) acts on no call.
    if (message.from === this.#o.signaling.jid || !message.from.includes("/")) return;
    const ownDevice = fromOwnAccount(message, own);
    this.emit("jmi", message, ownDevice);
    this.#prune();
    const existing = this.#calls.get(message.id);
    if (existing) {
      existing.handleJmi(message, ownDevice);
      return;
    }
    // Stale messages from offline storage or a late delivery, or a call already over, must not ring now.
    if (message.action !== "propose" || ownDevice || message.delayedAt !== undefined || this.#endedSids.has(message.id)) return;
    this.#incomingPropose(message);
  }

  /**
   * Feed every Jingle iq set; returns normally for an ack, throws the XEP-0166 error.
   * (XmppConnection.handleIq turns a thrown StanzaError into the iq error.)
   */
  handleJingle(from: string, request: JingleRequest): void {
    const { action, sid } = request;
    // XEP-0166 §7.1, §7.2: a request without a defined action or without a sid is malformed,
    // whichever session it names; checked before the sid is looked up.
    if (!isJingleAction(action)) throw JingleErrors.badRequest(`no Jingle action '${action ?? ""}'`);
    if (!sid) throw JingleErrors.badRequest("no sid");
    this.#prune();
    if (this.#endedSids.has(sid)) throw JingleErrors.unknownSession();
    const call = this.#calls.get(sid);
    if (call) {
      // A session's parties are devices (full JIDs, §7.1). Before a device proceeds (XEP-0353)
      // an outgoing call knows only the callee's bare JID, which is no party to the session.
      if (!from.includes("/")) throw JingleErrors.unknownSession();
      call.handleJingle(from, request);
      return;
    }
    if (action !== "session-initiate") throw JingleErrors.unknownSession();
    this.#incomingInitiate(from, sid, request);
  }

  /**
   * A session-initiate for a new sid, without JMI (StanzaJS-style peers), XEP-0166 §6.3: checked
   * with the codec, then the caller; a malformed one or a stranger's gets an iq error (§6.3.2),
   * so a stranger never rings and never sees our candidates. Acked, it is refused by
   * session-terminate when we are busy or cannot use it (§6.3.3), or it rings.
   */
  #incomingInitiate(from: string, sid: string, request: JingleRequest) {
    let unsupported: JingleReason | undefined;
    try {
      sessionToSdp(request.session(), { role: "responder", answer: false, sid });
    } catch (error) {
      if (!(error instanceof JingleCodecError && error.condition === "feature-not-implemented" && error.terminateReason)) throw codecStanzaError(error);
      unsupported = error.terminateReason;
    }
    if (!this.mayRing(from)) throw JingleErrors.serviceUnavailable();
    const refusal = this.current ? "busy" : unsupported;
    if (refusal) {
      void this.#o.signaling.sendJingle(from, { action: "session-terminate", sid, reason: refusal }).catch(() => undefined);
      return;
    }
    const media = request
      .session()
      .contents.map((c) => c.description?.media)
      .filter((m): m is CallMedia => m === "audio" || m === "video");
    const incoming = this.#create({ id: sid, direction: "incoming", peer: from, media, initiate: request });
    void incoming.ring();
  }

  /**
   * Ended calls leave the list after a grace period, or when more than a few have piled up;
   * their sids stay known as ended (bounded, oldest forgotten first) for late iqs (§6.7).
   */
  #prune(now = Date.now()) {
    const ended = [...this.#calls.values()].filter((c) => c.ended);
    ended.forEach((call, i) => {
      const expired = now - (call.endedAt ?? now) > CALL_LIMITS.endedGraceMs;
      if (!expired && ended.length - i <= CALL_LIMITS.endedCalls) return;
      this.#calls.delete(call.id);
      this.#endedSids.add(call.id);
    });
    for (const sid of this.#endedSids) {
      if (this.#endedSids.size <= CALL_LIMITS.endedSids) break;
      this.#endedSids.delete(sid);
    }
  }

  #incomingPropose(message: JmiMessage) {
    const reply = (reason: "busy") => {
      void this.#o.signaling.sendJmi(message.from, { action: "reject", id: message.id, reason }).catch(() => undefined);
    };
    // A stranger's propose is dropped unanswered: a reject from this device would tell him we are
    // online and under which resource (presence is for contacts).
    if (!this.mayRing(message.from)) return;
    if (this.current) return reply("busy");
    const media: CallMedia[] = message.media.length > 0 ? message.media : ["audio"];
    const call = this.#create({ id: message.id, direction: "incoming", peer: message.from, media });
    void call.ring();
  }

  /** Whether this JID may ring us (and see our candidates): a contact, or anyone if the user allows strangers. */
  mayRing(from: string): boolean {
    return this.#o.policy.allowStrangers || this.#o.policy.isTrusted(bareJid(from));
  }

  #create(o: { id: string; direction: "outgoing" | "incoming"; peer: string; media: readonly CallMedia[]; initiate?: JingleRequest; direct?: boolean } & Partial<OfferShape>): CallSession {
    this.#prune();
    const call = new CallSession({
      ...o,
      signaling: this.#o.signaling,
      createPeer: this.#o.createPeer,
      iceServers: this.#o.iceServers,
      relayOnly: this.#o.relayOnly?.() ?? false,
      timeouts: this.#o.timeouts,
    });
    this.#calls.set(o.id, call);
    this.emit("call", call);
    return call;
  }

  #newId(): string {
    return this.#o.newId?.() ?? randomId();
  }
}

// The first offer/answer of a call (XEP-0166 §6.2–6.3, XEP-0167): our session-initiate from the
// offer prepared while the callee's devices rang, or our session-accept to the peer's
// session-initiate; then what was agreed goes to NegotiationState. The session owns the state
// and the queue; this module does the description work through a small port.
import {
  alignAnswerToOffer,
  hoistSessionFeedback,
  sdpToSession,
  type JingleReason,
  type JingleRequest,
  type JingleSession,
  type OutgoingJingle,
} from "../jingle/index.js";
import { JingleErrors } from "./jingle-errors.js";
import type { LocalTrickle } from "./local-trickle.js";
import type { MediaLink } from "./media-link.js";
import type { NegotiationState } from "./negotiation.js";
import type { RemoteReader } from "./remote-reader.js";
import { isTerminal, type CallMedia, type CallState } from "./states.js";

/** What the offer/answer needs of its call (CallSession implements it). */
export interface OfferAnswerPort {
  /** The JMI id, also the Jingle sid (XEP-0353 §3.1). */
  readonly id: string;
  /** The media the call was proposed with (XEP-0353 §3.1). */
  readonly media: readonly CallMedia[];
  /** The peer reads description-level feedback (XEP-0293 §3): our offer writes the shared set once. */
  readonly sharedFeedback: boolean;
  /** Our full JID (the initiator or responder attribute). */
  ownJid(): string;
  /** The peer device's full JID. */
  peer(): string;
  state(): CallState;
  transition(to: CallState): void;
  /** Runs a task on the call's one-action-at-a-time queue. */
  enqueue(task: () => Promise<void>): void;
  /** Sends session-initiate/accept to the peer's device; resolves on its result. */
  send(jingle: OutgoingJingle): Promise<void>;
  /** The peer's offer cannot be taken: the call ends with this reason. */
  fail(reason: JingleReason, problem: string): void;
}

/** The call's parts the offer/answer works with. */
export interface OfferAnswerParts {
  readonly negotiation: NegotiationState;
  readonly trickle: LocalTrickle;
  readonly reader: RemoteReader;
  readonly link: MediaLink;
}

export class OfferAnswer {
  readonly #port: OfferAnswerPort;
  readonly #p: OfferAnswerParts;
  /** Our offer, made while the callee's devices ring. */
  #offer: Promise<string> | undefined;
  /** Incoming without JMI: the session-initiate our user has not answered yet. */
  readonly #waiting: JingleRequest | undefined;

  constructor(port: OfferAnswerPort, parts: OfferAnswerParts, waiting: JingleRequest | undefined) {
    this.#port = port;
    this.#p = parts;
    this.#waiting = waiting;
  }

  /**
   * Outgoing: the camera opens and the offer is made while the callee's devices ring (a preview,
   * as calling apps do), so session-initiate leaves as soon as the callee answers. Nothing (no
   * candidate) is sent before.
   */
  prepareOffer(): void {
    this.#offer = this.#p.link.start(true).then((peer) => peer.offer());
    this.#offer.catch(() => undefined);
  }

  /** Sends session-initiate with our offer (queued by the session). */
  async initiate(): Promise<void> {
    const peer = await this.#p.link.require();
    const sdp = await (this.#offer ?? peer.offer());
    await this.#p.trickle.firstCandidates();
    if (isTerminal(this.#port.state())) return;
    const offer = sdpToSession(sdp, { role: "initiator" }).session;
    this.#p.negotiation.setLocal(offer.contents);
    if (this.#port.state() === "proceeded") this.#port.transition("initiated");
    // The peer's answer then hoists its own feedback as well (alignAnswerToOffer).
    const session = this.#port.sharedFeedback ? hoistSessionFeedback(offer) : offer;
    await this.#sendSignalled({ action: "session-initiate", sid: this.#port.id, initiator: this.#port.ownJid(), session });
  }

  /** The peer's session-initiate, after the device that answered our proceed (or a direct call we accepted). */
  receiveOffer(request: JingleRequest): void {
    this.#checkMedia(request);
    this.#answer(request);
  }

  /** Incoming without JMI: our user answered the session-initiate that rang. */
  answerWaiting(): void {
    if (this.#waiting) this.#answer(this.#waiting);
  }

  /**
   * The peer's session-accept: its answer goes to the browser first, then the candidates it
   * carried and those it trickled before the answer was in (RemoteReader.answer says why).
   */
  receiveAnswer(request: JingleRequest): void {
    const { reader, negotiation, link } = this.#p;
    const { sdp, candidates } = reader.answer(request);
    const remote = reader.session(request, true);
    this.#port.transition("active");
    this.#port.enqueue(async () => {
      await (await link.require()).applyAnswer(sdp);
      negotiation.established(negotiation.local, remote, false);
      await link.addCandidates(candidates);
    });
  }

  #answer(request: JingleRequest) {
    const { reader, negotiation, link } = this.#p;
    const sdp = reader.offer(request);
    const offer = reader.session(request, true);
    this.#port.transition("accepting");
    this.#port.enqueue(async () => {
      const answer = await (await link.require()).answer(sdp);
      negotiation.established(sdpToSession(answer, { role: "responder" }).session.contents, offer, true);
      // No wait for our first candidates: session-accept is on the critical path of both sides'
      // DTLS, and the caller learns our address from our checks (peer-reflexive, RFC 8445
      // §7.3.1.3) before our transport-info arrives. Those already gathered ride inline.
      if (isTerminal(this.#port.state())) return;
      // Dino compares our accept's payload types to its offer, parameters included (jingle/align.ts).
      const session = alignAnswerToOffer(sdpToSession(answer, { role: "responder", answer: true }).session, offer);
      this.#port.transition("active");
      // The caller's inline candidates went in with its offer (a=candidate lines, one operation).
      // Those it trickled while we rang go to the browser only once session-accept is out:
      // Chromium's addIceCandidate holds the page's thread while its network thread gathers ours,
      // which delayed our first candidates and the accept by ~50 ms. Adding the inline ones again
      // cost the callee's page ≈ 90 ms of such waits per call (BENCH_PROFILE) for nothing.
      const accepted = this.#sendSignalled({ action: "session-accept", sid: this.#port.id, initiator: this.#port.peer(), responder: this.#port.ownJid(), session });
      await Promise.all([accepted, link.addEarlyCandidates()]);
    });
  }

  /** XEP-0353: the session-initiate starts the call that was proposed, so it carries the proposed media. */
  #checkMedia(request: JingleRequest) {
    const offered = new Set(this.#p.reader.session(request, true).contents.map((c) => c.description?.media).filter(Boolean));
    const proposed = new Set(this.#port.media);
    if (offered.size !== proposed.size || [...offered].some((m) => !proposed.has(m as CallMedia))) {
      this.#port.fail("security-error", "The caller started a different kind of call than it announced.");
      throw JingleErrors.badRequest("media differs from the proposal");
    }
  }

  /**
   * Sends session-initiate/accept with the candidates gathered so far (XEP-0176 §6.1 allows
   * them there), then trickles the rest without waiting for the ack: RFC 6120 §10.1 keeps
   * our stanzas to one peer in order, so a transport-info cannot overtake its session.
   */
  async #sendSignalled(jingle: { action: "session-initiate" | "session-accept"; sid: string; initiator: string; responder?: string; session: JingleSession }) {
    const sent = this.#port.send({ ...jingle, session: this.#p.trickle.withInline(jingle.session) });
    this.#p.trickle.signalled();
    await sent;
  }
}

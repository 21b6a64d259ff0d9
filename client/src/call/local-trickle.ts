// Our ICE candidates on their way to the peer (XEP-0176 §6.1): the first ones ride inline in
// session-initiate/accept, the rest trickle in short batches, one transport-info per content.
import { placeCandidates, type IceCandidateInit, type JingleBody, type JingleSession } from "../jingle/index.js";
import { withInlineCandidates } from "./contents.js";
import type { NegotiationState } from "./negotiation.js";

/** The longest session-initiate/accept waits for a first candidate (relay-only gathering is slower). */
const FIRST_CANDIDATES_MAX_MS = 20;

export interface LocalTricklePort {
  readonly negotiation: NegotiationState;
  /** Candidates gathered within this window go out together (CallTimeouts.trickleBatchMs). */
  readonly batchMs: number;
  ended(): boolean;
  send(jingle: JingleBody): Promise<void>;
  /** The peer refused one of our transport-infos: reported, never swallowed. */
  failed(error: unknown): void;
}

export class LocalTrickle {
  readonly #port: LocalTricklePort;
  readonly #n: NegotiationState;
  /** Our session-initiate/accept is out: candidates may follow in transport-info. */
  #signalled = false;
  /** The browser's first gathering is complete. */
  #gathered = false;
  #firstCandidate: (() => void) | undefined;
  #batchTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(port: LocalTricklePort) {
    this.#port = port;
    this.#n = port.negotiation;
  }

  /** Our session-initiate/accept has gone out (the peer knows the session). */
  get isSignalled(): boolean {
    return this.#signalled;
  }

  /** A candidate from the browser (null: gathering complete). */
  onCandidate(candidate: IceCandidateInit | null): void {
    if (this.#port.ended()) return;
    if (candidate) this.#n.gathered(candidate);
    else this.#gathered = true;
    this.#firstCandidate?.();
    if (candidate && this.#signalled) this.schedule();
  }

  /**
   * For our session-initiate (the callee's session-accept does not wait: OfferAnswer). Resolves
   * at once when candidates are already in (gathered while ringing, or from the peer
   * connection's candidate pool): session-initiate is on the critical path of the call
   * setup and must not wait for more (a 5 ms settle became ~90 ms on a loaded
   * machine). Only when none is in yet does it wait for the first burst, briefly.
   */
  firstCandidates(): Promise<void> {
    if (this.#gathered || this.#n.hasPendingLocal) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.#firstCandidate = undefined;
        resolve();
      };
      const timer = setTimeout(done, FIRST_CANDIDATES_MAX_MS);
      // The rest of the same burst is delivered in the tasks right behind the first candidate.
      this.#firstCandidate = () => setTimeout(done, 0);
    });
  }

  /** Our session-initiate/accept with the candidates gathered so far inline. */
  withInline(session: JingleSession): JingleSession {
    return withInlineCandidates(session, this.placed(this.#n.takeLocal()));
  }

  /** Our session-initiate/accept has gone out: the rest trickle. */
  signalled(): void {
    this.#signalled = true;
    if (this.#n.hasPendingLocal) this.schedule();
  }

  /** Local candidates placed in our contents (null when none survives the TCP/mDNS filter). */
  placed(batch: readonly IceCandidateInit[]): JingleSession | null {
    return batch.length === 0 ? null : placeCandidates(batch, { contents: this.#n.local });
  }

  schedule(): void {
    this.#batchTimer ??= setTimeout(() => this.#flush(), this.#port.batchMs);
  }

  stop(): void {
    clearTimeout(this.#batchTimer);
  }

  /**
   * The candidates of one short window go out, one transport-info per content: Dino processes a
   * single content per transport-info and refuses the whole iq otherwise (feature-not-implemented),
   * and every client takes one.
   */
  #flush() {
    clearTimeout(this.#batchTimer);
    this.#batchTimer = undefined;
    if (!this.#signalled || this.#port.ended() || this.#n.holding) return;
    const batch = this.#n.takeLocal();
    for (const mid of new Set(batch.map((c) => c.sdpMid))) {
      const session = this.placed(batch.filter((c) => c.sdpMid === mid));
      if (session) void this.#port.send({ action: "transport-info", session }).catch((error: unknown) => this.#port.failed(error));
    }
  }
}

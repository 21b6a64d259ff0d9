// What the peer's Jingle requests carry, read for the browser: descriptions and candidates, with
// the codec's refusals turned into the iq errors XEP-0166 prescribes. A session-initiate/accept
// the codec refuses also ends the call, with the codec's reason (§6.3.3); anything else refused
// is answered and the call goes on.
import { JingleCodecError, sessionCandidates, sessionToSdp, type JingleReason, type JingleRequest, type JingleSession, type RemoteCandidate } from "../jingle/index.js";
import type { StanzaError } from "../xmpp/errors.js";
import { withoutCandidates } from "./contents.js";
import { codecStanzaError, JingleErrors } from "./jingle-errors.js";
import type { NegotiationState } from "./negotiation.js";

export class RemoteReader {
  readonly #n: NegotiationState;
  /** A session-initiate/accept this client cannot use: the call ends with this reason. */
  readonly #fail: (reason: JingleReason, problem: string) => void;

  constructor(negotiation: NegotiationState, fail: (reason: JingleReason, problem: string) => void) {
    this.#n = negotiation;
    this.#fail = fail;
  }

  /** The contents of a request. `ends`: a session-initiate/accept the codec refuses ends the call; a bad content-add/-accept is only refused. */
  session(request: JingleRequest, ends: boolean): JingleSession {
    try {
      return request.session();
    } catch (error) {
      throw this.#codecError(error, ends);
    }
  }

  /**
   * The peer's session-initiate as SDP for the browser, its candidates inline as a=candidate
   * lines (counted against the session cap): on the callee's page one addIceCandidate each held
   * the page's thread (OfferAnswer). One the codec refuses ends the call.
   */
  offer(request: JingleRequest): string {
    let sdp: string;
    try {
      sdp = sessionToSdp(request.session(), { role: this.#n.role, answer: false, sid: request.sid });
    } catch (error) {
      throw this.#codecError(error, true);
    }
    this.inlineIn(request.session());
    return sdp;
  }

  /**
   * The peer's session-accept as SDP without its candidates, and those candidates (counted against
   * the session cap) for the browser once the answer is in. Chromium resolves setRemoteDescription
   * only after its network thread has taken every a=candidate line, and the caller's DTLS (and
   * so the callee's) waits for that answer: ≈ 40 ms less on the critical path per call (npm run
   * bench, "caller: session-accept → sRD done"). ICE has already begun from the callee's
   * checks (peer-reflexive, RFC 8445 §7.3.1.3), and JSEP §5.10 lets candidates follow the answer.
   */
  answer(request: JingleRequest): { sdp: string; candidates: RemoteCandidate[] } {
    let session: JingleSession;
    let sdp: string;
    try {
      session = request.session();
      sdp = sessionToSdp(withoutCandidates(session), { role: this.#n.role, answer: true, sid: request.sid });
    } catch (error) {
      throw this.#codecError(error, true);
    }
    return { sdp, candidates: this.inlineIn(session) };
  }

  /** Candidates inline in contents (a session-accept's, or those content-add/-accept agree), counted against the session cap. */
  inlineIn(session: JingleSession): RemoteCandidate[] {
    // Their m-line index is filled in when the browser takes them (NegotiationState.admitRemote).
    const candidates = sessionCandidates(session);
    this.#n.countRemote(candidates, false);
    return candidates;
  }

  /**
   * The candidates of a transport-info. One the codec refuses is answered and the call goes on:
   * a transport we do not know is information we do not understand (§6.8), not a reason to end.
   */
  trickled(request: JingleRequest): RemoteCandidate[] {
    try {
      return sessionCandidates(request.session(), this.#n.remoteMids);
    } catch (error) {
      if (error instanceof JingleCodecError && error.condition === "feature-not-implemented") throw JingleErrors.unsupportedInfo();
      throw codecStanzaError(error);
    }
  }

  #codecError(error: unknown, ends: boolean): StanzaError {
    if (ends && error instanceof JingleCodecError && error.terminateReason) {
      this.#fail(error.terminateReason, `The other side sent a description this client cannot use (${error.reason}).`);
    }
    return codecStanzaError(error);
  }
}

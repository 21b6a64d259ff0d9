// How a call ends: our user's hang-up in each phase (states.ts HANG_UP), a decline, session-terminate
// with its reason (XEP-0166 §7.2.16, §7.4) and then the JMI finish (XEP-0353 §3.5), and the peer's
// session-terminate read as a decline, a failure or a normal end. The session owns the state and
// `end()`; this module decides what to send, through a small port.
import type { JingleBody, JingleRequest } from "../jingle/index.js";
import { JingleErrors } from "./jingle-errors.js";
import type { Ringing } from "./ringing.js";
import { AWAITING_ACCEPT, canTransition, FAILURE_REASONS, HANG_UP, IN_SESSION, isTerminal, type CallState, type JingleReason } from "./states.js";

/** What ending a call needs of it (CallSession implements it). */
export interface EndingPort {
  state(): CallState;
  /** Ends the call locally: the state, the timers, the peer connection. */
  end(state: CallState, reason: JingleReason): void;
  /** Sends a Jingle request of this session to the peer; resolves on result, rejects with StanzaError. */
  sendJingle(jingle: JingleBody): Promise<void>;
  /** The peer refused one of our iqs: reported, never swallowed. */
  iqFailed(action: string, error: unknown): void;
}

export class Ending {
  readonly #port: EndingPort;
  /** The JMI side of ending: retract, decline, finish. */
  readonly #ringing: Ringing;

  constructor(port: EndingPort, ringing: Ringing) {
    this.#port = port;
    this.#ringing = ringing;
  }

  /** Our user hangs up, whatever the phase. */
  hangUp(): Promise<void> {
    switch (HANG_UP[this.#port.state()]) {
      case "retract":
        return this.#ringing.retract("cancel");
      case "decline":
        return this.decline();
      case "cancel":
        return this.terminate("cancel", "finished");
      case "success":
        return this.terminate("success", "finished");
      default:
        return Promise.resolve();
    }
  }

  /** Our user declines a call that rings here: by JMI, or by session-terminate to a direct caller. */
  async decline(): Promise<void> {
    const state = this.#port.state();
    if (state === "incoming") {
      await this.#ringing.decline();
    } else if (state === "incoming-session") {
      this.#port.end("rejected", "decline");
      await this.#port.sendJingle({ action: "session-terminate", reason: "decline" });
    }
  }

  /** session-terminate (if the session was signalled) and JMI finish, then the call is over here. */
  async terminate(reason: JingleReason, state: "finished" | "failed"): Promise<void> {
    if (isTerminal(this.#port.state())) return;
    const inSession = IN_SESSION.includes(this.#port.state());
    this.#port.end(state, reason);
    if (inSession) await this.#port.sendJingle({ action: "session-terminate", reason }).catch((error: unknown) => this.#port.iqFailed("session-terminate", error));
    await this.#ringing.finish(reason);
  }

  /** The peer's session-terminate; one the state table does not allow is out of order. */
  receive(request: JingleRequest): void {
    const state = this.#port.state();
    const reason = request.reason ?? "success";
    // The peer ended it because something broke (XEP-0166 §7.4): a failed call on this side too.
    const declined = AWAITING_ACCEPT.includes(state) && (reason === "decline" || reason === "busy");
    const to = declined ? "rejected" : FAILURE_REASONS.has(reason) ? "failed" : "finished";
    if (!canTransition(state, to)) throw JingleErrors.outOfOrder();
    this.#port.end(to, reason);
  }
}

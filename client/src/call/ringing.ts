// A call before it is answered: the XEP-0353 Jingle Message Initiation messages (propose, ringing,
// proceed, reject, retract, finish; accept and reject from our own devices) and the timers that
// give up on an answer that never comes, for calls rung through JMI and for direct ones. The session
// owns the state; this module decides what each message means in it and sends ours, through a
// small port.
import { bareJid } from "../xmpp/connection.js";
import type { JmiAction, JmiMessage, OutgoingJmi } from "../xmpp/jmi.js";
import type { CallTimeouts } from "./session-options.js";
import { JMI_ACCEPTED_IN, OWN_DEVICE_JMI_ACCEPTED_IN, RINGING_OUT, ANSWERED, isTerminal, type CallMedia, type CallState, type JingleReason } from "./states.js";

/** What ringing needs of its call (CallSession implements it). */
export interface RingingPort {
  /** The JMI id, also the Jingle sid (XEP-0353 §3.1). */
  readonly id: string;
  readonly media: readonly CallMedia[];
  readonly timeouts: Pick<CallTimeouts, "ringMs" | "incomingMs" | "proceedMs">;
  /** Our full JID: accept and reject also go to our own bare JID (XEP-0353 §3.2). */
  ownJid(): string;
  state(): CallState;
  /** The peer: its bare JID while our propose rings, the device once one proceeded or called us. */
  peer(): string;
  /** Sends a JMI message of this call; resolves once sent. */
  sendJmi(to: string, jmi: OutgoingJmi): Promise<void>;
  transition(to: CallState): void;
  /** Ends the call locally (nothing more is sent). */
  end(state: CallState, reason: JingleReason, problem?: string): void;
  /** Ends a call whose Jingle session is, or is about to be, under way: session-terminate, then finish. */
  terminate(reason: JingleReason): void;
  /** Tells a caller without JMI that we ring, in its Jingle session. */
  ringInSession(): Promise<void>;
  /** A device of the callee answered: the session goes on with it (session-initiate). */
  proceeded(device: string): void;
}

export class Ringing {
  readonly #port: RingingPort;
  /** The call rings through XEP-0353 (otherwise a direct session-initiate, and no finish). */
  readonly #jmi: boolean;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(port: RingingPort, jmi: boolean) {
    this.#port = port;
    this.#jmi = jmi;
  }

  /** Outgoing: rings all the callee's devices (XEP-0353 §3.1) until one answers or we retract. */
  async propose(): Promise<void> {
    const { id, media, timeouts } = this.#port;
    this.#arm(timeouts.ringMs, () => void this.retract("timeout"));
    await this.#port.sendJmi(this.#port.peer(), { action: "propose", id, media });
  }

  /** Outgoing to a device without XEP-0353: it rings until session-accept, or we give up (<timeout/>). */
  ringDirect(): void {
    this.#arm(this.#port.timeouts.ringMs, () => this.#port.terminate("timeout"));
  }

  /** Incoming: arms the missed-call timer and tells the caller we ring (Conversations waits for it). */
  async ring(): Promise<void> {
    this.#arm(this.#port.timeouts.incomingMs, () => this.#port.end("failed", "timeout"));
    // A caller without JMI hears it in the session (XEP-0167 §7.2.4 session-info <ringing/>).
    if (this.#port.state() === "incoming") await this.#send(this.#port.peer(), "ringing");
    else await this.#port.ringInSession();
  }

  /** Incoming, our user answered: accept to our own bare JID stops our other devices, proceed to the caller (§3.2). */
  async accept(): Promise<void> {
    this.#arm(this.#port.timeouts.proceedMs, () => this.#port.end("failed", "timeout", "The caller did not start the call."));
    await this.#send(bareJid(this.#port.ownJid()), "accept");
    await this.#send(this.#port.peer(), "proceed");
  }

  /** Incoming, our user declined: to the caller, and to our own devices so they stop ringing (§3.2). */
  async decline(): Promise<void> {
    this.#port.end("rejected", "decline");
    await this.#send(this.#port.peer(), "reject", "decline");
    await this.#send(bareJid(this.#port.ownJid()), "reject", "decline");
  }

  /** Outgoing, no device proceeded yet: the proposal is withdrawn from all of them (§3.3). */
  async retract(reason: JingleReason): Promise<void> {
    if (!RINGING_OUT.includes(this.#port.state())) return;
    this.#port.end("retracted", reason);
    await this.#send(bareJid(this.#port.peer()), "retract", reason);
  }

  /** The session ended: the device in it hears finish (§3.5); a direct call has no JMI to finish. */
  async finish(reason: JingleReason): Promise<void> {
    const peer = this.#port.peer();
    if (this.#jmi && peer.includes("/")) await this.#send(peer, "finish", reason);
  }

  /** The call's state changed: the timers wait for an answer, so they stop once it is answered or over. */
  changed(state: CallState): void {
    if (ANSWERED.includes(state) || isTerminal(state)) this.#stop();
  }

  /** A XEP-0353 message of this call, from the peer or from one of our own devices. */
  handle(message: JmiMessage, fromOwnDevice: boolean): void {
    if (fromOwnDevice) return this.#fromOwnDevice(message.action);
    const state = this.#port.state();
    if (bareJid(message.from) !== bareJid(this.#port.peer())) return;
    if (message.action === "proceed" && state === "retracted") {
      // Our retract crossed their proceed: say it again to the device that answered.
      void this.#send(message.from, "retract", "cancel");
      return;
    }
    // Only the device in the call finishes it (§3.5); the peer's other resources are not in it.
    if (!JMI_ACCEPTED_IN[message.action].includes(state) || (message.action === "finish" && message.from !== this.#port.peer())) return;
    this.#fromPeer(message);
  }

  #fromPeer({ action, from, reason }: JmiMessage) {
    switch (action) {
      case "ringing":
        return this.#port.transition("ringing");
      case "proceed":
        // Its user answered, so session-accept should follow; one that never comes (or that we had to
        // refuse) must not leave the call waiting for ever. The ring time again, as the device may
        // still be asking for its camera.
        this.#arm(this.#port.timeouts.ringMs, () => this.#port.terminate("timeout"));
        return this.#port.proceeded(from);
      case "reject":
        return this.#port.end("rejected", reason ?? "decline");
      case "retract":
        return this.#port.end("retracted", reason ?? "cancel");
      case "finish":
        return this.#port.end("finished", reason ?? "success");
      default:
        return;
    }
  }

  /** Another of our devices answered or declined (§3.2, seen through carbons): we stop ringing. */
  #fromOwnDevice(action: JmiAction) {
    if (!OWN_DEVICE_JMI_ACCEPTED_IN.includes(this.#port.state())) return;
    if (action === "accept" || action === "proceed") this.#port.end("answered-elsewhere", "success");
    else if (action === "reject") this.#port.end("rejected-elsewhere", "decline");
  }

  /** A JMI message that cannot be sent is lost with the connection, which re-sends what it can. */
  async #send(to: string, action: OutgoingJmi["action"], reason?: JingleReason) {
    await this.#port.sendJmi(to, { action, id: this.#port.id, reason }).catch(() => undefined);
  }

  #arm(ms: number, onTimeout: () => void) {
    this.#stop();
    this.#timer = setTimeout(onTimeout, ms);
  }

  #stop() {
    clearTimeout(this.#timer);
    this.#timer = undefined;
  }
}

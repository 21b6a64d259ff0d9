// The informational messages of a session (XEP-0167 §7.2, Jingle session-info): ringing and mute,
// ours and the peer's. The session owns the state; this module writes and reads them through a
// small port.
import type { JingleBody, JingleRequest } from "../jingle/index.js";
import { JingleErrors } from "./jingle-errors.js";
import type { NegotiationState } from "./negotiation.js";
import type { CallMedia, CallState } from "./states.js";

/** What the session-info messages need of their call (CallSession implements it). */
export interface InfoMessagesPort {
  readonly negotiation: NegotiationState;
  state(): CallState;
  ended(): boolean;
  transition(to: CallState): void;
  /** Our session-initiate/accept is out: the peer knows the contents a mute names. */
  signalled(): boolean;
  /** Sends a Jingle request of this session to the peer; resolves on result, rejects with StanzaError. */
  sendJingle(jingle: JingleBody): Promise<void>;
  /** The peer refused one of our iqs: reported, never swallowed. */
  iqFailed(action: string, error: unknown): void;
  /** The peer muted (true) or unmuted its microphone or camera. */
  remoteMute(muted: boolean): void;
}

export class InfoMessages {
  readonly #port: InfoMessagesPort;
  /** The peer said it muted its microphone (§7.2.5): silence is expected. */
  #peerMutedAudio = false;

  constructor(port: InfoMessagesPort) {
    this.#port = port;
  }

  get peerMutedAudio(): boolean {
    return this.#peerMutedAudio;
  }

  /** Incoming without JMI: the caller hears that we ring (§7.2.4); Conversations waits for it. */
  async ringing(): Promise<void> {
    await this.#send({ kind: "ringing" });
  }

  /** Our user muted or unmuted a medium: the peer is told which content (§7.2.5, §7.2.6). */
  async muted(media: CallMedia, muted: boolean): Promise<void> {
    if (!this.#port.signalled() || this.#port.ended()) return;
    const { negotiation } = this.#port;
    const content = negotiation.local.find((c) => c.description?.media === media);
    await this.#send({ kind: muted ? "mute" : "unmute", creator: negotiation.role, name: content?.name });
  }

  /** The peer's session-info; one this client does not understand is answered so (XEP-0166 §6.8). */
  receive({ info }: JingleRequest): void {
    if (!info) throw JingleErrors.unsupportedInfo();
    if (info.kind === "mute" || info.kind === "unmute") {
      const remote = this.#port.negotiation.remote;
      const audio = !info.name || remote?.contents.some((c) => c.name === info.name && c.description?.media === "audio");
      if (audio) this.#peerMutedAudio = info.kind === "mute";
      this.#port.remoteMute(info.kind === "mute");
    }
    // A device called without JMI rings (StanzaJS MediaSession.ring(), Dino calls.vala).
    if (info.kind === "ringing" && this.#port.state() === "initiating") this.#port.transition("alerting");
  }

  async #send(info: Extract<JingleBody, { action: "session-info" }>["info"]) {
    await this.#port.sendJingle({ action: "session-info", info }).catch((error: unknown) => this.#port.iqFailed("session-info", error));
  }
}

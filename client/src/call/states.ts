/**
 * The states of one call and the only transitions allowed between them, covering the
 * XEP-0353 ringing phase and the XEP-0166 session (modelled on Conversations'
 * JingleRtpConnection.VALID_TRANSITIONS). ICE progress is tracked apart (see view.ts).
 */
export type CallState =
  // Outgoing, XEP-0353 §3: propose sent to the bare JID…
  | "proposed"
  // …a device of the callee said <ringing/>.
  | "ringing"
  // …a device sent <proceed/>; we are building the offer.
  | "proceeded"
  // …session-initiate sent, waiting for session-accept.
  | "initiated"
  // Outgoing without JMI (the callee's devices lack XEP-0353, docs/interop.md): session-initiate
  // to one chosen full JID, waiting for session-accept…
  | "initiating"
  // …its device said session-info <ringing/> (XEP-0167 §7.2.4).
  | "alerting"
  // Incoming: a propose arrived and we ring.
  | "incoming"
  // …the user answered: accept + proceed sent, waiting for session-initiate.
  | "proceeding"
  // …a session-initiate arrived without JMI (StanzaJS-style peers): we ring.
  | "incoming-session"
  // …session-initiate being answered.
  | "accepting"
  // Both sides agreed (session-accept); media flows once ICE connects.
  | "active"
  // Terminal states.
  | "retracted"
  | "rejected"
  | "answered-elsewhere"
  | "rejected-elsewhere"
  | "finished"
  | "failed";

export const TERMINAL_STATES = ["retracted", "rejected", "answered-elsewhere", "rejected-elsewhere", "finished", "failed"] as const;
export type TerminalState = (typeof TERMINAL_STATES)[number];

export const VALID_TRANSITIONS: Record<CallState, readonly CallState[]> = {
  proposed: ["ringing", "proceeded", "retracted", "rejected", "failed"],
  ringing: ["proceeded", "retracted", "rejected", "failed"],
  proceeded: ["initiated", "finished", "failed"],
  initiated: ["active", "rejected", "finished", "failed"],
  initiating: ["alerting", "active", "rejected", "finished", "failed"],
  alerting: ["active", "rejected", "finished", "failed"],
  incoming: ["proceeding", "rejected", "retracted", "answered-elsewhere", "rejected-elsewhere", "failed"],
  // A retract can cross our proceed on the wire (the caller gave up as we answered).
  proceeding: ["accepting", "retracted", "finished", "failed"],
  "incoming-session": ["accepting", "rejected", "finished", "failed"],
  accepting: ["active", "finished", "failed"],
  active: ["finished", "failed"],
  retracted: [],
  rejected: [],
  "answered-elsewhere": [],
  "rejected-elsewhere": [],
  finished: [],
  failed: [],
};

export function canTransition(from: CallState, to: CallState): boolean {
  return VALID_TRANSITIONS[from].includes(to);
}

export function isTerminal(state: CallState): state is TerminalState {
  return VALID_TRANSITIONS[state].length === 0;
}

/** XEP-0166 §7.4 reasons we send and understand. */
export type JingleReason =
  | "success"
  | "decline"
  | "busy"
  | "timeout"
  | "cancel"
  | "connectivity-error"
  | "failed-application"
  | "failed-transport"
  | "general-error"
  | "security-error"
  | "gone"
  | "media-error"
  | "unsupported-applications"
  | "unsupported-transports";

export const JINGLE_REASONS: readonly JingleReason[] = [
  "success", "decline", "busy", "timeout", "cancel", "connectivity-error", "failed-application", "failed-transport",
  "general-error", "security-error", "gone", "media-error", "unsupported-applications", "unsupported-transports",
];

export function isJingleReason(name: string): name is JingleReason {
  return (JINGLE_REASONS as readonly string[]).includes(name);
}

/** The media of a call (XEP-0353 propose descriptions / XEP-0167 contents). */
export type CallMedia = "audio" | "video";

export type CallDirection = "outgoing" | "incoming";

/** Thrown when code (not a peer) asks for a transition the table forbids: a bug. */
export class InvalidTransitionError extends Error {
  override readonly name = "InvalidTransitionError";
  constructor(readonly from: CallState, readonly to: CallState) {
    super(`call cannot go from ${from} to ${to}`);
  }
}

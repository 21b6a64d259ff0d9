import type { JingleAction, JingleReason, RtpMedia } from "../jingle/index.js";
import type { JmiAction } from "../xmpp/jmi.js";

export { isJingleAction, isJingleReason, JINGLE_ACTIONS, JINGLE_REASONS, type JingleAction, type JingleReason } from "../jingle/index.js";
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

/** Outgoing, XEP-0353: no device proceeded yet, so a retract still stops the ringing. */
export const RINGING_OUT: readonly CallState[] = ["proposed", "ringing"];
/** Outgoing: our session-initiate is out, session-accept awaited. */
export const AWAITING_ACCEPT: readonly CallState[] = ["initiated", "initiating", "alerting"];
/** The call was answered (session-accept being sent or done): no timer waits for an answer any more. */
export const ANSWERED: readonly CallState[] = ["accepting", "active"];
/** A Jingle session exists with the peer's device: ending the call takes a session-terminate. */
export const IN_SESSION: readonly CallState[] = [...AWAITING_ACCEPT, "incoming-session", "accepting", "active"];

/**
 * The states in which the peer's Jingle action is in order (otherwise `<out-of-order/>`, XEP-0166
 * §10). Actions not listed are taken in every state, or refused whatever the state
 * (description-info, transport-replace…); session-terminate is checked against the transitions.
 */
export const JINGLE_ACCEPTED_IN: Partial<Record<JingleAction, readonly CallState[]>> = {
  "session-initiate": ["proceeding"],
  "session-accept": AWAITING_ACCEPT,
  // Early ones (a StanzaJS caller trickles while we still ring) wait for the description.
  "transport-info": IN_SESSION,
  "content-add": ["active"],
  "content-accept": ["active"],
  "content-reject": ["active"],
  "content-remove": ["active"],
  "content-modify": ["active"],
  // Once a device proceeded or a session-initiate was sent or received (XEP-0353 §3.5, XEP-0166 §7.2.16).
  "session-terminate": [...IN_SESSION, "proceeded", "proceeding"],
};

export function acceptsJingle(state: CallState, action: JingleAction): boolean {
  return JINGLE_ACCEPTED_IN[action]?.includes(state) ?? true;
}

/** The states in which a XEP-0353 message from the peer's device acts on the call. */
export const JMI_ACCEPTED_IN: Record<JmiAction, readonly CallState[]> = {
  propose: [],
  ringing: ["proposed"],
  proceed: RINGING_OUT,
  accept: [],
  reject: RINGING_OUT,
  // A retract can cross our proceed on the wire (the caller gave up as we answered).
  retract: ["incoming", "proceeding"],
  finish: [...IN_SESSION, "proceeded", "proceeding"],
};
/** Our other device answered or declined (XEP-0353 §3.2, via carbons): only while we ring. */
export const OWN_DEVICE_JMI_ACCEPTED_IN: readonly CallState[] = ["incoming"];

/**
 * How our user's hang-up ends the call in each state: retract a ringing proposal (XEP-0353 §3.3),
 * decline one ringing here, cancel a session not yet answered, end an answered one with success
 * (XEP-0166 §7.4); nothing once it has ended.
 */
export const HANG_UP: Record<CallState, "retract" | "decline" | "cancel" | "success" | undefined> = {
  proposed: "retract",
  ringing: "retract",
  incoming: "decline",
  "incoming-session": "decline",
  proceeded: "cancel",
  initiated: "cancel",
  initiating: "cancel",
  alerting: "cancel",
  proceeding: "cancel",
  accepting: "cancel",
  active: "success",
  retracted: undefined,
  rejected: undefined,
  "answered-elsewhere": undefined,
  "rejected-elsewhere": undefined,
  finished: undefined,
  failed: undefined,
};

/** Reasons a peer's session-terminate gives when the call broke rather than ended (XEP-0166 §7.4). */
export const FAILURE_REASONS: ReadonlySet<JingleReason> = new Set<JingleReason>([
  "connectivity-error", "failed-application", "failed-transport", "general-error", "media-error", "security-error",
  "unsupported-applications", "unsupported-transports",
]);

export function canTransition(from: CallState, to: CallState): boolean {
  return VALID_TRANSITIONS[from].includes(to);
}

export function isTerminal(state: CallState): state is TerminalState {
  return VALID_TRANSITIONS[state].length === 0;
}

/** The media of a call (XEP-0353 propose descriptions / XEP-0167 contents). */
export type CallMedia = RtpMedia;

export type CallDirection = "outgoing" | "incoming";

/** Thrown when code (not a peer) asks for a transition the table forbids: a bug. */
export class InvalidTransitionError extends Error {
  override readonly name = "InvalidTransitionError";
  constructor(readonly from: CallState, readonly to: CallState) {
    super(`call cannot go from ${from} to ${to}`);
  }
}

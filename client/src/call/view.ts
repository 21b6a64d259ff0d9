import type { IceState } from "./peer.js";
import type { CallDirection, CallState, JingleReason } from "./states.js";

/** What the user sees, derived from protocol state (as Conversations' RtpEndUserState). */
export type CallPhase =
  | "finding-device"
  | "ringing-remote"
  | "ringing-local"
  | "connecting"
  | "connected"
  | "reconnecting"
  | "ended"
  | "declined"
  | "missed"
  | "no-answer"
  | "answered-elsewhere"
  | "failed";

/**
 * Pure: protocol state + role + ICE + whether our XMPP session is up → what to show. While the
 * signaling is down media still flows peer to peer, but the call cannot be changed or ended
 * towards the peer until the session is back, so the user sees "reconnecting"; the same while
 * a broken media path is being restored (`recovering`: ICE restart, ice-restart.ts).
 */
export interface CallSnapshot {
  state: CallState;
  direction: CallDirection;
  iceState: IceState;
  reason?: JingleReason | undefined;
  /** Our XMPP session is up (default true). */
  signalingUp?: boolean;
  /** A broken media path is being restored (default false). */
  recovering?: boolean;
}

export function deriveCallPhase({ state, direction, iceState: ice, reason, signalingUp = true, recovering = false }: CallSnapshot): CallPhase {
  switch (state) {
    case "proposed":
    case "initiating":
      return "finding-device";
    case "ringing":
    case "alerting":
      return "ringing-remote";
    case "incoming":
    case "incoming-session":
      return "ringing-local";
    case "proceeded":
    case "initiated":
    case "proceeding":
    case "accepting":
      return "connecting";
    case "active":
      if (ice === "disconnected" || !signalingUp || recovering) return "reconnecting";
      if (ice === "connected" || ice === "completed") return "connected";
      return "connecting";
    case "retracted":
      // XEP-0353: the caller retracts after its own ring timeout; for the callee it is missed.
      if (direction === "incoming") return "missed";
      return reason === "timeout" ? "no-answer" : "ended";
    case "rejected":
      return reason === "busy" ? "declined" : direction === "outgoing" ? "declined" : "ended";
    case "answered-elsewhere":
    case "rejected-elsewhere":
      return "answered-elsewhere";
    case "finished":
      // A direct call (no JMI) that rang out ends with session-terminate <timeout/>.
      if (reason === "timeout") return direction === "incoming" ? "missed" : "no-answer";
      return "ended";
    case "failed":
      return direction === "incoming" && reason === "timeout" ? "missed" : "failed";
    default: {
      const unreachable: never = state;
      return unreachable;
    }
  }
}

export const PHASE_TEXT: Record<CallPhase, string> = {
  "finding-device": "Calling…",
  "ringing-remote": "Ringing…",
  "ringing-local": "Incoming call",
  connecting: "Connecting…",
  connected: "Connected",
  reconnecting: "Reconnecting…",
  ended: "Call ended",
  declined: "Call declined",
  missed: "Missed call",
  "no-answer": "No answer",
  "answered-elsewhere": "Answered on another device",
  failed: "Call failed",
};

/** Why a call ended, in words (XEP-0166 §7.4 reasons). */
export function reasonText(reason: JingleReason | undefined): string {
  switch (reason) {
    case "busy":
      return "The other side is busy.";
    case "decline":
      return "The call was declined.";
    case "timeout":
      return "No answer.";
    case "connectivity-error":
    case "failed-transport":
      return "No network path between you (firewall or relay problem).";
    case "security-error":
      return "The call was refused for security reasons.";
    case "failed-application":
    case "media-error":
    case "unsupported-applications":
      return "The other side could not use this media.";
    case "general-error":
      return "Something went wrong while setting up the call.";
    default:
      return "";
  }
}

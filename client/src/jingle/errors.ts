// Typed errors of the SDP ⇄ Jingle codec. Each carries what was wrong, where, and the error
// to put on the wire (XEP-0166 1.1.2): a malformed request is answered with <bad-request/>
// (§6.3.2, §7.2), an unsupported application or transport with a session-terminate reason
// (§6.3.1, §6.7). §10's Jingle-specific conditions (<out-of-order/>, <unknown-session/>, …)
// are the call layer's to send, not the codec's.

/** Why a conversion failed; stable strings for tests and logs. */
export type JingleCodecReason =
  | "malformed-sdp"
  | "malformed-xml"
  | "not-jingle"
  | "missing-content"
  | "invalid-content-name"
  | "duplicate-content"
  | "unknown-content"
  | "missing-description"
  | "missing-transport"
  | "missing-ice-credentials"
  | "missing-fingerprint"
  | "invalid-attribute"
  | "malformed-candidate"
  | "unsupported-application"
  | "unsupported-transport"
  | "limit-exceeded";

/** Stanza error condition (RFC 6120 §8.3.3) to answer the iq with. */
export type StanzaErrorCondition = "bad-request" | "feature-not-implemented" | "not-acceptable";

/** XEP-0166 §7.4 reason for a session-terminate, when the error ends the session. */
export type JingleTerminateReason =
  | "unsupported-applications"
  | "unsupported-transports"
  | "security-error"
  | "failed-application";

const WIRE: Record<JingleCodecReason, { condition: StanzaErrorCondition; terminate?: JingleTerminateReason }> = {
  "malformed-sdp": { condition: "bad-request", terminate: "failed-application" },
  "malformed-xml": { condition: "bad-request" },
  "not-jingle": { condition: "bad-request" },
  "missing-content": { condition: "bad-request" },
  "invalid-content-name": { condition: "bad-request" },
  "duplicate-content": { condition: "bad-request" },
  "unknown-content": { condition: "bad-request" },
  "missing-description": { condition: "bad-request" },
  "missing-transport": { condition: "bad-request", terminate: "unsupported-transports" },
  "missing-ice-credentials": { condition: "bad-request", terminate: "failed-application" },
  // XEP-0320 §3: without a fingerprint DTLS-SRTP cannot be authenticated.
  "missing-fingerprint": { condition: "bad-request", terminate: "security-error" },
  "invalid-attribute": { condition: "bad-request" },
  "malformed-candidate": { condition: "bad-request" },
  "unsupported-application": { condition: "feature-not-implemented", terminate: "unsupported-applications" },
  "unsupported-transport": { condition: "feature-not-implemented", terminate: "unsupported-transports" },
  // RFC 6120 §8.3.3.9: understood, but past the criteria the recipient sets (limits.ts). No
  // terminate reason: a capped transport-info must not end a call that works.
  "limit-exceeded": { condition: "not-acceptable" },
};

/** Where in the input the problem is: a content (mid) and/or an SDP line number (1-based). */
export interface JingleCodecLocation {
  content?: string;
  line?: number;
}

export class JingleCodecError extends Error {
  override readonly name = "JingleCodecError";
  readonly reason: JingleCodecReason;
  readonly condition: StanzaErrorCondition;
  readonly terminateReason: JingleTerminateReason | undefined;
  readonly location: JingleCodecLocation;

  constructor(reason: JingleCodecReason, detail: string, location: JingleCodecLocation = {}) {
    super(`${reason}: ${detail}${describeLocation(location)}`);
    this.reason = reason;
    this.condition = WIRE[reason].condition;
    this.terminateReason = WIRE[reason].terminate;
    this.location = location;
  }
}

function describeLocation({ content, line }: JingleCodecLocation): string {
  const parts: string[] = [];
  if (content !== undefined) parts.push(`content '${content}'`);
  if (line !== undefined) parts.push(`line ${line}`);
  return parts.length ? ` (${parts.join(", ")})` : "";
}

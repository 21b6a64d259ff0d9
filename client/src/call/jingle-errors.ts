// XEP-0166 §10 errors as the call layer answers with them (the XML is written at the iq edge).
import { JingleCodecError } from "../jingle/index.js";
import { StanzaError, type StanzaErrorType } from "../xmpp/errors.js";
import { NS_JINGLE_ERRORS } from "../xmpp/ns.js";

/** Whether an iq error carries the XEP-0166 §10 `<tie-break/>` condition. */
export function isTieBreak(error: unknown): boolean {
  return error instanceof StanzaError && error.application?.name === "tie-break";
}

function jingleError(condition: string, type: StanzaErrorType, application?: string): StanzaError {
  return new StanzaError(condition, type, "", application ? { name: application, xmlns: NS_JINGLE_ERRORS } : undefined);
}

/** XEP-0166 §10: the errors a session answers with. */
export const JingleErrors = {
  /** §6.7 / §10: sid unknown or ended, or the sender is not the session's peer. */
  unknownSession: () => jingleError("item-not-found", "cancel", "unknown-session"),
  /** §10: an action that the session's state does not allow now. */
  outOfOrder: () => jingleError("unexpected-request", "wait", "out-of-order"),
  /** §6.8 / §10: an informational payload (session-info, description-info, transport-info) we do not understand. */
  unsupportedInfo: () => jingleError("feature-not-implemented", "modify", "unsupported-info"),
  /** §10: a request crossing our own similar one; the initiator's wins (tie-break, as Conversations does for content-add). */
  tieBreak: () => jingleError("conflict", "cancel", "tie-break"),
  badRequest: (text = "") => new StanzaError("bad-request", "modify", text),
  notImplemented: () => new StanzaError("feature-not-implemented", "cancel", ""),
  /** §6.3.2: a session-initiate from someone we do not share presence with. */
  serviceUnavailable: () => new StanzaError("service-unavailable", "cancel", ""),
  /** RFC 6120 §8.3.3.12: understood, but past a limit we set (client/src/call/limits.ts). */
  notAcceptable: (text = "") => new StanzaError("not-acceptable", "modify", text),
};

/**
 * The iq error for a codec refusal: the codec's condition, typed per RFC 6120 §8.3.3 (bad-request
 * and not-acceptable are `modify`, feature-not-implemented `cancel`). Anything else is a bad-request.
 */
export function codecStanzaError(error: unknown): StanzaError {
  if (!(error instanceof JingleCodecError)) return JingleErrors.badRequest(String(error));
  const type: StanzaErrorType = error.condition === "feature-not-implemented" ? "cancel" : "modify";
  return new StanzaError(error.condition, type, error.message);
}

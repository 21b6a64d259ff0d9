// XEP-0166 iqs and errors as the call layer sends them. No session decisions here.
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { JingleCodecError } from "../jingle/index.js";
import { StanzaError, type StanzaErrorType } from "../xmpp/errors.js";
import { NS_JINGLE, NS_JINGLE_ERRORS, NS_JINGLE_ICE_UDP, NS_JINGLE_RTP_INFO } from "../xmpp/ns.js";
import { isJingleReason, type JingleReason } from "./states.js";
export { isJingleAction, JINGLE_ACTIONS, type JingleAction } from "./states.js";

export function jingleIq(to: string, jingle: Element): Element {
  return xml("iq", { to, type: "set" }, jingle);
}

export function jingleElement(action: string, sid: string, attrs: { initiator?: string; responder?: string } = {}, ...children: Element[]): Element {
  return xml("jingle", { xmlns: NS_JINGLE, action, sid, initiator: attrs.initiator, responder: attrs.responder }, ...children);
}

/**
 * Moves the candidates of a transport-info (as candidateToJingle builds it) into the
 * transports of the same contents in a session-initiate/accept (XEP-0176 §6.1).
 */
export function addCandidates(jingle: Element, transportInfo: Element | null): void {
  for (const content of transportInfo?.getChildren("content") ?? []) {
    const target = jingle.getChildren("content").find((c) => c.attrs.name === content.attrs.name)?.getChild("transport", NS_JINGLE_ICE_UDP);
    for (const candidate of content.getChild("transport", NS_JINGLE_ICE_UDP)?.getChildren("candidate") ?? []) target?.append(candidate);
  }
}

/** XEP-0166 §7.4 `<reason/>`. */
export function reasonElement(reason: JingleReason, text?: string): Element {
  return xml("reason", {}, xml(reason), text ? xml("text", {}, text) : undefined);
}

/** XEP-0166 §7.2.6 content-modify: only the content's name, creator and new senders. */
export function contentModifyElement(name: string, creator: string, senders: string): Element {
  return xml("content", { name, creator, senders });
}

/** Whether an iq error carries the XEP-0166 §10 `<tie-break/>` condition. */
export function isTieBreak(error: unknown): boolean {
  return error instanceof StanzaError && error.application?.name === "tie-break";
}

export function readReason(jingle: Element): JingleReason | undefined {
  const name = jingle.getChild("reason")?.getChildElements().find((c) => c.name !== "text")?.name;
  return name && isJingleReason(name) ? name : undefined;
}

/** XEP-0167 §7 session-info payloads we understand. */
export type SessionInfo = { kind: "ringing" } | { kind: "active" } | { kind: "mute" | "unmute"; name?: string } | { kind: "ping" };

export function readSessionInfo(jingle: Element): SessionInfo | undefined {
  const payload = jingle.getChildElements()[0];
  if (!payload) return { kind: "ping" }; // XEP-0166 §7.2.14: empty session-info is a ping.
  if (payload.getNS() !== NS_JINGLE_RTP_INFO) return undefined;
  switch (payload.name) {
    case "ringing":
    case "active":
      return { kind: payload.name };
    case "mute":
    case "unmute":
      return { kind: payload.name, name: payload.attrs.name };
    default:
      return undefined;
  }
}

export function sessionInfoPayload(kind: "ringing" | "active" | "mute" | "unmute", creator?: string, name?: string): Element {
  return xml(kind, { xmlns: NS_JINGLE_RTP_INFO, creator, name });
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

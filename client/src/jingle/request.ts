// The protocol edge for Jingle iqs (XEP-0166): an incoming <jingle/> is read once into a typed
// request, and an outgoing request is written once from the model. The call layer decides on
// typed data and never touches XML.
import { Element } from "@xmpp/xml";
import { jingleToSession } from "./codec.js";
import { writeTransport, writeJingle } from "./xml-write.js";
import type { JingleRole, JingleSession } from "./model.js";
import { NS_JINGLE, NS_JINGLE_RTP_INFO } from "../namespaces.js";

/** XEP-0166 §7.2: the actions the protocol defines; any other is a bad-request. */
export const JINGLE_ACTIONS = [
  "content-accept", "content-add", "content-modify", "content-reject", "content-remove", "description-info",
  "security-info", "session-accept", "session-info", "session-initiate", "session-terminate", "transport-accept",
  "transport-info", "transport-reject", "transport-replace",
] as const;
export type JingleAction = (typeof JINGLE_ACTIONS)[number];

export function isJingleAction(action: string | undefined): action is JingleAction {
  return (JINGLE_ACTIONS as readonly string[]).includes(action ?? "");
}

/** XEP-0166 §7.4 reasons this client sends and understands. */
export const JINGLE_REASONS = [
  "success", "decline", "busy", "timeout", "cancel", "connectivity-error", "failed-application", "failed-transport",
  "general-error", "security-error", "gone", "media-error", "unsupported-applications", "unsupported-transports",
] as const;
export type JingleReason = (typeof JINGLE_REASONS)[number];

export function isJingleReason(name: string): name is JingleReason {
  return (JINGLE_REASONS as readonly string[]).includes(name);
}

/** XEP-0167 media this client calls with (XEP-0353 propose descriptions, RTP contents). */
export type RtpMedia = "audio" | "video";

/** XEP-0167 §7 session-info payloads this client understands; an empty session-info is a ping (XEP-0166 §7.2.14). */
export type SessionInfo = { kind: "ringing" } | { kind: "active" } | { kind: "mute" | "unmute"; name?: string } | { kind: "ping" };

/** A content as content-reject/-remove/-modify name it: attributes as written, read leniently. */
export interface ContentStub {
  name: string;
  creator: string;
  senders: string;
}

/** An incoming Jingle request, read once. */
export interface JingleRequest {
  /** As written: the call layer answers an undefined action with bad-request (XEP-0166 §7.2). */
  readonly action: string;
  readonly sid: string;
  /**
   * The contents as the model, checked as the action requires. A malformed one throws the codec's
   * error when first asked (and every time after), so the call layer can answer a request that is
   * out of order before it looks at what the request carries (XEP-0166 §10).
   */
  session(): JingleSession;
  readonly stubs: readonly ContentStub[];
  /** session-terminate, content-reject: the reason, if one this client knows. */
  readonly reason: JingleReason | undefined;
  /** session-info: the payload, or undefined for one this client does not understand (§6.8). */
  readonly info: SessionInfo | undefined;
}

export function readJingleRequest(jingle: Element): JingleRequest {
  let read: { session: JingleSession } | { error: unknown } | undefined;
  return {
    action: jingle.attrs["action"] ?? "",
    sid: jingle.attrs["sid"] ?? "",
    session() {
      if (!read) {
        try {
          read = { session: jingleToSession(jingle) };
        } catch (error) {
          read = { error };
        }
      }
      if ("error" in read) throw read.error;
      return read.session;
    },
    stubs: jingle.getChildren("content").map((c) => ({ name: c.attrs["name"] ?? "", creator: c.attrs["creator"] ?? "", senders: c.attrs["senders"] ?? "both" })),
    reason: readReason(jingle),
    info: readSessionInfo(jingle),
  };
}

function readReason(jingle: Element): JingleReason | undefined {
  const name = jingle.getChild("reason")?.getChildElements().find((c) => c.name !== "text")?.name;
  return name && isJingleReason(name) ? name : undefined;
}

function readSessionInfo(jingle: Element): SessionInfo | undefined {
  const payload = jingle.getChildElements()[0];
  if (!payload) return { kind: "ping" };
  if (payload.getNS() !== NS_JINGLE_RTP_INFO) return undefined;
  switch (payload.name) {
    case "ringing":
    case "active":
      return { kind: payload.name };
    case "mute":
    case "unmute":
      return { kind: payload.name, name: payload.attrs["name"] };
    default:
      return undefined;
  }
}

interface Addressing {
  sid: string;
  /** The initiator's full JID, written on session-initiate only (XEP-0166 §7.1; no client requires it). */
  initiator?: string;
  /** Our full JID as responder, written on session-accept only (XEP-0166 §7.1). */
  responder?: string;
}

/** A Jingle request we send, as the model, without its addressing (what a session fills in). */
export type JingleBody =
  | { action: "session-initiate" | "session-accept" | "content-add" | "content-accept"; session: JingleSession }
  /** Candidates (or, with none, an ICE restart's new credentials): contents without description (§7.2.15). */
  | { action: "transport-info"; session: JingleSession }
  | { action: "content-reject" | "content-modify"; stubs: readonly ContentStub[]; reason?: JingleReason }
  | { action: "session-terminate"; reason: JingleReason }
  | { action: "session-info"; info: { kind: "ringing" | "active" | "mute" | "unmute"; creator?: JingleRole; name?: string } };

/** A Jingle request we send, as the model. */
export type OutgoingJingle = JingleBody extends infer T ? (T extends unknown ? T & Addressing : never) : never;

export function writeJingleRequest(request: OutgoingJingle): Element {
  // XEP-0166 §7.1: 'initiator' only on session-initiate, 'responder' only on session-accept; every
  // other action SHOULD NOT carry them (a full JID each, ≈ 60 bytes, that the peer ignores).
  const attrs = {
    action: request.action,
    sid: request.sid,
    initiator: request.action === "session-initiate" ? request.initiator : undefined,
    responder: request.action === "session-accept" ? request.responder : undefined,
  };
  switch (request.action) {
    case "session-initiate":
    case "session-accept":
    case "content-add":
    case "content-accept":
      return writeJingle(request.session, attrs);
    case "transport-info": {
      const jingle = new Element("jingle", { xmlns: NS_JINGLE, ...attrs });
      for (const content of request.session.contents) {
        // transport-info carries no senders (XEP-0166 §7.2.15); INTEROP: ufrag (and pwd) on every one.
        const el = jingle.cnode(new Element("content", { creator: content.creator ?? "initiator", name: content.name }));
        const t = content.transport;
        writeTransport(el, { ufrag: t?.ufrag, pwd: t?.pwd, fingerprints: [], candidates: t?.candidates ?? [] });
      }
      return jingle;
    }
    case "content-reject":
    case "content-modify": {
      // XEP-0166 §7.2.6: only the content's name, creator and new senders.
      const jingle = new Element("jingle", { xmlns: NS_JINGLE, ...attrs });
      for (const s of request.stubs) jingle.cnode(new Element("content", { name: s.name, creator: s.creator, senders: s.senders }));
      if (request.reason) jingle.cnode(reasonElement(request.reason));
      return jingle;
    }
    case "session-terminate":
      return new Element("jingle", { xmlns: NS_JINGLE, ...attrs }).cnode(reasonElement(request.reason)).up();
    case "session-info": {
      const { kind, creator, name } = request.info;
      return new Element("jingle", { xmlns: NS_JINGLE, ...attrs }).cnode(new Element(kind, { xmlns: NS_JINGLE_RTP_INFO, creator, name })).up();
    }
  }
}

/** XEP-0166 §7.4 `<reason/>`. */
function reasonElement(reason: JingleReason): Element {
  return new Element("reason").cnode(new Element(reason)).up();
}

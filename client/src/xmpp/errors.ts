import type { Element } from "@xmpp/xml";
import { NS_STANZAS } from "../namespaces.js";

/** RFC 6120 §8.3.2: the error types. */
export type StanzaErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";

/** An XMPP stanza error received from the network (RFC 6120 §8.3), with its wire condition. */
export class StanzaError extends Error {
  override readonly name = "StanzaError";
  constructor(
    readonly condition: string,
    readonly type: StanzaErrorType | undefined,
    readonly text: string,
    /** Local name and namespace of an application-specific condition, e.g. Jingle's unknown-session. */
    readonly application?: { name: string; xmlns: string | undefined },
  ) {
    super(text ? `${condition}: ${text}` : condition);
  }

  /** Reads an `<error/>` element (the child of an iq/message/presence of type error). */
  static fromElement(error: Element): StanzaError {
    let condition = "undefined-condition";
    let text = "";
    let application: StanzaError["application"];
    for (const child of error.getChildElements()) {
      const ns = child.getNS();
      if (ns === NS_STANZAS && child.name === "text") text = child.getText();
      else if (ns === NS_STANZAS) condition = child.name;
      else application = { name: child.name, xmlns: ns };
    }
    const type = error.attrs.type as StanzaErrorType | undefined;
    return new StanzaError(condition, type, text, application);
  }
}

/** The server refused our credentials (RFC 6120 §6.5: SASL failure, e.g. not-authorized). */
export class AuthenticationError extends Error {
  override readonly name = "AuthenticationError";
  constructor(readonly condition: string, text?: string) {
    super(text ? `${condition}: ${text}` : condition);
  }
}

/** The WebSocket endpoint could not be reached or the stream could not be opened. */
export class ConnectionError extends Error {
  override readonly name = "ConnectionError";
  constructor(message: string, readonly service: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Turns what @xmpp/* rejects with (SASLError, StanzaError, TimeoutError…) into our typed errors. */
export function toTypedError(error: unknown, service: string): Error {
  const e = error as { name?: string; condition?: string; text?: string; element?: Element; message?: string };
  if (e?.name === "SASLError") return new AuthenticationError(e.condition ?? "not-authorized", e.text);
  if (e?.name === "StanzaError" && e.element) return StanzaError.fromElement(e.element);
  if (error instanceof Error && !(e?.name === "TimeoutError")) {
    if (/ECONNERROR|ECONNREFUSED|WebSocket/.test(error.message)) {
      return new ConnectionError(`cannot reach ${service}`, service, { cause: error });
    }
    return error;
  }
  return new ConnectionError(e?.message ?? String(error), service, { cause: error });
}

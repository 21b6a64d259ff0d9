// The seam between XMPP stanzas and the call layer. Incoming Jingle iqs and XEP-0353 messages are
// read once at the protocol edge (jingle/request.ts, xmpp/jmi.ts) and handed to the CallManager
// typed; what the call layer sends is written there. call/ itself never sees XML.
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { readJingleRequest, writeJingleRequest } from "../jingle/index.js";
import type { CallManager } from "../call/manager.js";
import type { CallSignaling } from "../call/session.js";
import { bareJid } from "../xmpp/connection.js";
import { readJmi, writeJmi } from "../xmpp/jmi.js";

/** What the seam needs of an XMPP connection (XmppConnection; a fake in tests). */
export interface StanzaTransport {
  readonly jid: string;
  /** Sends a stanza; resolves once it is out. */
  send(stanza: Element): Promise<void>;
  /** Sends an iq; resolves with the result, rejects with StanzaError. */
  request(iq: Element): Promise<Element>;
}

/** The call layer's signaling port over a connection. */
export function stanzaSignaling(transport: StanzaTransport): CallSignaling {
  return {
    get jid() {
      return transport.jid;
    },
    sendJmi: (to, jmi) => transport.send(writeJmi(to, jmi)),
    sendJingle: async (to, jingle) => {
      await transport.request(xml("iq", { to, type: "set" }, writeJingleRequest(jingle)));
    },
  };
}

/** An incoming Jingle iq set: read once, then decided by the call layer (a thrown StanzaError is the iq error). */
export function deliverJingle(manager: CallManager, from: string, jingle: Element): void {
  manager.handleJingle(from, readJingleRequest(jingle));
}

/** An incoming message: a XEP-0353 one (carbons unwrapped) goes to the call layer; others are not its business. */
export function deliverMessage(manager: CallManager, stanza: Element): void {
  const message = readJmi(stanza, bareJid(manager.jid));
  if (message) manager.handleJmi(message);
}

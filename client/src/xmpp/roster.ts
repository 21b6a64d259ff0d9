import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { bareJid } from "./connection.js";
import { TypedEmitter } from "./emitter.js";
import { StanzaError } from "./errors.js";
import { NS_ROSTER } from "../namespaces.js";

/** RFC 6121 §2.1.2.5. */
export type Subscription = "none" | "to" | "from" | "both";

export interface RosterContact {
  jid: string;
  name: string;
  subscription: Subscription;
  /** We asked to see their presence and they have not answered (RFC 6121 §2.1.2.2). */
  pendingOut: boolean;
  groups: string[];
}

/** The slice of XmppConnection the roster needs (a port, so tests can fake it). */
export interface RosterPort {
  readonly bareJid: string;
  send(stanza: Element): Promise<void>;
  iqGet(child: Element, to?: string): Promise<Element | undefined>;
  iqSet(child: Element, to?: string): Promise<Element | undefined>;
  handleIq(
    type: "set",
    ns: string,
    name: string,
    handler: (request: { from: string; element: Element }) => Element | undefined,
  ): void;
}

export interface RosterEvents {
  [event: string]: readonly unknown[];
  contacts: [contacts: readonly RosterContact[]];
  /** Incoming subscription requests not yet answered. */
  requests: [requests: readonly string[]];
}

/** Parses a roster `<item/>` (RFC 6121 §2.1.2); undefined for `subscription='remove'`. */
export function readRosterItem(item: Element): RosterContact | undefined {
  const subscription = item.attrs.subscription ?? "none";
  if (subscription === "remove") return undefined;
  return {
    jid: bareJid(item.attrs.jid ?? ""),
    name: item.attrs.name ?? "",
    subscription: (["none", "to", "from", "both"].includes(subscription) ? subscription : "none") as Subscription,
    pendingOut: item.attrs.ask === "subscribe",
    groups: item.getChildren("group").map((g) => g.getText()),
  };
}

/**
 * The roster (RFC 6121 §2) and presence subscriptions (§3): loads the roster, applies roster
 * pushes, and keeps the list of incoming subscription requests.
 */
export class Roster extends TypedEmitter<RosterEvents> {
  readonly #port: RosterPort;
  readonly #contacts = new Map<string, RosterContact>();
  readonly #requests = new Set<string>();

  constructor(port: RosterPort) {
    super();
    this.#port = port;
    port.handleIq("set", NS_ROSTER, "query", ({ from, element }) => {
      // RFC 6121 §2.1.6: a push not from our own account is an attack; ignore it.
      if (from && bareJid(from) !== port.bareJid) throw new StanzaError("service-unavailable", "cancel", "");
      for (const item of element.getChildren("item")) this.#applyItem(item);
      this.emit("contacts", this.contacts);
      return undefined;
    });
  }

  get contacts(): readonly RosterContact[] {
    return [...this.#contacts.values()].sort((a, b) => (a.name || a.jid).localeCompare(b.name || b.jid));
  }

  get requests(): readonly string[] {
    return [...this.#requests];
  }

  get(jid: string): RosterContact | undefined {
    return this.#contacts.get(bareJid(jid));
  }

  /** RFC 6121 §2.2: fetches the whole roster (call on every non-resumed session start). */
  async load(): Promise<readonly RosterContact[]> {
    const query = await this.#port.iqGet(xml("query", { xmlns: NS_ROSTER }));
    this.#contacts.clear();
    for (const item of query?.getChildren("item") ?? []) this.#applyItem(item);
    this.emit("contacts", this.contacts);
    return this.contacts;
  }

  /** Feed every incoming presence here; subscription requests are recorded. */
  handlePresence(stanza: Element): void {
    const from = stanza.attrs.from;
    if (!from) return;
    const jid = bareJid(from);
    if (stanza.attrs.type === "subscribe") {
      // Answer for the user when they already share presence with this contact, or added the
      // contact themselves (asking to see them implies sharing back, as Conversations does).
      const contact = this.get(jid);
      if (contact && (contact.subscription !== "none" || contact.pendingOut)) {
        void this.#port.send(xml("presence", { to: jid, type: "subscribed" }));
        return;
      }
      this.#requests.add(jid);
      this.emit("requests", this.requests);
    } else if (stanza.attrs.type === "unsubscribe" && this.#requests.delete(jid)) {
      this.emit("requests", this.requests);
    }
  }

  /** Adds a contact and asks to see their presence (RFC 6121 §3.1.1). */
  async add(jid: string, name = ""): Promise<void> {
    const bare = bareJid(jid.trim());
    await this.#port.iqSet(xml("query", { xmlns: NS_ROSTER }, xml("item", { jid: bare, name: name || undefined })));
    await this.#port.send(xml("presence", { to: bare, type: "subscribe" }));
  }

  /** Accepts a request (§3.1.4) and, for a symmetric relation, asks back if needed. */
  async accept(jid: string): Promise<void> {
    const bare = bareJid(jid);
    this.#dropRequest(bare);
    await this.#port.send(xml("presence", { to: bare, type: "subscribed" }));
    const contact = this.get(bare);
    if (!contact || (contact.subscription !== "to" && contact.subscription !== "both" && !contact.pendingOut)) {
      await this.#port.send(xml("presence", { to: bare, type: "subscribe" }));
    }
  }

  /** Refuses a request (§3.1.4: unsubscribed). */
  async refuse(jid: string): Promise<void> {
    const bare = bareJid(jid);
    this.#dropRequest(bare);
    await this.#port.send(xml("presence", { to: bare, type: "unsubscribed" }));
  }

  /** Removes the contact and cancels both subscriptions (§2.5). */
  async remove(jid: string): Promise<void> {
    await this.#port.iqSet(xml("query", { xmlns: NS_ROSTER }, xml("item", { jid: bareJid(jid), subscription: "remove" })));
  }

  #dropRequest(jid: string) {
    if (this.#requests.delete(jid)) this.emit("requests", this.requests);
  }

  #applyItem(item: Element) {
    const jid = bareJid(item.attrs.jid ?? "");
    const contact = readRosterItem(item);
    if (contact) this.#contacts.set(jid, contact);
    else this.#contacts.delete(jid);
    if (contact && (contact.subscription === "from" || contact.subscription === "both") && this.#requests.delete(jid)) {
      this.emit("requests", this.requests);
    }
  }
}

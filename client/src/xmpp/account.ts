import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { bareJid, XmppConnection, type ConnectionOptions, type ConnectionState } from "./connection.js";
import { callability, Disco, mayDiscover, type Callability } from "./disco.js";
import { TypedEmitter } from "./emitter.js";
import { IceServerSource } from "./extdisco.js";
import { NS_CARBONS } from "../namespaces.js";
import {
  applyPresence,
  contactAvailability,
  readPresence,
  type Availability,
  type PresenceTable,
  type ResourcePresence,
} from "./presence.js";
import { Roster, type RosterContact } from "./roster.js";

/** A roster contact as the UI shows it. */
export interface ContactView extends RosterContact {
  availability: Availability;
  resources: readonly ResourcePresence[];
  /** Whether any online resource can take an audio/video call (and rings with XEP-0353). */
  callable: Callability;
}

// A type, not an interface: closed (a misspelt event fails the type check) yet an EventMap.
export type AccountEvents = {
  state: [state: ConnectionState];
  contacts: [contacts: readonly ContactView[]];
  requests: [requests: readonly string[]];
  /** Every incoming message stanza (calls listen here). */
  message: [stanza: Element];
  /** A session started; `resumed` false means a fresh session (the call layer resets). */
  online: [info: { jid: string; resumed: boolean }];
};

/** The user's choices the xmpp layer applies (the same flag the call layer reads). */
export interface AccountPolicy {
  /** People who are not contacts may call, and so may read our disco#info. */
  allowStrangers(): boolean;
}

/** The own presence we send (RFC 6121 §4.7.2.1). */
export type OwnAvailability = Exclude<Availability, "offline">;

/**
 * One signed-in account: the connection plus the services built on it (roster, presence,
 * disco/caps, XEP-0215 ICE servers, carbons), wired in one place.
 */
export class XmppAccount extends TypedEmitter<AccountEvents> {
  readonly connection: XmppConnection;
  readonly roster: Roster;
  readonly disco: Disco;
  readonly iceServers: IceServerSource;
  #presence: PresenceTable = new Map();
  #own: OwnAvailability = "online";

  private constructor(connection: XmppConnection, policy: AccountPolicy) {
    super();
    this.connection = connection;
    this.roster = new Roster(connection);
    const access = {
      get ownJid() {
        return connection.jid;
      },
      subscriptionOf: (bare: string) => this.roster.get(bare)?.subscription,
      allowStrangers: () => policy.allowStrangers(),
    };
    this.disco = new Disco(connection, { mayQuery: (from) => mayDiscover(from, access) });
    this.iceServers = new IceServerSource(connection);
    connection.on("state", (state) => this.emit("state", state));
    connection.on("stanza", (stanza) => this.#onStanza(stanza));
    connection.on("online", (info) => void this.#onOnline(info.resumed).then(() => this.emit("online", info)));
    this.roster.on("contacts", () => this.#emitContacts());
    this.roster.on("requests", (r) => this.emit("requests", r));
    this.disco.on("features", () => this.#emitContacts());
  }

  /** Connects, loads the roster, announces presence with caps, fetches ICE servers. */
  static async signIn(options: ConnectionOptions, policy: AccountPolicy = { allowStrangers: () => false }): Promise<XmppAccount> {
    const connection = await XmppConnection.connect(options);
    const account = new XmppAccount(connection, policy);
    await account.#onOnline(false);
    return account;
  }

  get jid(): string {
    return this.connection.jid;
  }

  get contacts(): readonly ContactView[] {
    return this.roster.contacts.map((c) => this.#view(c));
  }

  /** Available resources of a bare JID (also our own other devices). */
  resourcesOf(bare: string): readonly ResourcePresence[] {
    return [...(this.#presence.get(bare)?.values() ?? [])];
  }

  /** Accepts a subscription request (RFC 6121 §3.1.4). */
  accept(jid: string): Promise<void> {
    return this.roster.accept(jid);
  }

  /** Changes our own presence show (online, away, dnd). */
  async setAvailability(availability: OwnAvailability): Promise<void> {
    this.#own = availability;
    await this.#sendPresence();
  }

  async signOut(): Promise<void> {
    this.iceServers.stop();
    await this.connection.stop();
  }

  async #onOnline(resumed: boolean) {
    if (resumed) return;
    this.#presence = new Map();
    await this.roster.load();
    // XEP-0280 §4: carbons, so that every device sees JMI accept/proceed/reject of the others.
    await this.connection.iqSet(xml("enable", { xmlns: NS_CARBONS })).catch(() => undefined);
    await this.#sendPresence();
    await this.iceServers.refresh();
  }

  async #sendPresence() {
    const show = this.#own === "online" ? undefined : this.#own;
    await this.connection.send(xml("presence", {}, show && xml("show", {}, show), await this.disco.capsElement()));
  }

  #onStanza(stanza: Element) {
    if (stanza.name === "message") {
      this.emit("message", stanza);
      return;
    }
    if (stanza.name !== "presence") return;
    this.roster.handlePresence(stanza);
    const change = readPresence(stanza);
    if (!change) return;
    this.#presence = applyPresence(this.#presence, change);
    if (change.kind === "available" && change.presence.jid !== this.jid) {
      void this.disco.learn(change.presence.jid, change.presence.caps);
    } else if (change.kind === "unavailable") {
      this.disco.forget(change.jid);
    }
    this.#emitContacts();
  }

  #view(contact: RosterContact): ContactView {
    const resources = this.resourcesOf(contact.jid);
    const best: Callability = { audio: false, video: false, jmi: false, groups: false };
    for (const r of resources) {
      const c = callability(this.disco.featuresOf(r.jid) ?? []);
      best.audio ||= c.audio;
      best.video ||= c.video;
      best.jmi ||= c.jmi;
    }
    return { ...contact, availability: contactAvailability(this.#presence, contact.jid), resources, callable: best };
  }

  #emitContacts() {
    this.emit("contacts", this.contacts);
  }
}

export { bareJid };

import type { Element } from "@xmpp/xml";
import { bareJid, splitJid } from "./connection.js";
import { NS_CAPS } from "../namespaces.js";

/** What a user sees of a resource's or contact's availability (RFC 6121 §4.7.2.1 `show`). */
export type Availability = "online" | "away" | "dnd" | "offline";

/** XEP-0115 §4: the caps element of a presence. */
export interface CapsInfo {
  node: string;
  ver: string;
  hash: string;
}

export interface ResourcePresence {
  /** Full JID of the resource. */
  jid: string;
  availability: Exclude<Availability, "offline">;
  priority: number;
  status: string;
  caps?: CapsInfo;
}

/** Per contact bare JID, the resources currently available. */
export type PresenceTable = ReadonlyMap<string, ReadonlyMap<string, ResourcePresence>>;

export type PresenceChange =
  | { kind: "available"; presence: ResourcePresence }
  | { kind: "unavailable"; jid: string };

/** Reads an available/unavailable presence; undefined for other types (subscriptions, errors). */
export function readPresence(stanza: Element): PresenceChange | undefined {
  const from = stanza.attrs.from;
  if (!stanza.is("presence") || !from || !splitJid(from).resource) return undefined;
  const type = stanza.attrs.type;
  if (type === "unavailable" || type === "error") return { kind: "unavailable", jid: from };
  if (type !== undefined) return undefined;
  const show = stanza.getChildText("show") ?? "";
  const availability: ResourcePresence["availability"] =
    show === "away" || show === "xa" ? "away" : show === "dnd" ? "dnd" : "online";
  const priority = Number.parseInt(stanza.getChildText("priority") ?? "0", 10);
  const c = stanza.getChild("c", NS_CAPS);
  const caps =
    c?.attrs.node && c.attrs.ver && c.attrs.hash ? { node: c.attrs.node, ver: c.attrs.ver, hash: c.attrs.hash } : undefined;
  return {
    kind: "available",
    presence: { jid: from, availability, priority: Number.isNaN(priority) ? 0 : priority, status: stanza.getChildText("status") ?? "", caps },
  };
}

/** Applies one change, returning a new table (the old one is left untouched). */
export function applyPresence(table: PresenceTable, change: PresenceChange): PresenceTable {
  const jid = change.kind === "available" ? change.presence.jid : change.jid;
  const bare = bareJid(jid);
  const next = new Map(table);
  const resources = new Map(table.get(bare) ?? []);
  if (change.kind === "available") resources.set(jid, change.presence);
  else resources.delete(jid);
  if (resources.size === 0) next.delete(bare);
  else next.set(bare, resources);
  return next;
}

const RANK: Record<Availability, number> = { online: 3, away: 2, dnd: 1, offline: 0 };

/** A contact's availability: the most available of its resources (offline if none). */
export function contactAvailability(table: PresenceTable, bare: string): Availability {
  let best: Availability = "offline";
  for (const resource of table.get(bare)?.values() ?? []) {
    if (RANK[resource.availability] > RANK[best]) best = resource.availability;
  }
  return best;
}

// XEP-0313 v1.1 Message Archive Management: reading one's own archive. No call logic here.
import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { NS_DATA_FORMS, NS_DELAY, NS_FORWARD, NS_MAM, NS_RSM } from "../namespaces.js";

/** One archived message with the archive's timestamp (XEP-0313 §4.2: the forwarded delay). */
export interface ArchivedMessage {
  /** The archive's id for it (XEP-0359 stanza-id). */
  id: string;
  stamp: number;
  message: Element;
}

/** What a query needs from the connection (XmppConnection fits; tests pass a fake). */
export interface ArchiveConnection {
  readonly bareJid: string;
  request(iq: Element): Promise<Element>;
  on(event: "stanza", listener: (stanza: Element) => void): () => void;
}

export interface ArchiveQuery {
  /** Only messages archived after this time. */
  start?: Date;
  /** Messages per page (RSM max). */
  pageSize?: number;
  /** At most this many pages, newest first. */
  maxPages?: number;
  /** Only messages exchanged with this JID (XEP-0313 §4.1.1). */
  with?: string;
}

/** One page of results, oldest first, and where the next older page starts (XEP-0059 §2.5). */
export interface ArchivePage {
  messages: ArchivedMessage[];
  /** The archive holds nothing older than this page. */
  complete: boolean;
  /** RSM `first` of this page: `before` for the next older one. */
  first?: string;
}

/**
 * Reads a `<result/>` message of our query. Only our own archive may answer (XEP-0313 §4.2:
 * results come from our bare JID, or without `from`); anything else could forge history.
 */
export function readArchiveResult(stanza: Element, queryId: string, ownBareJid: string): ArchivedMessage | undefined {
  const from = stanza.attrs.from as string | undefined;
  if (from !== undefined && from !== ownBareJid) return undefined;
  const result = stanza.getChild("result", NS_MAM);
  if (!result || result.attrs.queryid !== queryId) return undefined;
  const forwarded = result.getChild("forwarded", NS_FORWARD);
  const message = forwarded?.getChild("message");
  const stamp = Date.parse(forwarded?.getChild("delay", NS_DELAY)?.attrs.stamp ?? "");
  if (!message || Number.isNaN(stamp)) return undefined;
  return { id: String(result.attrs.id ?? ""), stamp, message };
}

function queryElement(queryId: string, query: ArchiveQuery, before: string): Element {
  const fields = [xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, NS_MAM))];
  if (query.with) fields.push(xml("field", { var: "with" }, xml("value", {}, query.with)));
  if (query.start) fields.push(xml("field", { var: "start" }, xml("value", {}, query.start.toISOString())));
  return xml(
    "query",
    { xmlns: NS_MAM, queryid: queryId },
    xml("x", { xmlns: NS_DATA_FORMS, type: "submit" }, ...fields),
    // XEP-0059 §2.5: an empty <before/> asks for the last page; then page backwards.
    xml("set", { xmlns: NS_RSM }, xml("max", {}, String(query.pageSize ?? 100)), xml("before", {}, before)),
  );
}

/**
 * One page of the archive ending just before the RSM id `before` ("" for the newest page).
 * Results arrive as messages before the iq result; they are collected by query id.
 */
export async function queryArchivePage(connection: ArchiveConnection, query: ArchiveQuery, before: string): Promise<ArchivePage> {
  const queryId = `mam-${Math.random().toString(36).slice(2)}`;
  const messages: ArchivedMessage[] = [];
  const off = connection.on("stanza", (stanza) => {
    const result = stanza.name === "message" ? readArchiveResult(stanza, queryId, connection.bareJid) : undefined;
    if (result) messages.push(result);
  });
  let fin: Element | undefined;
  try {
    fin = (await connection.request(xml("iq", { type: "set" }, queryElement(queryId, query, before)))).getChild("fin", NS_MAM);
  } finally {
    off();
  }
  const first = fin?.getChild("set", NS_RSM)?.getChildText("first") ?? undefined;
  return { messages, complete: !fin || fin.attrs.complete === "true" || !first || messages.length === 0, first };
}

/**
 * The newest archived messages (up to pageSize × maxPages), oldest first. Pages backwards
 * with RSM until the archive says the result is complete.
 */
export async function queryArchive(connection: ArchiveConnection, query: ArchiveQuery = {}): Promise<ArchivedMessage[]> {
  const pages: ArchivedMessage[][] = [];
  let before = "";
  for (let page = 0; page < (query.maxPages ?? 5); page++) {
    const result = await queryArchivePage(connection, query, before);
    pages.unshift(result.messages);
    if (result.complete || !result.first) break;
    before = result.first;
  }
  return pages.flat();
}

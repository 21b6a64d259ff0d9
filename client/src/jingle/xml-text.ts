// XML text → <jingle/> element, for the CLI and tests (the session layer receives elements from
// xmpp.js already parsed). Accepts a bare <jingle/> or any stanza that contains one.
import type { Element } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { JingleCodecError } from "./errors.js";
import { NS_JINGLE } from "./namespaces.js";

export function parseJingleXml(text: string): Element {
  let root: Element | null;
  try {
    root = parse(text.trim()) as Element | null;
  } catch (err) {
    throw new JingleCodecError("malformed-xml", err instanceof Error ? err.message : String(err));
  }
  if (!root) throw new JingleCodecError("malformed-xml", "no XML element in input");
  const jingle = findJingle(root);
  if (!jingle) throw new JingleCodecError("not-jingle", `no <jingle xmlns='${NS_JINGLE}'/> in <${root.getName()}/>`);
  return jingle;
}

/** Depth-first search for the first <jingle xmlns='urn:xmpp:jingle:1'/> (iq, message, carbons…). */
export function findJingle(el: Element): Element | undefined {
  if (el.getName() === "jingle" && el.getNS() === NS_JINGLE) return el;
  for (const c of el.children) {
    if (typeof c === "string") continue;
    const found = findJingle(c);
    if (found) return found;
  }
  return undefined;
}

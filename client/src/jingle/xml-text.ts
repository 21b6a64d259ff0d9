// XML text → <jingle/> element, for the CLI and tests (the session layer receives elements from
// xmpp.js already parsed). Accepts a bare <jingle/> or any stanza that contains one.
import type { Element } from "@xmpp/xml";
import parse from "@xmpp/xml/lib/parse.js";
import { JingleCodecError } from "./errors.js";
import { exceeded, LIMITS } from "./limits.js";
import { NS_JINGLE } from "../namespaces.js";

export function parseJingleXml(text: string): Element {
  // Twice the stanza cap: the markup around the values (a <carbons> wrapper, the <iq>) counts here.
  if (text.length > 2 * LIMITS.stanzaChars) throw exceeded("characters of XML", 2 * LIMITS.stanzaChars);
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

/** Wrappers a <jingle/> can sit in: iq, message, carbons' received/forwarded/message. */
const MAX_WRAPPING = 8;

/**
 * Depth-first search for the first <jingle xmlns='urn:xmpp:jingle:1'/> (iq, message, carbons…),
 * iterative and no deeper than real wrappers go, so a deeply nested input cannot blow the stack.
 */
export function findJingle(el: Element): Element | undefined {
  const stack: [Element, number][] = [[el, 0]];
  while (stack.length) {
    const [node, depth] = stack.pop() as [Element, number];
    if (node.getName() === "jingle" && node.getNS() === NS_JINGLE) return node;
    if (depth >= MAX_WRAPPING) continue;
    for (let i = node.children.length - 1; i >= 0; i--) {
      const c = node.children[i];
      if (c !== undefined && typeof c !== "string") stack.push([c, depth + 1]);
    }
  }
  return undefined;
}

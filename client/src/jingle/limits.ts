// Caps on what one description may make the codec hold, so a peer (or a broken browser) cannot
// exhaust memory or time with a huge stanza: thousands of candidates, contents or payload types,
// megabyte attributes, deep nesting. Real descriptions stay far below them: the largest fixture
// (StanzaJS's Chrome session-initiate) is 13 KB with 2 contents, 12 candidates and 14 payload
// types per content. Exceeding a cap is JingleCodecError "limit-exceeded" (not-acceptable).
import type { Element } from "@xmpp/xml";
import { JingleCodecError, type JingleCodecLocation } from "./errors.js";
import type { JingleSession } from "./model.js";

export const LIMITS = {
  /** Characters of one SDP (Chromium's simulcast offer with candidates: 7 KB). */
  sdpChars: 64 * 1024,
  /** Characters of attribute values and text in one <jingle/> (or its XML text). */
  stanzaChars: 64 * 1024,
  /** Elements in one <jingle/>. */
  elements: 4096,
  /** Nesting below <jingle/>: content > description > payload-type > parameter is 4. */
  depth: 16,
  /** Characters of one attribute value or text node (a SHA-512 fingerprint is 191). */
  valueChars: 1024,
  /** Contents (m-lines) in one description: a 1:1 call has 2 or 3. */
  contents: 16,
  /** Candidates of one content in one stanza. */
  candidatesPerContent: 64,
  /** Candidates in one stanza, all contents together. */
  candidates: 128,
  /** Payload types of one content: an RTP payload type has 7 bits (RFC 3550 §5.1). */
  payloadTypes: 128,
  /** Parameters, feedback lines, header extensions, sources… of one element. */
  children: 64,
  /** BUNDLE and other groups (XEP-0338). */
  groups: 8,
} as const;

export function exceeded(what: string, limit: number, where: JingleCodecLocation = {}): JingleCodecError {
  return new JingleCodecError("limit-exceeded", `more than ${limit} ${what}`, where);
}

/** Throws when `count` passes `limit`; call it as a list grows, so the work stays bounded. */
export function capCount(count: number, limit: number, what: string, where: JingleCodecLocation = {}): void {
  if (count > limit) throw exceeded(what, limit, where);
}

// C0 controls and DEL never appear in a real description; in a value they would split an SDP
// line (a=…\r\na=…) or make the XML we send ill-formed (XML 1.0 §2.2 Char), so they are refused.
// Lone surrogates and U+FFFE/U+FFFF are not XML characters either.
const FORBIDDEN = /[\u0000-\u001f\u007f\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const FORBIDDEN_IN_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export function hasForbiddenChars(value: string, inText = false): boolean {
  return (inText ? FORBIDDEN_IN_TEXT : FORBIDDEN).test(value);
}

/**
 * Walks a <jingle/> before anything reads it, iteratively (a 100 000-deep tree must not blow
 * the stack) and stopping at the first cap passed, so its cost is bounded by the caps.
 */
export function checkJingleLimits(jingle: Element): void {
  let elements = 0;
  let chars = 0;
  const stack: [Element, number][] = [[jingle, 0]];
  while (stack.length) {
    const [el, depth] = stack.pop() as [Element, number];
    capCount(++elements, LIMITS.elements, "elements in <jingle/>");
    if (depth > LIMITS.depth) throw exceeded("levels of nesting in <jingle/>", LIMITS.depth);
    for (const key in el.attrs) {
      const value = el.attrs[key];
      if (typeof value !== "string") continue;
      chars += value.length;
      if (value.length > LIMITS.valueChars) throw exceeded(`characters in <${el.name} ${key}/>`, LIMITS.valueChars);
      if (hasForbiddenChars(value)) throw new JingleCodecError("invalid-attribute", `<${el.name}> attribute '${key}' has control or non-XML characters`);
    }
    for (const c of el.children) {
      if (typeof c === "string") {
        chars += c.length;
        if (c.trim().length > LIMITS.valueChars) throw exceeded(`characters of text in <${el.name}/>`, LIMITS.valueChars);
        if (hasForbiddenChars(c, true)) throw new JingleCodecError("invalid-attribute", `text in <${el.name}> has control or non-XML characters`);
      } else stack.push([c, depth + 1]);
    }
    capCount(chars, LIMITS.stanzaChars, "characters in <jingle/>");
  }
}

/** The per-description caps, on the model both readers build (SDP and XML alike). */
export function checkSessionLimits(session: JingleSession): void {
  capCount(session.contents.length, LIMITS.contents, "contents");
  capCount(session.groups.length, LIMITS.groups, "groups");
  let candidates = 0;
  for (const content of session.contents) {
    const where = { content: content.name };
    const t = content.transport;
    if (t) {
      capCount(t.candidates.length, LIMITS.candidatesPerContent, "candidates in one content", where);
      capCount((candidates += t.candidates.length), LIMITS.candidates, "candidates", where);
      capCount(t.fingerprints.length, LIMITS.children, "fingerprints", where);
    }
    const d = content.description;
    if (!d) continue;
    capCount(d.payloadTypes.length, LIMITS.payloadTypes, "payload types", where);
    for (const list of [d.feedback, d.headerExtensions, d.bandwidth, d.sources, d.ssrcGroups]) capCount(list.length, LIMITS.children, "description children", where);
    for (const pt of d.payloadTypes) {
      capCount(pt.parameters.length, LIMITS.children, `parameters of payload type ${pt.id}`, where);
      capCount(pt.feedback.length, LIMITS.children, `rtcp-fb of payload type ${pt.id}`, where);
    }
    for (const s of d.sources) capCount(s.parameters.length, LIMITS.children, `parameters of source ${s.ssrc}`, where);
    for (const g of d.ssrcGroups) capCount(g.sources.length, LIMITS.children, "sources in one ssrc-group", where);
  }
  for (const g of session.groups) capCount(g.contents.length, LIMITS.contents, "contents in one group");
}

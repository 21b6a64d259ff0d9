// Mutations of real Jingle stanzas, as @xmpp/xml elements (what the session layer receives from
// xmpp.js) and as text (what parseJingleXml reads). Each mutation edits the element in place and
// returns a short label, so a failing case names what was done to it.
import { Element } from "@xmpp/xml";
import type { Prng } from "./prng.js";
import { HUGE_LENGTHS, hostileAddress, hostileNumber, hostileToken, hostileValue, hugeString, randomChars } from "./values.js";

export const JINGLE_NAMESPACES = [
  "urn:xmpp:jingle:1", "urn:xmpp:jingle:errors:1", "urn:xmpp:jingle:apps:rtp:1", "urn:xmpp:jingle:apps:rtp:rtcp-fb:0",
  "urn:xmpp:jingle:apps:rtp:rtp-hdrext:0", "urn:xmpp:jingle:apps:rtp:ssma:0", "urn:xmpp:jingle:apps:grouping:0",
  "urn:xmpp:jingle:transports:ice-udp:1", "urn:xmpp:jingle:apps:dtls:0", "urn:xmpp:jingle:transports:dtls-sctp:1",
  "urn:xmpp:jingle:apps:rtp:info:1", "urn:xmpp:jingle:transports:raw-udp:1", "urn:xmpp:jingle-message:0",
  "http://www.xmpp.org/extensions/xep-0166.html#ns", "urn:xmpp:jingle:2", "urn:example:unknown", "",
];

/** XEP-0166 §7.2 actions, plus values no XEP defines. */
export const JINGLE_ACTIONS = [
  "content-accept", "content-add", "content-modify", "content-reject", "content-remove", "description-info",
  "security-info", "session-accept", "session-info", "session-initiate", "session-terminate", "transport-accept",
  "transport-info", "transport-reject", "transport-replace",
] as const;
export const BOGUS_ACTIONS = ["", " ", "SESSION-INITIATE", "session-initiate ", "ping", "content-addd", "__proto__", "constructor"];

const ELEMENT_NAMES = [
  "jingle", "content", "description", "transport", "candidate", "payload-type", "parameter", "rtcp-fb", "rtp-hdrext",
  "fingerprint", "source", "ssrc-group", "group", "reason", "sctpmap", "bandwidth", "rtcp-mux", "x", "script",
];

const NUMERIC_ATTRS = new Set(["component", "port", "priority", "generation", "network", "rel-port", "id", "clockrate", "channels", "ptime", "maxptime", "ssrc", "number", "streams", "max-message-size", "value"]);
const ADDRESS_ATTRS = new Set(["ip", "rel-addr"]);
const KNOWN_ATTRS = [
  "action", "sid", "initiator", "responder", "name", "creator", "senders", "media", "ufrag", "pwd", "hash", "setup",
  "foundation", "component", "protocol", "priority", "ip", "port", "type", "generation", "network", "id", "rel-addr",
  "rel-port", "rel_port", "tcptype", "clockrate", "channels", "ptime", "maxptime", "value", "subtype", "uri", "ssrc",
  "semantics", "xmlns", "number", "streams",
];

/** Every element of a tree, iteratively (mutated trees can be deeper than the call stack). */
export function allElements(root: Element, maxDepth = 64): Element[] {
  const out: Element[] = [];
  const stack: [Element, number][] = [[root, 0]];
  while (stack.length) {
    const [el, depth] = stack.pop() as [Element, number];
    out.push(el);
    if (depth >= maxDepth) continue;
    for (const c of el.children) if (typeof c !== "string") stack.push([c, depth + 1]);
  }
  return out;
}

/** Deep copy, iterative (a mutated tree can be 30 000 levels deep). */
export function cloneElement(el: Element): Element {
  const root = new Element(el.name, { ...el.attrs });
  const stack: [Element, Element][] = [[el, root]];
  while (stack.length) {
    const [from, to] = stack.pop() as [Element, Element];
    for (const c of from.children) {
      if (typeof c === "string") {
        to.children.push(c);
        continue;
      }
      const copy = new Element(c.name, { ...c.attrs });
      copy.parent = to;
      to.children.push(copy);
      stack.push([c, copy]);
    }
  }
  return root;
}

/** Elements under `el`, counting no further than `cap`. */
function subtreeSize(el: Element, cap: number): number {
  let n = 0;
  const stack = [el];
  while (stack.length && n < cap) {
    const node = stack.pop() as Element;
    n++;
    for (const c of node.children) if (typeof c !== "string") stack.push(c);
  }
  return n;
}

/** Whatever the mutations, a case stays below this many elements (the harness's memory, not the codec's). */
const MAX_CASE_ELEMENTS = 30_000;

function pickOr<T>(r: Prng, items: readonly T[]): T | undefined {
  return items.length ? r.pick(items) : undefined;
}

function parentOf(el: Element): Element | undefined {
  return (el.parent as Element | null | undefined) ?? undefined;
}

function valueFor(r: Prng, attr: string): string {
  if (NUMERIC_ATTRS.has(attr) && r.chance(0.7)) return hostileNumber(r);
  if (ADDRESS_ATTRS.has(attr) && r.chance(0.7)) return hostileAddress(r);
  return r.chance(0.5) ? hostileToken(r) : hostileValue(r);
}

function byName(root: Element, names: readonly string[]): Element[] {
  return allElements(root).filter((e) => names.includes(e.name));
}

/** Clones `el` n times next to it, varying what would otherwise collide (names, ports, ids). */
function multiply(el: Element, n: number, r: Prng): void {
  const parent = parentOf(el);
  if (!parent) return;
  n = Math.min(n, Math.floor(MAX_CASE_ELEMENTS / subtreeSize(el, MAX_CASE_ELEMENTS)));
  const distinct = r.chance(0.8);
  for (let i = 0; i < n; i++) {
    const copy = cloneElement(el);
    if (distinct) {
      if (copy.attrs["name"] !== undefined && copy.name === "content") copy.attrs["name"] = `${copy.attrs["name"]}${i}`;
      if (copy.attrs["port"] !== undefined) copy.attrs["port"] = String((i % 60000) + 1024);
      if (copy.attrs["id"] !== undefined) copy.attrs["id"] = copy.name === "payload-type" ? String(i % 128) : `${copy.attrs["id"]}-${i}`;
      if (copy.attrs["foundation"] !== undefined) copy.attrs["foundation"] = String(i);
      if (copy.attrs["ssrc"] !== undefined) copy.attrs["ssrc"] = String(1000 + i);
    }
    copy.parent = parent;
    parent.children.push(copy);
  }
}

export type XmlMutation = (root: Element, r: Prng) => string;

export const XML_MUTATIONS: Readonly<Record<string, XmlMutation>> = {
  "remove-attr": (root, r) => {
    const el = r.pick(allElements(root));
    const keys = Object.keys(el.attrs).filter((k) => k !== "xmlns");
    if (keys.length === 0) return "remove-attr(none)";
    const key = r.pick(keys);
    delete el.attrs[key];
    return `remove-attr(${el.name}@${key})`;
  },
  "hostile-attr": (root, r) => {
    const el = r.pick(allElements(root));
    const keys = Object.keys(el.attrs).filter((k) => k !== "xmlns");
    const key = keys.length && r.chance(0.8) ? r.pick(keys) : r.pick(KNOWN_ATTRS.filter((k) => k !== "xmlns"));
    el.attrs[key] = valueFor(r, key);
    return `hostile-attr(${el.name}@${key})`;
  },
  "wrong-namespace": (root, r) => {
    const el = pickOr(r, allElements(root).filter((e) => e !== root));
    if (!el) return "wrong-namespace(none)";
    el.attrs["xmlns"] = r.pick(JINGLE_NAMESPACES);
    return `wrong-namespace(${el.name})`;
  },
  rename: (root, r) => {
    const el = pickOr(r, allElements(root).filter((e) => e !== root));
    if (!el) return "rename(none)";
    const from = el.name;
    el.name = r.pick(ELEMENT_NAMES);
    return `rename(${from}->${el.name})`;
  },
  "remove-child": (root, r) => {
    const el = pickOr(r, allElements(root).filter((e) => e !== root));
    const parent = el && parentOf(el);
    if (!el || !parent) return "remove-child(none)";
    parent.children = parent.children.filter((c) => c !== el);
    return `remove-child(${el.name})`;
  },
  "duplicate-child": (root, r) => {
    const el = pickOr(r, allElements(root).filter((e) => e !== root));
    const parent = el && parentOf(el);
    if (!el || !parent) return "duplicate-child(none)";
    if (subtreeSize(el, MAX_CASE_ELEMENTS) >= MAX_CASE_ELEMENTS) return `duplicate-child(${el.name}: too big)`;
    const copy = cloneElement(el);
    if (r.chance(0.5)) for (const k of Object.keys(copy.attrs).filter((k) => k !== "xmlns" && k !== "name")) copy.attrs[k] = valueFor(r, k);
    copy.parent = parent;
    parent.children.push(copy);
    return `duplicate-child(${el.name})`;
  },
  multiply: (root, r) => {
    const kind = r.pick(["candidate", "content", "payload-type", "parameter", "rtcp-fb", "rtp-hdrext", "source", "fingerprint", "group"]);
    const targets = byName(root, [kind]);
    const n = r.pick([50, 300, 2000]);
    if (targets.length === 0) return `multiply(${kind}: none)`;
    multiply(r.pick(targets), n, r);
    return `multiply(${kind} x${n})`;
  },
  "invalid-candidate": (root, r) => {
    const candidates = byName(root, ["candidate"]);
    if (candidates.length === 0) return "invalid-candidate(none)";
    const c = r.pick(candidates);
    const attr = r.pick(["ip", "port", "priority", "component", "generation", "protocol", "type", "foundation", "rel-addr", "rel-port", "network", "id"]);
    c.attrs[attr] = valueFor(r, attr);
    return `invalid-candidate(${attr})`;
  },
  "unknown-element": (root, r) => {
    const parent = r.pick(allElements(root));
    const el = new Element(r.pick(ELEMENT_NAMES), { xmlns: r.pick(["urn:example:unknown", ...JINGLE_NAMESPACES]), [r.pick(KNOWN_ATTRS.filter((k) => k !== "xmlns"))]: hostileValue(r) });
    if (r.chance(0.3)) el.children.push(hugeString(r));
    el.parent = parent;
    parent.children.splice(r.int(parent.children.length + 1), 0, el);
    return `unknown-element(${el.name} in ${parent.name})`;
  },
  "deep-nesting": (root, r) => {
    const parent = r.pick(allElements(root, 3));
    const depth = r.pick([40, 1_000, 20_000]);
    const name = r.pick(["x", "content", "jingle", "description", "transport"]);
    const ns = r.pick(["urn:example:unknown", "urn:xmpp:jingle:1", "urn:xmpp:jingle:apps:rtp:1"]);
    let outer = new Element(name, { xmlns: ns, name: "n" });
    const top = outer;
    for (let i = 1; i < depth; i++) {
      const inner = new Element(name, { name: `n${i}` });
      inner.parent = outer;
      outer.children.push(inner);
      outer = inner;
    }
    top.parent = parent;
    parent.children.push(top);
    return `deep-nesting(${name} x${depth} in ${parent.name})`;
  },
  "text-junk": (root, r) => {
    const el = r.pick(allElements(root));
    el.children.splice(r.int(el.children.length + 1), 0, r.chance(0.2) ? hugeString(r) : randomChars(r, r.range(1, 20)));
    return `text-junk(${el.name})`;
  },
  "set-action": (root, r) => {
    root.attrs["action"] = r.chance(0.8) ? r.pick(JINGLE_ACTIONS) : r.pick(BOGUS_ACTIONS);
    return `set-action(${root.attrs["action"]})`;
  },
  "huge-attr": (root, r) => {
    const el = r.pick(allElements(root));
    const keys = Object.keys(el.attrs).filter((k) => k !== "xmlns");
    const key = keys.length ? r.pick(keys) : "name";
    el.attrs[key] = hugeString(r);
    return `huge-attr(${el.name}@${key})`;
  },
};

/** Applies 1–3 mutations picked uniformly; returns their labels. */
export function mutateElement(root: Element, r: Prng, names: readonly string[] = Object.keys(XML_MUTATIONS)): string[] {
  const labels: string[] = [];
  const count = r.range(1, 3);
  // Deep nesting goes last, so no later mutation copies a 20 000-level chain.
  const picked = Array.from({ length: count }, () => r.pick(names)).sort((a, b) => Number(a === "deep-nesting") - Number(b === "deep-nesting"));
  for (const name of picked) labels.push((XML_MUTATIONS[name] as XmlMutation)(root, r));
  return labels;
}

/** Mutations of serialised XML that an element cannot express: duplicated attributes, truncation, byte flips. */
export const TEXT_MUTATIONS: Readonly<Record<string, (text: string, r: Prng) => string>> = {
  "duplicate-attr": (text, r) => {
    const attrs = [...text.matchAll(/ ([a-zA-Z_:-]+)=(['"])[^'"]*\2/g)];
    if (attrs.length === 0) return text;
    const m = r.pick(attrs);
    const at = (m.index ?? 0) + m[0].length;
    return `${text.slice(0, at)} ${m[1]}='${hostileValue(r).replace(/['<&]/g, "")}'${text.slice(at)}`;
  },
  truncate: (text, r) => text.slice(0, r.int(text.length)),
  "byte-flip": (text, r) => {
    const chars = text.split("");
    const n = r.range(1, 8);
    for (let i = 0; i < n; i++) chars[r.int(chars.length)] = randomChars(r, 1);
    return chars.join("");
  },
  "drop-close-tag": (text, r) => {
    const closes = [...text.matchAll(/<\/[^>]+>/g)];
    if (closes.length === 0) return text;
    const m = r.pick(closes);
    return text.slice(0, m.index) + text.slice((m.index ?? 0) + m[0].length);
  },
  "deep-text": (text, r) => {
    const depth = r.pick([100, 5_000, 100_000]);
    return text.replace(/<\/jingle>\s*$/, `${"<x>".repeat(depth)}${"</x>".repeat(depth)}</jingle>`);
  },
  "huge-text": (text, r) => text.replace(/<\/jingle>\s*$/, `<x xmlns='urn:example'>${"y".repeat(r.pick(HUGE_LENGTHS))}</x></jingle>`),
};

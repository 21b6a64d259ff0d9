// Mutations aimed at a description that answers ours (session-accept): what a broken or hostile
// callee gets wrong in the parts the caller relies on — content names (duplicated, unknown,
// missing, reordered), media, DTLS setup and fingerprint, ICE credentials, transport and
// description namespaces, BUNDLE group, senders, candidate addresses. Each edits the element in
// place and returns a label, as xml-mutators.ts does.
import { Element } from "@xmpp/xml";
import type { Prng } from "./prng.js";
import { allElements, cloneElement, JINGLE_NAMESPACES, type XmlMutation } from "./xml-mutators.js";
import { hostileAddress, hostileNumber, hostileToken } from "./values.js";

const contentsOf = (root: Element) => root.getChildren("content", "urn:xmpp:jingle:1");
const named = (root: Element, name: string) => allElements(root).filter((e) => e.name === name);

function pickOf(r: Prng, items: readonly Element[]): Element | undefined {
  return items.length ? r.pick(items) : undefined;
}

export const DESCRIPTION_MUTATIONS: Readonly<Record<string, XmlMutation>> = {
  "duplicate-content-name": (root, r) => {
    const contents = contentsOf(root);
    if (contents.length < 2) return "duplicate-content-name(one content)";
    const i = r.int(contents.length);
    const [a, b] = [contents[i]!, contents[(i + 1 + r.int(contents.length - 1)) % contents.length]!];
    b.attrs["name"] = a.attrs["name"] ?? "";
    return `duplicate-content-name(${String(a.attrs["name"])})`;
  },
  "unknown-content-name": (root, r) => {
    const content = pickOf(r, contentsOf(root));
    if (!content) return "unknown-content-name(none)";
    content.attrs["name"] = r.pick(["2", "audio", "video", "data", "0 ", "sdparta_0", hostileToken(r)]);
    return "unknown-content-name";
  },
  "drop-content": (root, r) => {
    const content = pickOf(r, contentsOf(root));
    if (!content) return "drop-content(none)";
    root.children = root.children.filter((c) => c !== content);
    return `drop-content(${String(content.attrs["name"])})`;
  },
  "swap-contents": (root) => {
    const contents = contentsOf(root);
    const rest = root.children.filter((c) => typeof c === "string" || !contents.includes(c));
    root.children = [...rest, ...contents.reverse()];
    return "swap-contents";
  },
  "extra-content": (root, r) => {
    const content = pickOf(r, contentsOf(root));
    if (!content) return "extra-content(none)";
    const copy = cloneElement(content);
    copy.attrs["name"] = r.pick(["2", "extra", "1"]);
    copy.parent = root;
    root.children.push(copy);
    return "extra-content";
  },
  media: (root, r) => {
    const description = pickOf(r, named(root, "description"));
    if (!description) return "media(none)";
    description.attrs["media"] = r.pick(["audio", "video", "application", "", hostileToken(r)]);
    return `media(${String(description.attrs["media"]).slice(0, 20)})`;
  },
  "dtls-setup": (root, r) => {
    const fingerprint = pickOf(r, named(root, "fingerprint"));
    if (!fingerprint) return "dtls-setup(none)";
    if (r.chance(0.2)) delete fingerprint.attrs["setup"];
    else fingerprint.attrs["setup"] = r.pick(["actpass", "holdconn", "passive", "active", "ACTIVE", "", hostileToken(r)]);
    return `dtls-setup(${String(fingerprint.attrs["setup"]).slice(0, 20)})`;
  },
  "fingerprint-value": (root, r) => {
    const fingerprint = pickOf(r, named(root, "fingerprint"));
    if (!fingerprint) return "fingerprint-value(none)";
    if (r.chance(0.5)) fingerprint.attrs["hash"] = r.pick(["", "md5", "sha-1024", hostileToken(r)]);
    else fingerprint.children = r.chance(0.5) ? [] : [hostileToken(r)];
    return "fingerprint-value";
  },
  "drop-fingerprint": (root, r) => {
    const fingerprint = pickOf(r, named(root, "fingerprint"));
    const parent = fingerprint?.parent as Element | undefined;
    if (!fingerprint || !parent) return "drop-fingerprint(none)";
    parent.children = parent.children.filter((c) => c !== fingerprint);
    return "drop-fingerprint";
  },
  "ice-credentials": (root, r) => {
    const transport = pickOf(r, named(root, "transport"));
    if (!transport) return "ice-credentials(none)";
    const key = r.pick(["ufrag", "pwd"]);
    if (r.chance(0.5)) delete transport.attrs[key];
    else transport.attrs[key] = hostileToken(r);
    return `ice-credentials(${key})`;
  },
  "transport-namespace": (root, r) => {
    const transport = pickOf(r, named(root, "transport"));
    if (!transport) return "transport-namespace(none)";
    transport.attrs["xmlns"] = r.pick(["urn:xmpp:jingle:transports:raw-udp:1", "urn:xmpp:jingle:transports:ibb:1", ...JINGLE_NAMESPACES]);
    return "transport-namespace";
  },
  "description-namespace": (root, r) => {
    const description = pickOf(r, named(root, "description"));
    if (!description) return "description-namespace(none)";
    description.attrs["xmlns"] = r.pick(["urn:xmpp:jingle:apps:file-transfer:5", ...JINGLE_NAMESPACES]);
    return "description-namespace";
  },
  group: (root, r) => {
    const group = pickOf(r, named(root, "group"));
    if (!group) return "group(none)";
    if (r.chance(0.3)) {
      root.children = root.children.filter((c) => c !== group);
      return "group(dropped)";
    }
    const member = new Element("content", { name: r.pick(["2", "audio", hostileToken(r)]) });
    member.parent = group;
    group.children.push(member);
    return "group(unknown member)";
  },
  senders: (root, r) => {
    const content = pickOf(r, contentsOf(root));
    if (!content) return "senders(none)";
    content.attrs["senders"] = r.pick(["none", "initiator", "responder", "both", "", hostileToken(r)]);
    return "senders";
  },
  "bad-candidate": (root, r) => {
    const transport = pickOf(r, named(root, "transport"));
    if (!transport) return "bad-candidate(none)";
    const candidate = new Element("candidate", {
      component: r.chance(0.8) ? "1" : hostileNumber(r), foundation: "1", generation: "0", id: "c1", network: "0",
      ip: hostileAddress(r), port: r.chance(0.5) ? "40000" : hostileNumber(r), priority: r.chance(0.7) ? "1" : hostileNumber(r),
      protocol: r.pick(["udp", "tcp", "UDP", "sctp", ""]), type: r.pick(["host", "srflx", "relay", "prflx", "bogus"]),
    });
    if (r.chance(0.3)) candidate.attrs["rel-addr"] = hostileAddress(r);
    candidate.parent = transport;
    transport.children.push(candidate);
    return "bad-candidate";
  },
};

/** Applies 1–2 of the mutations above; returns their labels. */
export function mutateDescription(root: Element, r: Prng): string[] {
  const names = Object.keys(DESCRIPTION_MUTATIONS);
  return Array.from({ length: r.range(1, 2) }, () => (DESCRIPTION_MUTATIONS[r.pick(names)] as XmlMutation)(root, r));
}

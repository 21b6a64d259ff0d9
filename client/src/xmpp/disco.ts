import type { Element } from "@xmpp/xml";
import { xml } from "@xmpp/xml";
import { TypedEmitter } from "./emitter.js";
import { StanzaError } from "./errors.js";
import {
  NS_CAPS,
  NS_DISCO_INFO,
  NS_JINGLE,
  NS_JINGLE_DTLS,
  NS_JINGLE_GROUPING,
  NS_JINGLE_ICE_UDP,
  NS_JINGLE_RTP_FB,
  NS_JINGLE_RTP,
  NS_JINGLE_RTP_AUDIO,
  NS_JINGLE_RTP_HDREXT,
  NS_JINGLE_RTP_VIDEO,
  NS_JINGLE_RTP_SSMA,
  NS_JMI,
  NS_PING,
} from "../namespaces.js";
import type { CapsInfo } from "./presence.js";

export interface Identity {
  category: string;
  type: string;
  name?: string;
  lang?: string;
}

export interface DiscoInfo {
  identities: Identity[];
  features: string[];
}

/** XEP-0115 §1.2: our caps node (a URL for the software). */
export const CAPS_NODE = "https://github.com/xmpp-webrtc-calls";

/**
 * What we tell peers we can do. The Jingle set is exactly what Conversations checks before
 * showing a call button (INTEROP.md); `urn:ietf:rfc:3264` is deliberately absent, so peers
 * keep trickling candidates.
 */
export const OWN_INFO: DiscoInfo = {
  identities: [{ category: "client", type: "web", name: "XMPP WebRTC Calls" }],
  features: [
    NS_DISCO_INFO,
    NS_CAPS,
    NS_PING,
    NS_JINGLE,
    NS_JINGLE_ICE_UDP,
    NS_JINGLE_RTP,
    NS_JINGLE_DTLS,
    NS_JINGLE_RTP_AUDIO,
    NS_JINGLE_RTP_VIDEO,
    NS_JINGLE_RTP_FB,
    NS_JINGLE_RTP_HDREXT,
    NS_JINGLE_GROUPING,
    NS_JINGLE_RTP_SSMA,
    NS_JMI,
  ],
};

/** The grouping feature of XEP-0338 before version 0.2, still advertised by StanzaJS 12. */
const NS_GROUPING_RFC5888 = "urn:ietf:rfc:5888";

/** Features a peer needs for each kind of call (XEP-0167 §11, XEP-0320, XEP-0176). */
export const AUDIO_CALL_FEATURES = [NS_JINGLE, NS_JINGLE_ICE_UDP, NS_JINGLE_RTP, NS_JINGLE_DTLS, NS_JINGLE_RTP_AUDIO];
export const VIDEO_CALL_FEATURES = [...AUDIO_CALL_FEATURES, NS_JINGLE_RTP_VIDEO];

export interface Callability {
  audio: boolean;
  video: boolean;
  /** The peer rings through XEP-0353 (otherwise a direct session-initiate is needed). */
  jmi: boolean;
  /** The peer groups contents on one transport (BUNDLE): XEP-0338's feature, or RFC 5888's that StanzaJS advertises. */
  groups: boolean;
}

export function callability(features: readonly string[]): Callability {
  const has = (f: string) => features.includes(f);
  return { audio: AUDIO_CALL_FEATURES.every(has), video: VIDEO_CALL_FEATURES.every(has), jmi: has(NS_JMI), groups: has(NS_JINGLE_GROUPING) || has(NS_GROUPING_RFC5888) };
}

/** XEP-0115 §5.1: the verification string (no data forms in our use). */
export function capsVerificationString(info: DiscoInfo): string {
  const identities = info.identities
    .map((i) => `${i.category}/${i.type}/${i.lang ?? ""}/${i.name ?? ""}`)
    .sort();
  const features = [...new Set(info.features)].sort();
  return [...identities, ...features].map((s) => `${s}<`).join("");
}

/** XEP-0115 §5.1: base64(SHA-1(S)); WebCrypto works in browsers and Node. */
export async function capsHash(info: DiscoInfo): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(capsVerificationString(info)));
  let binary = "";
  for (const byte of new Uint8Array(digest)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function discoInfoElement(info: DiscoInfo, node?: string): Element {
  return xml(
    "query",
    { xmlns: NS_DISCO_INFO, node },
    ...info.identities.map((i) =>
      xml("identity", { category: i.category, type: i.type, name: i.name, "xml:lang": i.lang }),
    ),
    ...info.features.map((f) => xml("feature", { var: f })),
  );
}

export function readDiscoInfo(query: Element): DiscoInfo & { hasForms: boolean } {
  return {
    identities: query.getChildren("identity").map((i) => ({
      category: i.attrs.category ?? "",
      type: i.attrs.type ?? "",
      name: i.attrs.name,
      lang: i.attrs["xml:lang"],
    })),
    features: query
      .getChildren("feature")
      .map((f) => f.attrs.var)
      .filter((v): v is string => !!v),
    hasForms: query.getChildren("x", "jabber:x:data").length > 0,
  };
}

export interface DiscoPort {
  iqGet(child: Element, to?: string, timeoutMs?: number): Promise<Element | undefined>;
  handleIq(
    type: "get",
    ns: string,
    name: string,
    handler: (request: { element: Element; from: string }) => Element | undefined,
  ): void;
}

// A type, not an interface: closed (a misspelt event fails the type check) yet an EventMap.
export type DiscoEvents = {
  /** The features of a full JID became known. */
  features: [jid: string, features: readonly string[]];
};

/** Who may read our disco#info: what XEP-0030 §8 lets through, decided by the account. */
export interface DiscoAccess {
  /** Our own full JID. */
  ownJid: string;
  /** The presence subscription of a bare JID in our roster (RFC 6121 §2.1.2.5), if any. */
  subscriptionOf(bare: string): string | undefined;
  /** The user lets people who are not contacts call (and so discover) them. */
  allowStrangers(): boolean;
}

/**
 * XEP-0030 §8: a target answers disco#info only to those allowed to see its presence, i.e. those
 * holding a `from` or `both` subscription in its roster; anyone else must learn nothing, not
 * even that a resource is online. Our own resources and our server may always ask, and anyone may
 * when the user lets strangers call.
 */
export function mayDiscover(from: string, access: DiscoAccess): boolean {
  const own = bareJid(access.ownJid);
  const bare = bareJid(from);
  if (from === "" || bare === own || bare === own.slice(own.indexOf("@") + 1)) return true;
  if (access.allowStrangers()) return true;
  const subscription = access.subscriptionOf(bare);
  return subscription === "from" || subscription === "both";
}

function bareJid(jid: string): string {
  const slash = jid.indexOf("/");
  return slash === -1 ? jid : jid.slice(0, slash);
}

export interface DiscoOptions {
  info?: DiscoInfo;
  /** How long one disco#info may take before the next resource announcing the same ver is asked. */
  timeoutMs?: number;
  /** Whether `from` may read our disco#info; everyone when absent. */
  mayQuery?: (from: string) => boolean;
}

type Features = readonly string[] | undefined;

/** One caps ver being learnt: the resources announcing it, and which of them were asked. */
interface VerLookup {
  node: string;
  waiting: Map<string, (features: Features) => void>;
  promises: Map<string, Promise<Features>>;
  tried: Set<string>;
  running: boolean;
  /** The resource being asked, and how to stop waiting for it once it went offline. */
  asking?: { jid: string; giveUp: () => void };
}

/**
 * Answers disco#info about us (with or without the caps node: Dino asks without it) to those
 * allowed to see our presence, and learns contacts' features, through caps (cached per
 * verification string once the hash verifies, XEP-0115 §5.4) or plain disco#info for entities
 * that send no caps.
 *
 * One ver is asked of one resource at a time; a resource that times out or errs (a closed
 * browser whose session is still resumable keeps its presence for minutes) hands the question
 * to the next resource announcing the same ver, newest presence first. Nothing is remembered of
 * a failure: the next presence with that ver asks again.
 */
export class Disco extends TypedEmitter<DiscoEvents> {
  readonly #port: DiscoPort;
  readonly #info: DiscoInfo;
  readonly #timeoutMs: number;
  readonly #byVer = new Map<string, readonly string[]>();
  readonly #byJid = new Map<string, readonly string[]>();
  readonly #lookups = new Map<string, VerLookup>();
  readonly #inflight = new Map<string, Promise<Features>>();
  #ver = "";

  constructor(port: DiscoPort, options: DiscoOptions = {}) {
    super();
    this.#port = port;
    this.#info = options.info ?? OWN_INFO;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    const mayQuery = options.mayQuery ?? (() => true);
    port.handleIq("get", NS_DISCO_INFO, "query", ({ element, from }) => {
      // XEP-0030 §8, RFC 6121 §8.5.3.2.1: what the server answers for a resource that is offline.
      if (!mayQuery(from)) throw new StanzaError("service-unavailable", "cancel", "");
      const node = element.attrs.node;
      // XEP-0115 §6.2: answer for node#ver; any other node is unknown here (XEP-0030 §7).
      if (node !== undefined && node !== `${CAPS_NODE}#${this.#ver}`) throw new StanzaError("item-not-found", "cancel", "");
      return discoInfoElement(this.#info, node);
    });
  }

  /** The `<c/>` element to put in every available presence (XEP-0115 §4). */
  async capsElement(): Promise<Element> {
    this.#ver ||= await capsHash(this.#info);
    return xml("c", { xmlns: NS_CAPS, hash: "sha-1", node: CAPS_NODE, ver: this.#ver });
  }

  /** Features of a full JID, if known. */
  featuresOf(jid: string): readonly string[] | undefined {
    return this.#byJid.get(jid);
  }

  /** The resource went offline: its features are dropped and no answer will be recorded for it. */
  forget(jid: string): void {
    this.#byJid.delete(jid);
    this.#inflight.delete(jid);
    for (const lookup of this.#lookups.values()) {
      // Asking a resource that is gone would only run into the timeout: the next one is asked now.
      if (lookup.asking?.jid === jid) lookup.asking.giveUp();
      lookup.waiting.get(jid)?.(undefined);
      lookup.waiting.delete(jid);
      lookup.promises.delete(jid);
    }
  }

  /** Learns the features of a resource that just sent available presence. */
  learn(jid: string, caps: CapsInfo | undefined): Promise<Features> {
    if (!caps || caps.hash !== "sha-1") return this.#learnAlone(jid, caps);
    const cached = this.#byVer.get(caps.ver);
    if (cached) return Promise.resolve(this.#record(jid, cached));
    let lookup = this.#lookups.get(caps.ver);
    if (!lookup) {
      lookup = { node: caps.node, waiting: new Map(), promises: new Map(), tried: new Set(), running: false };
      this.#lookups.set(caps.ver, lookup);
    }
    // A fresh presence is a fresh chance, even for a resource that failed before.
    lookup.tried.delete(jid);
    let promise = lookup.promises.get(jid);
    if (!promise) {
      const waiting = lookup.waiting;
      promise = new Promise<Features>((resolve) => waiting.set(jid, resolve));
      lookup.promises.set(jid, promise);
    }
    if (!lookup.running) void this.#lookUp(caps.ver, lookup);
    return promise;
  }

  async #lookUp(ver: string, lookup: VerLookup): Promise<void> {
    lookup.running = true;
    for (;;) {
      // Newest presence first: a stale, still-resumable session announced itself earlier.
      const jid = [...lookup.waiting.keys()].filter((j) => !lookup.tried.has(j)).at(-1);
      if (jid === undefined) break;
      lookup.tried.add(jid);
      const offline = new Promise<undefined>((resolve) => (lookup.asking = { jid, giveUp: () => resolve(undefined) }));
      const info = await Promise.race([this.#ask(jid, `${lookup.node}#${ver}`), offline]);
      lookup.asking = undefined;
      if (!info) continue;
      if (!info.hasForms && (await capsHash(info)) === ver) {
        this.#byVer.set(ver, info.features);
        this.#lookups.delete(ver);
        for (const [waiter, resolve] of lookup.waiting) resolve(this.#record(waiter, info.features));
        return;
      }
      // It answered but not for that ver (forged or buggy caps): its own features, no one else's.
      const resolve = lookup.waiting.get(jid);
      lookup.waiting.delete(jid);
      lookup.promises.delete(jid);
      resolve?.(this.#record(jid, info.features));
    }
    this.#lookups.delete(ver);
    for (const resolve of lookup.waiting.values()) resolve(undefined);
  }

  /** A resource without (SHA-1) caps: asked on its own, nothing shared. */
  #learnAlone(jid: string, caps: CapsInfo | undefined): Promise<Features> {
    const inflight = this.#inflight.get(jid);
    if (inflight) return inflight;
    const pending: Promise<Features> = this.#ask(jid, caps && `${caps.node}#${caps.ver}`).then((info) => {
      if (this.#inflight.get(jid) !== pending) return undefined; // went offline meanwhile
      this.#inflight.delete(jid);
      return info && this.#record(jid, info.features);
    });
    this.#inflight.set(jid, pending);
    return pending;
  }

  /** disco#info of one full JID; undefined on timeout, error or an empty answer. */
  async #ask(jid: string, node: string | undefined): Promise<(DiscoInfo & { hasForms: boolean }) | undefined> {
    try {
      const query = await this.#port.iqGet(xml("query", { xmlns: NS_DISCO_INFO, node }), jid, this.#timeoutMs);
      return query ? readDiscoInfo(query) : undefined;
    } catch {
      return undefined;
    }
  }

  #record(jid: string, features: readonly string[]) {
    this.#byJid.set(jid, features);
    this.emit("features", jid, features);
    return features;
  }
}
